//! The committed weights are exactly what the training program makes from the corpora.

#[path = "../examples/common/mod.rs"]
mod common;

#[test]
fn committed_weights_are_reproducible() {
    let mut all = common::agentdojo();
    all.extend(common::nl2bash());
    let refs: Vec<&common::Sample> = all.iter().collect();
    let bytes = common::train(&refs).to_bytes();
    let committed =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/model/weights.bin")).unwrap();
    assert!(
        bytes == committed,
        "model/weights.bin is stale: run `cargo run --release -p cordon-scan --example train`"
    );
}
