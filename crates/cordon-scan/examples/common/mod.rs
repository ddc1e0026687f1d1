//! Shared by the `train` and `scan_eval` examples: reading the corpora in `../shared/eval/`
//! and training the model layer. Reproducible: no randomness beyond a fixed-seed
//! shuffle, single-threaded, so the same corpora give the same weights.
#![allow(dead_code)]

use cordon_scan::model::{self, Model, Tok, DIM};
use std::path::PathBuf;

/// Where the corpora live: `$CORDON_EVAL_DIR`, else `../shared/eval` beside the checkout.
pub fn eval_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CORDON_EVAL_DIR") {
        return d.into();
    }
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/eval"))
}

/// One corpus record, with what the evaluation needs to group it.
pub struct Sample {
    pub text: String,
    pub injected: bool,
    /// `benign_tool_output`, `injected_tool_output`, `payload`, `cyberseceval`, `nl2bash_nl`, `nl2bash_cmd`.
    pub kind: &'static str,
    /// AgentDojo attack template, or CyberSecEval category, or "".
    pub group: String,
    pub suite: String,
    /// AgentDojo injection task (goals are shared across templates).
    pub task: String,
    pub goal: String,
    /// CyberSecEval `prompt_id` (the rules were revised after reading misses on even ids).
    pub id: u64,
}

fn read_jsonl(name: &str) -> Vec<serde_json::Value> {
    let path = eval_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e} (set CORDON_EVAL_DIR)", path.display()));
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

fn s(v: &serde_json::Value, k: &str) -> String {
    v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string()
}

/// AgentDojo tool outputs and payloads.
pub fn agentdojo() -> Vec<Sample> {
    read_jsonl("prompt_injection_agentdojo_v1.2.2.jsonl")
        .iter()
        .map(|v| {
            let kind = match s(v, "kind").as_str() {
                "benign_tool_output" => "benign_tool_output",
                "injected_tool_output" => "injected_tool_output",
                _ => "payload",
            };
            Sample {
                text: s(v, "text"),
                injected: s(v, "label") == "injection",
                kind,
                group: s(v, "attack"),
                suite: s(v, "suite"),
                task: s(v, "injection_task"),
                goal: s(v, "goal"),
                id: 0,
            }
        })
        .collect()
}

/// CyberSecEval prompt-injection cases (never used for training).
pub fn cyberseceval() -> Vec<Sample> {
    read_jsonl("prompt_injection_cyberseceval.jsonl")
        .iter()
        .map(|v| Sample {
            text: s(v, "text"),
            injected: true,
            kind: "cyberseceval",
            group: s(v, "category")
                .trim_start_matches("cyberseceval:")
                .to_string(),
            suite: String::new(),
            task: String::new(),
            goal: String::new(),
            id: v
                .get("prompt_id")
                .and_then(|x| x.as_u64().or_else(|| x.as_str()?.parse().ok()))
                .unwrap_or(0),
        })
        .collect()
}

/// NL2Bash requests and commands: ordinary imperative English and shell, as
/// negatives that teach the model "an instruction" is not "an injection".
pub fn nl2bash() -> Vec<Sample> {
    let mut out = Vec::new();
    for v in read_jsonl("shell_benign_nl2bash.jsonl") {
        for (field, kind) in [("nl", "nl2bash_nl"), ("command", "nl2bash_cmd")] {
            let t = s(&v, field);
            if !t.is_empty() {
                out.push(Sample {
                    text: t,
                    injected: false,
                    kind,
                    group: String::new(),
                    suite: String::new(),
                    task: String::new(),
                    goal: String::new(),
                    id: 0,
                });
            }
        }
    }
    out
}

/// A stable 64-bit hash (FNV-1a) for fold assignment.
pub fn stable_hash(s: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Cross-validation fold of a sample: injected AgentDojo records by injection task
/// (so a test goal is never seen in training), everything else by its text.
pub fn fold(x: &Sample, k: u64) -> u64 {
    let key = if x.kind == "injected_tool_output" || x.kind == "payload" {
        format!("{}/{}", x.suite, x.task)
    } else {
        x.text.clone()
    };
    stable_hash(&key) % k
}

/// Training hyper-parameters (fixed; changing them changes the shipped weights).
pub const EPOCHS: usize = 6;
pub const LEARNING_RATE: f32 = 0.2;
pub const L2: f32 = 2e-6;

struct Example {
    doc: usize,
    a: usize,
    b: usize,
    y: f32,
    weight: f32,
}

/// Token index where `goal` starts in `toks`, if it does.
fn locate(toks: &[Tok], goal: &[Tok]) -> Option<usize> {
    let n = goal.len().min(6);
    if n == 0 {
        return None;
    }
    let g: Vec<u32> = goal[..n].iter().map(|t| t.uni).collect();
    toks.windows(n)
        .position(|w| w.iter().map(|t| t.uni).eq(g.iter().copied()))
}

/// Train the model layer on `samples`.
///
/// Windows are the unit, as at run time: every window of a benign text is a negative;
/// every window of a raw payload is a positive; in an injected tool output, the
/// windows that cover the start of the attacker's goal are positives (the rest of
/// such a text is the benign tool output it was planted in and is not used).
pub fn train(samples: &[&Sample]) -> Model {
    let mut docs: Vec<Vec<Tok>> = Vec::with_capacity(samples.len());
    let mut ex: Vec<Example> = Vec::new();
    for x in samples {
        let toks = cordon_scan::model_tokens(&x.text);
        let d = docs.len();
        let wins: Vec<(usize, usize)> = model::windows(toks.len()).collect();
        if !x.injected {
            for &(a, b) in &wins {
                ex.push(Example {
                    doc: d,
                    a,
                    b,
                    y: 0.0,
                    weight: 1.0,
                });
            }
        } else if x.kind == "injected_tool_output" {
            let goal = cordon_scan::model_tokens(&x.goal);
            if let Some(p) = locate(&toks, &goal) {
                for &(a, b) in &wins {
                    if a <= p && b >= (p + 8).min(toks.len()) {
                        ex.push(Example {
                            doc: d,
                            a,
                            b,
                            y: 1.0,
                            weight: 1.0,
                        });
                    }
                }
            }
        } else {
            for &(a, b) in &wins {
                ex.push(Example {
                    doc: d,
                    a,
                    b,
                    y: 1.0,
                    weight: 1.0,
                });
            }
        }
        docs.push(toks);
    }
    // Balance the classes: each carries half the total weight.
    let pos = ex.iter().filter(|e| e.y > 0.5).count().max(1) as f32;
    let neg = ex.iter().filter(|e| e.y < 0.5).count().max(1) as f32;
    let total = pos + neg;
    for e in &mut ex {
        e.weight = if e.y > 0.5 {
            total / (2.0 * pos)
        } else {
            total / (2.0 * neg)
        };
    }
    let mut w = vec![0f32; DIM];
    let mut g2 = vec![1e-3f32; DIM];
    let mut bias = 0f32;
    let mut bias_g2 = 1e-3f32;
    let mut order: Vec<usize> = (0..ex.len()).collect();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..EPOCHS {
        // Fisher-Yates with xorshift: deterministic.
        for i in (1..order.len()).rev() {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            order.swap(i, (rng % (i as u64 + 1)) as usize);
        }
        for &k in &order {
            let e = &ex[k];
            let toks = &docs[e.doc][e.a..e.b];
            let sc = model::scale(toks.len());
            let mut z = bias;
            for t in toks {
                z += (w[t.uni as usize] + w[t.bi as usize]) * sc;
            }
            let g = (model::sigmoid(z) - e.y) * e.weight;
            for t in toks {
                for f in [t.uni as usize, t.bi as usize] {
                    let gf = g * sc + L2 * w[f];
                    g2[f] += gf * gf;
                    w[f] -= LEARNING_RATE * gf / g2[f].sqrt();
                }
            }
            bias_g2 += g * g;
            bias -= LEARNING_RATE * g / bias_g2.sqrt();
        }
    }
    Model { bias, w }
}
