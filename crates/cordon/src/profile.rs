//! Agent profiles, as data (issue #15): what each coding agent needs to work
//! inside `cordon run`.
//!
//! A profile names, per agent: the programs that select it, its API
//! destinations (a `--net` preset), the variables it reads for its API (key
//! and base URL), where it keeps its state under `$HOME`, and how its own
//! sandbox fits inside cordon's. `cordon run` selects a profile by the
//! command's file name (`codex`, `/usr/local/bin/claude`) or by `--agent
//! NAME`; `--agent none` applies none. What a profile does to a run:
//!
//! - **variables**: the profile's API variables that are set on the host are
//!   passed into the sandbox (the environment is otherwise scrubbed);
//! - **its own sandbox**: an agent that sandboxes its commands with
//!   bubblewrap (Codex; Claude Code when its `sandbox.enabled` is on) cannot
//!   do so inside cordon: Landlock forbids a landlocked process to mount or
//!   pivot_root, and cordon's seccomp table refuses new user namespaces. The
//!   profile inserts the agent's own switch after the program name so that
//!   it relies on cordon instead, unless the user chose a sandbox mode on the
//!   command line (then a warning says why it will fail);
//! - **hints**: when the agent's API is not reachable under the run's
//!   network policy, one line at start names the flag.
//!
//! A profile never widens the network or the filesystem: its destinations
//! are hints, and its state lives in cordon's home overlay like any other
//! write under `$HOME` (`cordon home`). `docs/AGENTS.md` is the user's side
//! of this table; `cordon init codex|aider|gemini` prints it for one agent.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// How an agent's own command sandbox fits inside cordon.
#[derive(Debug)]
pub struct Nested {
    /// What its sandbox is and why it cannot start inside cordon.
    pub why: &'static str,
    /// Arguments inserted after the program name: the agent's own switch
    /// that makes it rely on cordon's sandbox.
    pub args: &'static [&'static str],
    /// Options by which the user chooses the agent's sandbox (`-s MODE`,
    /// `--sandbox=MODE`, a config override `sandbox_mode=MODE`): when one is
    /// on the command line, nothing is inserted.
    pub chosen_by: &'static [&'static str],
    /// Whether such a choice is worth a warning: `Some(ok)` warns unless the
    /// option or its value contains one of `ok` (a choice of no sandbox
    /// works inside cordon); `None` never warns (the choice cannot be read
    /// from the command line, e.g. a settings file).
    pub warn_unless: Option<&'static [&'static str]>,
}

/// One agent.
#[derive(Debug)]
pub struct Profile {
    /// The name `--agent` and `cordon init` take.
    pub name: &'static str,
    /// What the agent is called in messages.
    pub title: &'static str,
    /// Program file names that select it (`.js`, `.cjs`, `.mjs`, `.exe` are
    /// ignored: npm installs `claude.exe` and `codex.js`).
    pub programs: &'static [&'static str],
    /// Its API destinations, as `--net` presets (the first is the default).
    pub presets: &'static [&'static str],
    /// Variables it reads for its API, passed into the sandbox when set.
    pub env: &'static [&'static str],
    /// Those of `env` that hold its API's base URL.
    pub base_url: &'static [&'static str],
    /// A configuration key that holds its API's base URL when given on the
    /// command line (`-c KEY=URL`, `--config KEY=URL`): Codex reads its base
    /// URL from its config, not from a variable.
    pub base_url_config: Option<&'static str>,
    /// Where it keeps its state, relative to `$HOME`.
    pub state: &'static [&'static str],
    /// Its own command sandbox, if it has one.
    pub nested: Option<Nested>,
}

/// The profiles cordon knows.
pub static PROFILES: &[Profile] = &[
    Profile {
        name: "claude",
        title: "Claude Code",
        programs: &["claude"],
        presets: &["anthropic"],
        env: &[
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "ANTHROPIC_BASE_URL",
            "ANTHROPIC_MODEL",
            "ANTHROPIC_SMALL_FAST_MODEL",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
        ],
        base_url: &["ANTHROPIC_BASE_URL"],
        base_url_config: None,
        state: &[".claude", ".claude.json"],
        nested: Some(Nested {
            why: "Claude Code's sandboxed Bash (settings `sandbox.enabled`) runs each command in \
                  bubblewrap, which needs a new user namespace and mounts",
            args: &["--settings", r#"{"sandbox":{"enabled":false}}"#],
            chosen_by: &["--settings"],
            warn_unless: None,
        }),
    },
    Profile {
        name: "codex",
        title: "Codex CLI",
        programs: &["codex"],
        presets: &["openai"],
        env: &["OPENAI_API_KEY", "CODEX_API_KEY"],
        base_url: &[],
        base_url_config: Some("openai_base_url"),
        state: &[".codex"],
        nested: Some(Nested {
            why: "Codex runs each command in bubblewrap (its read-only and workspace-write \
                  modes), which needs a new user namespace and mounts",
            args: &["-c", r#"sandbox_mode="danger-full-access""#],
            chosen_by: &[
                "-s",
                "--sandbox",
                "--full-auto",
                "--dangerously-bypass-approvals-and-sandbox",
                "--yolo",
                "sandbox_mode",
            ],
            warn_unless: Some(&[
                "danger-full-access",
                "--dangerously-bypass-approvals-and-sandbox",
                "--yolo",
            ]),
        }),
    },
    Profile {
        name: "aider",
        title: "Aider",
        programs: &["aider"],
        presets: &["openai", "anthropic", "google"],
        env: &[
            "OPENAI_API_KEY",
            "OPENAI_API_BASE",
            "ANTHROPIC_API_KEY",
            "GEMINI_API_KEY",
            "OLLAMA_API_BASE",
            "AIDER_MODEL",
        ],
        base_url: &["OPENAI_API_BASE", "OLLAMA_API_BASE"],
        base_url_config: None,
        state: &[".aider", ".aider.conf.yml"],
        nested: None,
    },
    Profile {
        name: "gemini",
        title: "Gemini CLI",
        programs: &["gemini"],
        presets: &["google"],
        env: &[
            "GEMINI_API_KEY",
            "GOOGLE_API_KEY",
            "GOOGLE_GEMINI_BASE_URL",
            "GOOGLE_CLOUD_PROJECT",
        ],
        base_url: &["GOOGLE_GEMINI_BASE_URL"],
        base_url_config: None,
        state: &[".gemini"],
        nested: None,
    },
];

/// The profile called `name`.
pub fn find(name: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.name == name)
}

/// The names `--agent` takes, for messages.
pub fn names() -> String {
    let mut v: Vec<&str> = PROFILES.iter().map(|p| p.name).collect();
    v.push("none");
    v.join(", ")
}

/// The profile a command selects by its program's file name.
pub fn for_program(program: &std::ffi::OsStr) -> Option<&'static Profile> {
    let stem = program_stem(program)?;
    PROFILES.iter().find(|p| p.programs.contains(&stem))
}

/// A program's file name without the extensions npm gives agents.
fn program_stem(program: &std::ffi::OsStr) -> Option<&str> {
    let file = std::path::Path::new(program).file_name()?.as_bytes();
    let file = std::str::from_utf8(file).ok()?;
    Some(
        [".js", ".cjs", ".mjs", ".exe"]
            .iter()
            .find_map(|ext| file.strip_suffix(ext))
            .unwrap_or(file),
    )
}

/// Where the agent's own arguments start: after the first word that names
/// the agent's program (`codex`, `npx @openai/codex`, `node .../codex.js`).
fn agent_position(profile: &Profile, argv: &[OsString]) -> Option<usize> {
    argv.iter()
        .position(|a| program_stem(a).is_some_and(|s| profile.programs.contains(&s)))
        .map(|i| i + 1)
}

/// What a profile does to one run.
#[derive(Debug)]
pub struct Applied {
    pub profile: &'static Profile,
    /// The command, with the agent's own switch inserted when it applies.
    pub argv: Vec<OsString>,
    /// Variables to pass (names of the profile's variables set on the host).
    pub env: Vec<&'static str>,
    /// What was done to its own sandbox, for `-v` and the journal.
    pub nested: Option<String>,
    /// Lines to print at start.
    pub warnings: Vec<String>,
}

/// Apply `profile` to `argv` (the command as given) with `is_set` telling
/// which variables the host has.
pub fn apply(
    profile: &'static Profile,
    argv: &[OsString],
    is_set: impl Fn(&str) -> bool,
) -> Applied {
    let env: Vec<&'static str> = profile.env.iter().copied().filter(|v| is_set(v)).collect();
    let mut out = argv.to_vec();
    let mut nested = None;
    let mut warnings = Vec::new();
    if let Some(n) = &profile.nested {
        match chosen(n, argv) {
            Some(shown) => {
                let fine = n
                    .warn_unless
                    .is_none_or(|ok| ok.iter().any(|k| shown.contains(k)));
                if !fine {
                    warnings.push(format!(
                        "{} is told to use its own sandbox (`{shown}`): {}, which a process \
                         inside cordon cannot do, so its commands will fail. Drop the option to \
                         let cordon run it as `{}`, or pass --agent none to run it as given",
                        profile.title,
                        n.why,
                        n.args.join(" ")
                    ));
                }
            }
            None => match agent_position(profile, argv) {
                Some(at) => {
                    out.splice(at..at, n.args.iter().map(OsString::from));
                    nested = Some(format!(
                        "{} relies on cordon's sandbox: `{}` inserted after the program ({}, \
                     which a process inside cordon cannot do)",
                        profile.title,
                        n.args.join(" "),
                        n.why
                    ));
                }
                None => warnings.push(format!(
                    "cannot tell where {}'s own arguments start in this command, so its own \
                     sandbox is left on: {}, which a process inside cordon cannot do. Pass `{}` \
                     to it yourself",
                    profile.title,
                    n.why,
                    n.args.join(" ")
                )),
            },
        }
    }
    Applied {
        profile,
        argv: out,
        env,
        nested,
        warnings,
    }
}

/// The first option of `argv` (after the program) by which the user chose
/// the agent's sandbox, with its value, as written.
fn chosen(n: &Nested, argv: &[OsString]) -> Option<String> {
    let args: Vec<&str> = argv.iter().skip(1).filter_map(|a| a.to_str()).collect();
    for (i, a) in args.iter().enumerate() {
        let bare = a.strip_prefix("--config=").unwrap_or(a);
        for c in n.chosen_by {
            if *a == *c && c.starts_with('-') {
                // Options that take a value: show it with them.
                let takes_value = ["-s", "--sandbox", "--settings"].contains(c);
                return Some(match args.get(i + 1) {
                    Some(v) if takes_value => format!("{a} {v}"),
                    _ => a.to_string(),
                });
            }
            if bare.starts_with(&format!("{c}=")) {
                return Some(a.to_string());
            }
        }
    }
    None
}

/// Where an agent's API is, as far as the command line and the environment
/// tell.
#[derive(Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// A host and port reached through the proxy.
    Remote(String, u16),
    /// The host's loopback (`127.0.0.1:PORT` as `--allow-domain` takes it):
    /// `cordon run`'s loopback hints say when no forward serves it.
    Loopback(String),
}

/// The base URL given on the agent's command line (`-c KEY=URL`,
/// `--config=KEY=URL`), as written, without quotes.
pub fn base_url_arg<'a>(profile: &Profile, argv: &'a [OsString]) -> Option<&'a str> {
    let prefix = format!("{}=", profile.base_url_config?);
    argv.iter()
        .filter_map(|a| a.to_str())
        .map(|a| a.strip_prefix("--config=").unwrap_or(a))
        .find_map(|a| a.strip_prefix(prefix.as_str()))
        .map(|v| v.trim_matches(['"', '\'']))
}

/// The agent's API: a base URL on its command line (`-c KEY=URL`), else in
/// one of its variables, else the first host of its first preset on 443.
pub fn api_endpoint(
    profile: &Profile,
    var: impl Fn(&str) -> Option<String>,
    argv: &[OsString],
) -> Option<Endpoint> {
    let endpoint = |url: &str| {
        let (h, port) = url_host(url)?;
        Some(match loopback_authority(url) {
            Some(a) => Endpoint::Loopback(a),
            None => Endpoint::Remote(h, port),
        })
    };
    if let Some(url) = base_url_arg(profile, argv) {
        return endpoint(url);
    }
    for v in profile.base_url {
        if let Some(url) = var(v).filter(|u| !u.trim().is_empty()) {
            return endpoint(&url);
        }
    }
    let preset = cordon_net::presets::find(profile.presets.first()?)?;
    Some(Endpoint::Remote(preset.hosts.first()?.to_string(), 443))
}

/// `127.0.0.1:PORT` (as `--allow-domain` takes it) when `url` points at the
/// host's loopback.
pub fn loopback_authority(url: &str) -> Option<String> {
    let (host, port) = url_host(url)?;
    is_loopback_name(&host).then(|| format!("{host}:{port}"))
}

fn is_loopback_name(h: &str) -> bool {
    let h = h.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// `scheme://host[:port]/...` -> host and port (default by scheme).
fn url_host(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let default = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        _ => return None,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if let Some(v6) = authority.strip_prefix('[') {
        let (ip, tail) = v6.split_once(']')?;
        let port = match tail.strip_prefix(':') {
            Some(p) => p.parse().ok()?,
            None => default,
        };
        return Some((format!("[{ip}]"), port));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Some((h.to_string(), p.parse().ok()?)),
        None => Some((authority.to_string(), default)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn programs_select_by_file_name() {
        for (prog, want) in [
            ("codex", Some("codex")),
            ("/usr/local/bin/codex", Some("codex")),
            ("node_modules/@openai/codex/bin/codex.js", Some("codex")),
            ("claude", Some("claude")),
            ("/opt/claude-code/bin/claude.exe", Some("claude")),
            ("gemini", Some("gemini")),
            ("aider", Some("aider")),
            ("codexx", None),
            ("bash", None),
            ("", None),
        ] {
            assert_eq!(
                for_program(std::ffi::OsStr::new(prog)).map(|p| p.name),
                want,
                "{prog}"
            );
        }
    }

    #[test]
    fn every_profile_is_consistent() {
        for p in PROFILES {
            assert!(!p.programs.is_empty(), "{}", p.name);
            for preset in p.presets {
                assert!(
                    cordon_net::presets::find(preset).is_some(),
                    "{}: {preset}",
                    p.name
                );
            }
            for b in p.base_url {
                assert!(p.env.contains(b), "{}: {b} is passed", p.name);
            }
            assert_eq!(find(p.name).map(|f| f.name), Some(p.name));
        }
    }

    #[test]
    fn codex_is_told_to_rely_on_cordon_unless_the_user_chose() {
        let codex = find("codex").unwrap();
        let a = apply(codex, &os(&["codex", "exec", "hi"]), |_| false);
        assert_eq!(
            a.argv,
            os(&[
                "codex",
                "-c",
                r#"sandbox_mode="danger-full-access""#,
                "exec",
                "hi"
            ])
        );
        assert!(a.nested.is_some() && a.warnings.is_empty());
        for chosen in [
            &["codex", "-s", "workspace-write"][..],
            &["codex", "exec", "--sandbox=read-only", "x"],
            &["codex", "--full-auto"],
            &["codex", "-c", "sandbox_mode=\"read-only\""],
        ] {
            let a = apply(codex, &os(chosen), |_| false);
            assert_eq!(a.argv, os(chosen), "{chosen:?}: left as given");
            assert_eq!(a.warnings.len(), 1, "{chosen:?}");
            assert!(a.warnings[0].contains("--agent none"));
        }
        // No sandbox chosen by the user: works inside cordon, nothing to say.
        for fine in [
            &[
                "codex",
                "--dangerously-bypass-approvals-and-sandbox",
                "exec",
                "x",
            ][..],
            &["codex", "-s", "danger-full-access"],
        ] {
            let a = apply(codex, &os(fine), |_| false);
            assert_eq!(a.argv, os(fine));
            assert!(a.warnings.is_empty(), "{fine:?}");
        }
        // Started through another program: inserted after the agent's name.
        let a = apply(
            codex,
            &os(&["npx", "-y", "@openai/codex", "exec", "x"]),
            |_| false,
        );
        assert_eq!(
            a.argv[..5],
            os(&[
                "npx",
                "-y",
                "@openai/codex",
                "-c",
                r#"sandbox_mode="danger-full-access""#
            ])[..]
        );
        let a = apply(codex, &os(&["./run-agent.sh", "exec"]), |_| false);
        assert_eq!(a.argv, os(&["./run-agent.sh", "exec"]));
        assert!(
            a.warnings[0].contains("cannot tell where"),
            "{:?}",
            a.warnings
        );
        // A prompt that mentions an option is not a choice.
        let a = apply(
            codex,
            &os(&["codex", "exec", "why is sandbox_mode -s set?"]),
            |_| false,
        );
        assert_eq!(a.argv.len(), 5);
    }

    #[test]
    fn only_variables_set_on_the_host_are_passed() {
        let claude = find("claude").unwrap();
        let a = apply(claude, &os(&["claude"]), |v| v == "ANTHROPIC_BASE_URL");
        assert_eq!(a.env, vec!["ANTHROPIC_BASE_URL"]);
        assert_eq!(a.argv[1], "--settings");
    }

    #[test]
    fn the_api_endpoint_follows_the_base_url() {
        use Endpoint::*;
        let codex = find("codex").unwrap();
        let none = |_: &str| None;
        let plain = os(&["codex"]);
        let remote = |h: &str, p| Some(Remote(h.into(), p));
        assert_eq!(
            api_endpoint(codex, none, &plain),
            remote("api.openai.com", 443)
        );
        // Codex takes its base URL from its config on the command line.
        let gw = os(&[
            "codex",
            "-c",
            r#"openai_base_url="http://llm.corp.example:8080/v1""#,
        ]);
        assert_eq!(
            api_endpoint(codex, none, &gw),
            remote("llm.corp.example", 8080)
        );
        let local = os(&[
            "codex",
            "--config=openai_base_url=http://127.0.0.1:9000/v1",
            "exec",
        ]);
        assert_eq!(
            api_endpoint(codex, none, &local),
            Some(Loopback("127.0.0.1:9000".into()))
        );
        // Claude Code from its variable.
        let claude = find("claude").unwrap();
        for (url, want) in [
            (
                "http://llm.corp.example:8080",
                remote("llm.corp.example", 8080),
            ),
            (
                "http://localhost:11434",
                Some(Loopback("localhost:11434".into())),
            ),
            ("http://[::1]:1/", Some(Loopback("[::1]:1".into()))),
        ] {
            let var = |_: &str| Some(url.to_string());
            assert_eq!(api_endpoint(claude, var, &os(&["claude"])), want, "{url}");
        }
    }
}
