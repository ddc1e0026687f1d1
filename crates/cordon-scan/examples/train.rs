//! Train the model layer and write `model/weights.bin`.
//!
//! ```text
//! cargo run --release -p cordon-scan --example train
//! ```
//!
//! Trains on every AgentDojo record (benign and injected tool outputs, raw payloads)
//! and on the NL2Bash requests and commands as extra benign text, all read from
//! `../shared/eval/` (or `$CORDON_EVAL_DIR`). CyberSecEval and the hand-written
//! fixtures are never trained on: they measure generalisation (`--example scan_eval`).
//! Deterministic: the same corpora give byte-identical weights.

mod common;

fn main() {
    let mut all = common::agentdojo();
    all.extend(common::nl2bash());
    let refs: Vec<&common::Sample> = all.iter().collect();
    let t0 = std::time::Instant::now();
    let model = common::train(&refs);
    let bytes = model.to_bytes();
    let out = concat!(env!("CARGO_MANIFEST_DIR"), "/model/weights.bin");
    std::fs::write(out, &bytes).expect("write model/weights.bin");
    let nonzero = model.w.iter().filter(|w| w.abs() > 1e-4).count();
    println!(
        "trained on {} texts in {:.1}s: bias {:.3}, {} of {} weights non-zero; wrote {} ({} bytes, sha256: run `sha256sum` on it)",
        refs.len(),
        t0.elapsed().as_secs_f32(),
        model.bias,
        nonzero,
        model.w.len(),
        out,
        bytes.len()
    );
}
