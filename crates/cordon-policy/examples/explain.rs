//! Print the shell analysis and the decision for each argument:
//! `cargo run -p cordon-policy --example explain -- 'CMD' ...` (`SB=1` for sandboxed;
//! `--loop FILE.jsonl` times decisions over a corpus).
use cordon_policy::{Action, Context, Policy, Rules, SessionState};
fn main() {
    let p = Policy::new(Rules::default());
    let mut ctx = Context::new("/work/project", "/work/project", Some("/home/user".into()));
    ctx.sandboxed = std::env::var_os("SB").is_some();
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(|s| s.as_str()) == Some("--loop") {
        let text = std::fs::read_to_string(&args[1]).unwrap();
        let cmds: Vec<String> = text
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["command"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let t = std::time::Instant::now();
        let mut n = 0;
        for _ in 0..3 {
            for c in &cmds {
                let d = p.decide(
                    &Action::Bash { command: c.clone() },
                    &ctx,
                    &SessionState::default(),
                );
                n += d.reasons.len();
            }
        }
        eprintln!("{} decisions in {:?} ({n})", cmds.len() * 3, t.elapsed());
        return;
    }
    for a in args {
        println!(
            "{:#?}",
            cordon_policy::shell::ShellParser::default().analyse(&a)
        );
        let d = p.decide(
            &Action::Bash { command: a.clone() },
            &ctx,
            &SessionState::default(),
        );
        println!("{}", serde_json::to_string_pretty(&d).unwrap());
    }
}
