//! The shell analysis never crashes and never fails open, whatever the size
//! or nesting of a command: past its bounds a command is opaque (asked, never
//! allowed). Every case runs on a thread with a deliberately small stack, so
//! an unbounded recursion would abort the test binary.

use cordon_policy::shell::ShellParser;
use cordon_policy::{Action, Context, Policy, RiskClass, Rules, SessionState, Verdict};

/// The stack the analysis must fit in (the main thread has 8 MiB).
const STACK: usize = 256 * 1024;

fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(STACK)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("the analysis panicked")
}

/// A policy that allows every Bash command it understands.
fn allow_all() -> Policy {
    Policy::new(Rules::from_lists(&["Bash".into()], &[], &[]).expect("rules"))
}

fn decide(src: &str) -> Verdict {
    decide_with(allow_all(), src)
}

fn decide_with(policy: Policy, src: &str) -> Verdict {
    let ctx = Context::new("/w/p", "/w/p", Some("/home/u".into()));
    policy
        .decide(
            &Action::Bash {
                command: src.to_string(),
            },
            &ctx,
            &SessionState::default(),
        )
        .verdict
}

/// `open` n times, `mid`, `close` n times.
fn nest(open: &str, mid: &str, close: &str, n: usize) -> String {
    let mut s = open.repeat(n);
    s.push_str(mid);
    s.push_str(&close.repeat(n));
    s
}

/// Deep forms of every construct that nests, each at `n` levels.
fn nested_forms(n: usize) -> Vec<(&'static str, String)> {
    vec![
        ("$(", nest("echo $(", "rm -rf /srv", ")", n)),
        ("\"$(", nest("echo \"$(", "rm -rf /srv", ")\"", n)),
        ("(", nest("(", "rm -rf /srv", ")", n)),
        ("{", nest("{ ", "rm -rf /srv; ", "}; ", n)),
        ("<(", nest("cat <(", "rm -rf /srv", ")", n)),
        (">(", nest("tee >(", "rm -rf /srv", ")", n)),
        ("$((", nest("echo $((", "1", "))", n)),
        ("((", nest("echo $((1+(", "1", "))", n)),
        ("${", nest("echo ${x:-", "$(rm -rf /srv)", "}", n)),
        ("if", nest("if true; then ", "rm -rf /srv; ", "fi; ", n)),
        (
            "while",
            nest("while true; do ", "rm -rf /srv; ", "done; ", n),
        ),
        ("for", nest("for i in 1; do ", "rm -rf /srv; ", "done; ", n)),
        (
            "case",
            nest("case a in a) ", "rm -rf /srv;; ", "esac;; ", n),
        ),
        ("function", nest("f() { ", "rm -rf /srv; ", "}; ", n)),
        ("!", nest("! ", "rm -rf /srv", "", n)),
        ("[[", nest("[[ ( ", "-f x", " ) ]]", n)),
    ]
}

#[test]
fn deep_nesting_is_opaque_and_never_allowed() {
    for n in [3_000, 100_000] {
        for (what, src) in nested_forms(n) {
            let verdict = on_small_stack(move || {
                let p = ShellParser::default().analyse(&src);
                let opaque = p.notes.iter().any(|x| x.class == RiskClass::Opaque);
                (
                    opaque,
                    decide(&src),
                    p.notes.first().map(|x| x.text.clone()),
                )
            });
            assert!(verdict.0, "{what} x{n}: not opaque ({:?})", verdict.2);
            assert_ne!(verdict.1, Verdict::Allow, "{what} x{n}");
        }
    }
}

/// Shell strings run by `bash -c` inside `bash -c`...: each level quoted again.
fn bash_c_levels(n: usize) -> String {
    let mut s = String::from("rm -rf /srv");
    for _ in 0..n {
        s = format!("bash -c '{}'", s.replace('\'', r"'\''"));
        if s.len() > 2_000_000 {
            break;
        }
    }
    s
}

/// Backticks nested by escaping: each level doubles the backslashes.
fn backtick_levels(n: usize) -> String {
    let mut s = String::from("rm -rf /srv");
    for _ in 0..n {
        s = format!("echo `{}`", s.replace('\\', r"\\").replace('`', r"\`"));
        if s.len() > 2_000_000 {
            break;
        }
    }
    s
}

#[test]
fn deep_shell_strings_and_wrappers_are_opaque() {
    let cases = vec![
        ("bash -c", bash_c_levels(3_000)),
        ("eval", format!("{}rm -rf /srv", "eval ".repeat(3_000))),
        ("backticks", backtick_levels(3_000)),
        ("nice", format!("{}rm -rf /srv", "nice ".repeat(100_000))),
        (
            "command",
            format!("{}rm -rf /srv", "command ".repeat(3_000)),
        ),
        (
            "sudo env",
            format!("{}rm -rf /srv", "sudo env A=1 ".repeat(3_000)),
        ),
        (
            "timeout",
            format!("{}rm -rf /srv", "timeout 5 nice -n 1 ".repeat(3_000)),
        ),
        (
            "find -exec",
            format!(
                "{}rm -rf /srv{}",
                "find . -exec ".repeat(3_000),
                " ;".repeat(3_000)
            ),
        ),
    ];
    for (what, src) in cases {
        let r = on_small_stack(move || {
            let p = ShellParser::default().analyse(&src);
            let opaque = p.notes.iter().any(|x| x.class == RiskClass::Opaque);
            (opaque, decide(&src))
        });
        assert!(r.0, "{what}: not opaque");
        assert_ne!(r.1, Verdict::Allow, "{what}");
    }
}

/// Long lists and pipelines (tree-sitter nests `&&` lists to the left) are
/// walked flat: within the bounds they are analysed, and the dangerous
/// command at the end is still found; past them, opaque.
#[test]
fn long_lists_are_analysed_or_opaque() {
    for n in [3_000, 100_000] {
        let cases = vec![
            ("&&", format!("{}rm -rf /srv", "true && ".repeat(n))),
            ("||", format!("{}rm -rf /srv", "false || ".repeat(n))),
            ("|", format!("{}rm -rf /srv", "cat | ".repeat(n))),
            (";", format!("{}rm -rf /srv", "true; ".repeat(n))),
            ("&", format!("{}rm -rf /srv", "true & ".repeat(n))),
            ("newline", format!("{}rm -rf /srv", "true\n".repeat(n))),
            (
                "$( &&",
                format!("echo $({}rm -rf /srv)", "true && ".repeat(n)),
            ),
            (
                "arith +",
                format!("echo $((1{})); rm -rf /srv", "+1".repeat(n)),
            ),
        ];
        for (what, src) in cases {
            let v = on_small_stack(move || decide_with(Policy::new(Rules::default()), &src));
            assert_ne!(v, Verdict::Allow, "{what} x{n}");
        }
    }
    // A long but harmless list within the bounds is still allowed.
    let ok = format!("{}ls", "true && ".repeat(500));
    let v = on_small_stack(move || decide_with(Policy::new(Rules::default()), &ok));
    assert_eq!(v, Verdict::Allow);
}

/// Huge inputs return (no timing asserted), past the size bound as opaque.
#[test]
fn huge_inputs_return() {
    let big = 8 * 1024 * 1024;
    let cases = vec![
        ("one word", "a".repeat(big)),
        ("many words", "ls ".repeat(big / 3)),
        ("quoted", format!("echo '{}'", "x".repeat(big))),
        (
            "here-doc",
            format!(
                "cat > f <<'EOF'\n{}EOF\n",
                "line of text\n".repeat(big / 13)
            ),
        ),
        ("brackets", "(".repeat(big)),
        ("dollars", "$".repeat(big)),
        ("braces", "{a,b}".repeat(big / 5)),
    ];
    for (what, src) in cases {
        let r = on_small_stack(move || {
            let p = ShellParser::default().analyse(&src);
            p.notes.iter().any(|x| x.class == RiskClass::Opaque)
        });
        assert!(r, "{what}: past the size bound and not opaque");
    }
}

/// Brace expansion and arrays are bounded too.
#[test]
fn expansions_are_bounded() {
    let src = format!("rm -rf {}", "{a,b}".repeat(40));
    let p = ShellParser::default().analyse(&src);
    let rm = p.cmds.iter().find(|c| c.name() == "rm").expect("rm");
    assert!(
        rm.argv.len() < 100 && rm.argv.iter().any(|w| w.dynamic),
        "{rm:?}"
    );
    // Loops over known words are walked once per word, 16 words in all.
    let src = nest("for i in a b c d e f g h; do ", "rm -rf $i; ", "done; ", 12);
    let p = ShellParser::default().analyse(&src);
    let rms = p.cmds.iter().filter(|c| c.name() == "rm").count();
    assert!((1..=32).contains(&rms), "{rms} rm commands");
    let src = "rm -rf x{1..100000000}";
    let p = ShellParser::default().analyse(src);
    assert!(p.cmds[0].argv[2].dynamic);
}

/// tree-sitter's own code (parse, walk of the root, drop of the tree) on
/// trees far deeper than cordon walks.
#[test]
fn tree_sitter_survives_deep_trees() {
    let inputs = vec![
        nest("echo $(", "x", ")", 3_000),
        nest("(", "x", ")", 50_000),
        format!("{}x", "a && ".repeat(50_000)),
        nest("if a; then ", "x; ", "fi; ", 10_000),
        format!("echo $((1{}))", "+1".repeat(50_000)),
    ];
    for src in inputs {
        on_small_stack(move || {
            let mut p = tree_sitter::Parser::new();
            p.set_language(&tree_sitter_bash::LANGUAGE.into())
                .expect("grammar");
            let tree = p.parse(&src, None).expect("a tree");
            let root = tree.root_node();
            assert!(root.descendant_count() > 1000);
            let _ = root.has_error();
            drop(tree);
        });
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
    /// Any text, shell syntax and multi-byte characters mixed, is analysed
    /// without a panic; what does not parse is never allowed.
    #[test]
    fn any_text_is_analysed_without_panic(
        src in "([a-z~/.*?\\[\\]{},=$()`'\"\\\\|&;<> \n#!@%+-]|€|é|[0-9]|if |then |fi|for |in |do |done|case |esac|export |declare -n |read |eval |unset |cd |x=|\\$\\{x:-|\\$\\(\\(){0,60}"
    ) {
        let p = ShellParser::default().analyse(&src);
        let _ = decide(&src);
        for c in &p.cmds {
            let _ = c.text();
        }
    }
}
