//! Time the two walks `cordon run` makes of a workspace (before: find the
//! points; after: sweep), e.g. `cargo run --release -p cordon-sandbox --example scan -- DIR`.
use cordon_sandbox::points;
use cordon_sandbox::quarantine::Store;
use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| ".".into()));
    for round in 0..5 {
        let t = std::time::Instant::now();
        let s = match points::scan(&dir) {
            Ok(s) => s,
            Err((rel, e)) => return eprintln!("{}: {e}", rel.display()),
        };
        let scan = t.elapsed();
        let known: points::Known = s.points.iter().flat_map(|f| f.known.clone()).collect();
        // Everything is known: the sweep walks and moves nothing.
        let mut store = Store::new(&std::env::temp_dir(), "scan-example", &dir);
        let t = std::time::Instant::now();
        let sw = points::sweep(&dir, &known, &mut store);
        println!(
            "round {round}: scan {:.2} ms ({} points, {} git dirs), sweep {:.2} ms ({} moved)",
            scan.as_secs_f64() * 1e3,
            s.points.len(),
            s.git_dirs.len(),
            t.elapsed().as_secs_f64() * 1e3,
            sw.moved.len()
        );
    }
}
