use super::*;

/// Built-in defaults, then `text` as the project file of a fresh workspace.
fn with_project(user: Option<&str>, text: &str) -> (Settings, tempfile::TempDir) {
    let d = tempfile::tempdir().unwrap();
    let mut s = Settings::defaults();
    if let Some(u) = user {
        let p = d.path().join("user.toml");
        std::fs::write(&p, u).unwrap();
        s.merge_trusted(&p, Layer::User).unwrap();
    }
    std::fs::write(d.path().join(PROJECT_FILE), text).unwrap();
    s.merge_project(&d.path().join(PROJECT_FILE));
    (s, d)
}

fn warned(s: &Settings, needle: &str) -> bool {
    s.warnings.iter().any(|w| w.contains(needle))
}

/// Every widening key of a project file, one per line: (line, key, text).
const WIDENING: &[(usize, &str, &str)] = &[
    (2, "sandbox.allow_write", "allow_write = [\"/etc\"]"),
    (3, "sandbox.allow_read", "allow_read = [\"~/.ssh\"]"),
    (4, "sandbox.env", "env = [\"AWS_SECRET_ACCESS_KEY\"]"),
    (5, "sandbox.max_procs", "max_procs = 999999"),
    (6, "sandbox.max_memory", "max_memory = \"900G\""),
    (
        7,
        "sandbox.allow_degraded",
        "allow_degraded = [\"landlock\"]",
    ),
    (
        8,
        "sandbox.allow_unix_socket",
        "allow_unix_socket = [\"/run/docker.sock\"]",
    ),
    (10, "network.allow", "allow = [\"evil.example\"]"),
    (11, "network.presets", "presets = [\"registries\"]"),
    (
        12,
        "network.allow_private",
        "allow_private = [\"10.0.0.0/8\"]",
    ),
    (
        13,
        "network.hosts",
        "hosts = { \"a.example\" = \"10.0.0.1\" }",
    ),
    (15, "permissions.allow", "allow = [\"Bash\"]"),
    (17, "hook.mode", "mode = \"monitor\""),
    (19, "audit.max_age_days", "max_age_days = 0"),
    (20, "audit.max_size", "max_size = \"1\""),
    (
        22,
        "scan.suspicious_threshold",
        "suspicious_threshold = 0.99",
    ),
    (23, "scan.injected_threshold", "injected_threshold = 1.0"),
    (25, "mcp.servers", "allow_domain = [\"x.example\"]"),
];

fn widening_file() -> String {
    let mut lines = vec![String::new(); 26];
    for (n, _, t) in WIDENING {
        lines[n - 1] = t.to_string();
    }
    for (n, h) in [
        (1, "[sandbox]"),
        (9, "[network]"),
        (14, "[permissions]"),
        (16, "[hook]"),
        (18, "[audit]"),
        (21, "[scan]"),
        (24, "[mcp.servers.gh]"),
    ] {
        lines[n - 1] = h.to_string();
    }
    lines.join("\n")
}

#[test]
fn every_widening_project_value_is_ignored_with_file_and_line() {
    let (s, d) = with_project(None, &widening_file());
    let file = d.path().join(PROJECT_FILE).display().to_string();
    for (line, key, _) in WIDENING {
        // The mcp table's span starts at its header.
        let line = if *key == "mcp.servers" {
            line - 1
        } else {
            *line
        };
        let at = format!("{file}:{line}: `{key}");
        assert!(warned(&s, &at), "no warning {at}: {:#?}", s.warnings);
    }
    assert!(s.warnings.iter().all(|w| w.contains("may only narrow")));
    let d = Settings::defaults();
    assert!(s.sandbox.allow_write.is_empty() && s.sandbox.allow_read.is_empty());
    assert!(s.sandbox.env.is_empty() && s.sandbox.allow_degraded.is_empty());
    assert_eq!(s.sandbox.max_procs.value, d.sandbox.max_procs.value);
    assert_eq!(s.sandbox.max_memory.value, Memory::Default);
    assert!(s.network.allow.is_empty() && s.network.presets.is_empty());
    assert!(s.network.allow_private.is_empty() && s.network.hosts.is_empty());
    assert!(s.permissions.allow.is_empty() && s.mcp_servers.is_empty());
    assert_eq!(s.hook_mode.value, HookMode::Enforce);
    assert!(s.audit.max_age_days.is_none() && s.audit.max_size.is_none());
    assert_eq!(s.scan.suspicious.value, d.scan.suspicious.value);
    assert_eq!(s.scan.injected.value, d.scan.injected.value);
    assert!(s.sandbox.allow_unix_socket.is_empty());
    assert_eq!(s.ignored.len(), WIDENING.len());
}

/// A key that can widen and is not in [`WIDENING`] would go untested: every
/// definition is either there or only narrows.
#[test]
fn every_key_that_can_widen_is_tried_from_a_project_file() {
    for d in defs::DEFS {
        let tried = WIDENING.iter().any(|(_, k, _)| *k == d.name);
        assert!(
            tried || d.effect == Effect::Narrows,
            "{} can widen but no project-file test tries it",
            d.name
        );
    }
}

#[test]
fn limits_above_the_built_in_defaults_are_ignored_without_a_user_file() {
    let (s, _d) = with_project(None, "[sandbox]\nmax_procs = 4097\n");
    assert_eq!(s.sandbox.max_procs.value, 4096);
    assert_eq!(s.sandbox.max_procs.layer, Layer::Default);
    if let Some(m) = cordon_sandbox::default_max_memory() {
        let (s, _d) = with_project(None, &format!("[sandbox]\nmax_memory = \"{}\"\n", m + 1));
        assert_eq!(s.sandbox.max_memory.value, Memory::Default);
        assert!(warned(&s, "sandbox.max_memory"), "{:?}", s.warnings);
    }
}

#[test]
fn narrowing_project_values_apply() {
    let text = "[sandbox]\ndeny_read = [\"~/clients\"]\nmax_procs = 100\nmax_memory = \"1G\"\n\
                [network]\ndeny = [\"b.example\"]\n[permissions]\nask = [\"Bash(git push *)\"]\n\
                deny = [\"Bash(make *)\"]\n[hook]\nmode = \"enforce\"\n\
                [scan]\nsuspicious_threshold = 0.2\ninjected_threshold = 0.4\n";
    let (s, _d) = with_project(Some("[hook]\nmode = \"monitor\"\n"), text);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(s.sandbox.deny_read[0].value, "~/clients");
    assert_eq!(s.sandbox.max_procs.value, 100);
    assert_eq!(s.sandbox.max_procs.layer, Layer::Project);
    assert_eq!(s.sandbox.max_memory.value, Memory::Bytes(1 << 30));
    assert_eq!(s.network.deny[0].value, "b.example");
    assert_eq!(s.permissions.ask.len() + s.permissions.deny.len(), 2);
    assert_eq!(s.hook_mode.value, HookMode::Enforce);
    assert_eq!(s.hook_mode.layer, Layer::Project);
    assert_eq!((s.scan.suspicious.value, s.scan.injected.value), (0.2, 0.4));
}

/// The value in force is the base: below a user's own wider limit narrows.
#[test]
fn a_project_limit_below_the_users_own_applies() {
    let (s, _d) = with_project(
        Some("[sandbox]\nmax_procs = 10000\n"),
        "[sandbox]\nmax_procs = 5000\n",
    );
    assert_eq!(s.sandbox.max_procs.value, 5000);
    let (s, _d) = with_project(
        Some("[sandbox]\nmax_procs = 100\n"),
        "[sandbox]\nmax_procs = 200\n",
    );
    assert_eq!(s.sandbox.max_procs.value, 100);
    assert_eq!(s.sandbox.max_procs.layer, Layer::User);
}

#[test]
fn a_malformed_project_file_never_stops_cordon() {
    // Unknown key and bad value: those lines are dropped, the rest applies.
    let (s, d) = with_project(
        None,
        "[sandbox]\nallow_wirte = []\nmax_procs = \"many\"\ndeny_read = [\"x\"]\n",
    );
    let f = d.path().join(PROJECT_FILE).display().to_string();
    assert!(warned(&s, &format!("{f}:2:")), "{:?}", s.warnings);
    assert!(warned(&s, &format!("{f}:3:")), "{:?}", s.warnings);
    assert_eq!(s.sandbox.deny_read[0].value, "x");
    // A value that does not convert (0 processes, not a size).
    let (s, _d) = with_project(None, "[sandbox]\nmax_procs = 0\nmax_memory = \"lots\"\n");
    assert_eq!(s.sandbox.max_procs.value, 4096);
    assert!(
        warned(&s, ":2: sandbox.max_procs: must be at least 1"),
        "{:?}",
        s.warnings
    );
    assert!(
        warned(&s, ":3: sandbox.max_memory: `lots` is not a size"),
        "{:?}",
        s.warnings
    );
    // An unknown section is dropped whole; its keys do not join the one above.
    let (s, _d) = with_project(
        None,
        "[permissions]\ndeny = [\"Bash(rm *)\"]\n[sandbx]\nallow = [\"Bash\"]\n",
    );
    assert!(
        warned(&s, ":3:") && warned(&s, "section is ignored"),
        "{:?}",
        s.warnings
    );
    assert!(s.permissions.allow.is_empty() && s.permissions.deny.len() == 1);
    // A narrowing value that does not validate (a bad deny rule or pattern).
    let (s, _d) = with_project(
        None,
        "[permissions]\ndeny = [\"Bash(rm\", \"Bash(make *)\"]\n[network]\ndeny = [\"*\"]\n",
    );
    assert!(
        warned(&s, ":2: permissions.deny: `Bash(rm`"),
        "{:?}",
        s.warnings
    );
    assert!(warned(&s, ":4: network.deny: `*`"), "{:?}", s.warnings);
    assert_eq!(s.permissions.deny.len(), 1);
    assert!(s.network.deny.is_empty());
    s.validate().unwrap();
    // Not TOML at all.
    let (s, _d) = with_project(None, "[sandbox\nmax_procs = = 3\n\"\n");
    assert!(warned(&s, "ignored"), "{:?}", s.warnings);
    assert_eq!(s.sandbox.max_procs.value, 4096);
}

#[test]
fn a_project_file_that_is_not_a_regular_file_is_ignored_at_once() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join(PROJECT_FILE);
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let mut s = Settings::defaults();
    s.merge_project(&p);
    assert!(warned(&s, "not a regular file"), "{:?}", s.warnings);
    // A symbolic link, even to a well-formed file, is not followed.
    std::fs::remove_file(&p).unwrap();
    let real = d.path().join("real.toml");
    std::fs::write(&real, "[sandbox]\nmax_procs = 10\n").unwrap();
    std::os::unix::fs::symlink(&real, &p).unwrap();
    let mut s = Settings::defaults();
    s.merge_project(&p);
    assert!(warned(&s, "is a symbolic link"), "{:?}", s.warnings);
    assert_eq!(s.sandbox.max_procs.value, 4096);
    // Too large.
    std::fs::remove_file(&p).unwrap();
    std::fs::write(&p, "#".repeat(65 << 10)).unwrap();
    let mut s = Settings::defaults();
    s.merge_project(&p);
    assert!(warned(&s, "larger than 64 KiB"), "{:?}", s.warnings);
}

#[test]
fn a_user_file_error_is_fatal_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("c.toml");
    std::fs::write(&p, "[sandbox]\nmax_memory = \"lots\"\n").unwrap();
    let e = Settings::defaults()
        .merge_trusted(&p, Layer::Config)
        .unwrap_err();
    assert_eq!(e.code, 2);
    assert!(
        e.msg
            .ends_with("c.toml:2: sandbox.max_memory: `lots` is not a size such as 512M or 4G"),
        "{}",
        e.msg
    );
}

/// Flags and files get the same message for the same value.
#[test]
fn one_validation_same_message_from_a_flag_and_a_file() {
    for (bad, msg) in [
        ("*", "a bare `*` would allow every host"),
        ("*.com", "every host under a top-level domain"),
        ("0.0.0.0/0", "most of the address space"),
        ("a.example:0", "is not a port number"),
        ("a.example:99999", "is not a port number"),
        ("a.*.example", "only allowed as the first label"),
    ] {
        let mut s = Settings::defaults();
        s.apply(
            Entry::flag("--allow-domain", Item::NetAllow(bad.into())),
            Layer::Flag,
        );
        let flag = s.validate().err().unwrap();
        let (file, _d) = with_project(None, "");
        let mut file = file;
        let path: Arc<Path> = Arc::from(Path::new("/u/c.toml"));
        file.apply(
            Entry {
                item: Item::NetAllow(bad.into()),
                place: Place::File { path, line: 7 },
            },
            Layer::User,
        );
        let from_file = file.validate().err().unwrap();
        assert_eq!(flag.code, 2);
        assert_eq!(from_file.code, 2);
        let core = flag.msg.strip_prefix("--allow-domain: ").unwrap();
        assert!(core.contains(msg), "{bad}: {core}");
        assert_eq!(from_file.msg, format!("/u/c.toml:7: network.allow: {core}"));
    }
}

#[test]
fn rules_hosts_presets_and_ranges_are_validated_with_their_place() {
    let path: Arc<Path> = Arc::from(Path::new("/u/c.toml"));
    for (item, expect) in [
        (
            Item::RuleDeny("Bash(".into()),
            "/u/c.toml:3: permissions.deny: `Bash(`",
        ),
        (
            Item::Preset("everything".into()),
            "/u/c.toml:3: network.presets: unknown network preset",
        ),
        (
            Item::AllowPrivate("10.0.0.0/33".into()),
            "/u/c.toml:3: network.allow_private:",
        ),
        (
            Item::Host("a.example".into(), "nope".into()),
            "/u/c.toml:3: network.hosts:",
        ),
        (Item::NetDeny("*".into()), "/u/c.toml:3: network.deny:"),
    ] {
        let mut s = Settings::defaults();
        s.apply(
            Entry {
                item,
                place: Place::File {
                    path: path.clone(),
                    line: 3,
                },
            },
            Layer::User,
        );
        let e = s.validate().err().unwrap();
        assert!(e.msg.starts_with(expect), "{} (wanted {expect})", e.msg);
    }
}

#[test]
fn flags_win_over_every_file() {
    let (mut s, _d) = with_project(
        Some("[sandbox]\nmax_procs = 100\n"),
        "[hook]\nmode = \"enforce\"\n",
    );
    s.apply(
        Entry::flag("--max-procs", Item::MaxProcs(999_999)),
        Layer::Flag,
    );
    s.apply(
        Entry::flag("--mode", Item::HookMode(HookMode::Monitor)),
        Layer::Flag,
    );
    assert_eq!(s.sandbox.max_procs.value, 999_999);
    assert_eq!(s.hook_mode.value, HookMode::Monitor);
    assert_eq!(s.hook_mode.origin(), "flag, --mode");
}

/// Settings under a managed policy given as text.
fn under_managed(managed: &str) -> Settings {
    let m = Managed::parse(managed, Path::new("/etc/cordon/managed.toml"), &|| {
        "/home/u".into()
    })
    .unwrap();
    let mut s = Settings::defaults();
    s.workspace = Some("/nonexistent-ws".into());
    s.put_managed(Arc::new(m));
    s
}

/// A limit the managed file sets may be lowered by any layer; raised, it is
/// refused from a flag or the user file and ignored from a project file.
#[test]
fn a_managed_limit_may_only_be_lowered() {
    let mut s = under_managed("[sandbox]\nmax_procs = 2048\n[hook]\nmode = \"enforce\"\n");
    s.apply(
        Entry::flag("--max-procs", Item::MaxProcs(1000)),
        Layer::Flag,
    );
    assert_eq!(s.sandbox.max_procs.value, 1000);
    assert!(s.refused.is_empty());
    let mut s = under_managed("[sandbox]\nmax_procs = 2048\n[hook]\nmode = \"enforce\"\n");
    s.apply(
        Entry::flag("--max-procs", Item::MaxProcs(4096)),
        Layer::Flag,
    );
    s.apply(
        Entry::flag("--mode", Item::HookMode(HookMode::Monitor)),
        Layer::Flag,
    );
    assert_eq!(s.sandbox.max_procs.value, 2048);
    assert_eq!(s.sandbox.max_procs.layer, Layer::Managed);
    assert_eq!(s.refused.len(), 2, "{:?}", s.refused);
    let e = s.refusal().unwrap_err();
    assert_eq!(e.code, 2);
    assert!(e.msg.contains("/etc/cordon/managed.toml"), "{}", e.msg);
    assert!(e.msg.contains("--max-procs"), "{}", e.msg);
    let mut s = under_managed("[sandbox]\nmax_procs = 2048\n");
    let place = Place::File {
        path: Arc::from(Path::new("/ws/.cordon.toml")),
        line: 2,
    };
    s.apply(
        Entry {
            item: Item::MaxProcs(4096),
            place,
        },
        Layer::Project,
    );
    assert!(s.refused.is_empty());
    assert_eq!(s.ignored.len(), 1);
    assert!(warned(&s, "/ws/.cordon.toml:2") && warned(&s, "/etc/cordon/managed.toml"));
}

/// Managed values are never checked against their own ceiling.
#[test]
fn the_managed_layer_is_above_its_own_ceiling() {
    let s = under_managed(
        "[network]\nallow = [\"pypi.org\"]\n[ceiling]\ndomains = [\"*.corp.example\"]\nallow_degraded = false\n",
    );
    assert_eq!(s.network.allow.len(), 1);
    assert_eq!(s.network.allow[0].layer, Layer::Managed);
    assert!(s.refused.is_empty());
}
