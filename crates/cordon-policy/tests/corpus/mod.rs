//! The project's own agent corpora (this directory), shared by the test
//! `agent_corpus` and the `eval` example (included with `#[path]`).
#![allow(dead_code)]

use cordon_policy::Rules;

/// `(class, command)` of every line of `tests/corpus/NAME` (class `benign`
/// when the line has none).
pub fn load(name: &str) -> Vec<(String, String)> {
    let path = format!("{}/tests/corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("{path}:{}: {e}", i + 1));
            let class = v["class"].as_str().unwrap_or("benign").to_string();
            (class, v["command"].as_str().expect("command").to_string())
        })
        .collect()
}

/// A few deny and ask rules a typical user writes.
pub fn typical_rules() -> Rules {
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    Rules::from_lists(
        &[],
        &s(&["Bash(git push *)"]),
        &s(&[
            "Read(./.env)",
            "Read(./secrets/**)",
            "Bash(sudo *)",
            "Read(~/.ssh/**)",
        ]),
    )
    .expect("valid rules")
}
