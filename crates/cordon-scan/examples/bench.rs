//! In-process timing for `bench/scan.sh`: throughput on one core and latency per
//! 10 KB tool output.
//!
//! ```text
//! cargo run --release -p cordon-scan --example bench -- FILE
//! ```
//!
//! FILE is a large text (the script builds one from the corpora and fixtures).
//! Prints `key value` lines.

use cordon_scan::Screen;
use std::time::Instant;

fn main() {
    let path = std::env::args().nth(1).expect("usage: bench FILE");
    let data = std::fs::read(&path).expect("read FILE");
    let screen = Screen::default();
    // Warm up: the patterns compile on first use.
    let t0 = Instant::now();
    let warm = "<p style=\"display:none\">x</p> ![alt text of some length](u \"title text here\") aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ= a%20b%20c%20d%20e";
    std::hint::black_box(screen.screen(warm));
    println!("first_call_ms {:.1}", t0.elapsed().as_secs_f64() * 1e3);

    // Throughput: the whole file through the streaming reader, best of 3.
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let v = screen.screen_reader(&data[..]).expect("read");
        std::hint::black_box(v);
        best = best.min(t.elapsed().as_secs_f64());
    }
    let mb = data.len() as f64 / 1e6;
    println!("bytes {}", data.len());
    println!("stream_seconds {best:.3}");
    println!("stream_mb_per_s {:.1}", mb / best);

    // Latency: 10 KB slices of the file (cut on line boundaries), one call each.
    let text = String::from_utf8_lossy(&data);
    let mut slices = Vec::new();
    let mut at = 0;
    while slices.len() < 2000 && at + 10_000 < text.len() {
        let mut end = at + 10_000;
        while !text.is_char_boundary(end) {
            end += 1;
        }
        slices.push(&text[at..end]);
        at = end + 7919;
        while at < text.len() && !text.is_char_boundary(at) {
            at += 1;
        }
    }
    let mut times: Vec<f64> = slices
        .iter()
        .map(|s| {
            let t = Instant::now();
            std::hint::black_box(screen.screen(s));
            t.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let q = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    println!("latency_10kb_calls {}", times.len());
    println!("latency_10kb_median_us {:.0}", q(0.5));
    println!("latency_10kb_p99_us {:.0}", q(0.99));
    println!("latency_10kb_max_us {:.0}", q(1.0));
}
