//! Variables along the command line, as the decision sees them: a path or a
//! command name hidden in a variable is judged as what it is; a value cordon
//! cannot know is never taken for a harmless one.

use cordon_policy::{Action, Context, Policy, Rules, SessionState, Verdict};

fn decide(policy: &Policy, src: &str) -> Verdict {
    let ctx = Context::new("/w/p", "/w/p", Some("/home/u".into()));
    let a = Action::Bash {
        command: src.to_string(),
    };
    policy.decide(&a, &ctx, &SessionState::default()).verdict
}

#[test]
fn a_denied_command_spelled_through_variables_is_denied() {
    let p = Policy::new(Rules::from_lists(&[], &[], &["Bash(rm -rf *)".into()]).expect("rules"));
    for src in [
        "rm -rf /srv",
        "c=rm; $c -rf /srv",
        "c=rm && \"$c\" -rf /srv",
        "a=(rm -rf); \"${a[@]}\" /srv",
        "x=-rf; rm $x /srv",
        "f=/srv; rm -rf \"$f\"",
        "set -- x; c=rm; ${c} -rf /srv",
        "for c in rm; do $c -rf /srv; done",
        "e=; $e rm -rf /srv",
        "declare -r c=rm; $c -rf /srv",
    ] {
        assert_eq!(decide(&p, src), Verdict::Deny, "{src:?}");
    }
}

#[test]
fn paths_in_variables_are_judged_as_the_paths() {
    let p = Policy::new(Rules::default());
    for src in [
        "p=/etc/group; rm -f \"$p\"",
        "k=~/.ssh/id_rsa; cat \"$k\"",
        "k=$HOME/.ssh; cat \"$k/id_rsa\"",
        "HOME=/etc; cat ~/shadow",
        "d=/srv; cd \"$d\" && rm -rf data",
        "cd /etc; (cd /w/p); rm passwd",
        "x=/etc/group; (x=a); rm \"$x\"",
        "rm -rf {/etc,x}/passwd",
    ] {
        assert_ne!(decide(&p, src), Verdict::Allow, "{src:?}");
    }
    // Known values inside the workspace are still allowed.
    for src in [
        "d=build; rm -rf \"$d\"",
        "p=src/a.txt; rm \"$p\"",
        "mkdir -p src/{a,b}",
        "for f in a.txt b.txt; do cat \"$f\"; done",
    ] {
        assert_eq!(decide(&p, src), Verdict::Allow, "{src:?}");
    }
}
