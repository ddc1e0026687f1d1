//! The risk table: commands, their subcommands and flags, and the paths that
//! matter. Data, not code: `classify.rs` reads it, the tests below pin it.
//!
//! Each command row reads `"name": CLASSES, PATHS [, subs [...]] [, flags [...]]
//! [, modes [...]] [, out [...]];` where
//! - CLASSES are the effect classes of the command when no subcommand matches,
//! - PATHS says what the command does to its path arguments (`Read`, `Write`,
//!   `Delete`, `WriteLast` for copy-like commands, `NoPaths`),
//! - `subs` replace the classes when the first words after the options match
//!   (`"push"`, `"auth token"`),
//! - `flags` add classes when present (`"-d"` also matches inside `-abd`;
//!   `"push --force"` only for that subcommand; `"--data"` also `--data=x`),
//! - `modes` change PATHS when a flag is present (`find -delete`),
//! - `out` are flags whose value is a path that is written (`-o FILE`),
//! - `runs` is the option grammar of what the command runs or loads: options,
//!   arguments and subcommands whose value is a command line, a script or a
//!   file of code, each with how to read it ([`Runs`]; `exec.rs` applies it).
//!
//! The table is a sorted static slice: nothing is built at start-up.

use crate::class::ClassSet;
use crate::class::RiskClass::*;

/// What a command does to the paths among its arguments.
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Paths {
    NoPaths,
    Read,
    Write,
    Delete,
    /// Reads all but the last path, writes the last (`cp`, `mv`, `scp`).
    WriteLast,
}
use Paths::*;

/// One row of the command table.
#[derive(Debug)]
pub struct Spec {
    pub name: &'static str,
    pub classes: ClassSet,
    pub paths: Paths,
    pub subs: &'static [(&'static str, ClassSet)],
    pub flags: &'static [(&'static str, ClassSet)],
    pub modes: &'static [(&'static str, Paths)],
    pub out: &'static [&'static str],
    pub runs: &'static [(&'static str, Runs)],
}

/// How an option, argument or environment variable makes a program run code.
///
/// Keys of a `runs` table: `-x` (value attached, next word, or last letter of
/// a cluster `-avze CMD`), `--long` (`--long=V` or `--long V`), `-long` (one
/// dash, `-TT V`), a key ending in `=` or `:` (a word that starts with it:
/// `SHELL=V`, `-javaagent:V`, `ext::V`), `+` (a word `+V`), `""` (the first
/// operand, when no option gave the script), `"sub -x"` (the option of a
/// subcommand, for commands with `subs`), `"sub word"` (the words after the
/// subcommand `sub word`, joined: `git bisect run CMD...`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Runs {
    /// Takes a value that runs nothing (listed so the grammar can skip it).
    Value,
    /// Takes a value only when attached (`sed -i.bak`, `xargs -i{}`).
    Attached,
    /// A shell command line (or a program with its arguments): analysed as if it ran.
    Shell,
    /// LESSOPEN's preprocessor: `|cmd %s`, `||cmd %s`, `-cmd`; the command runs.
    LessOpen,
    /// Prompt text: its `$(...)` and backquotes run each time it is shown.
    Prompt,
    /// tar's checkpoint action: `exec=CMD` runs CMD.
    Checkpoint,
    /// `key=value` git configuration: keys in [`GIT_CODE_KEYS`] run their value.
    GitConfig,
    /// `git config KEY VALUE`: stores configuration that runs code later.
    GitConfigWrite,
    /// An ssh option (`ProxyCommand=CMD`, `LocalCommand CMD`).
    SshOption,
    /// An editor command (`vim -c`, `+cmd`): `!cmd` runs a shell command.
    EditorCmd,
    /// A pager's start-up command (`less +cmd`): `!cmd` runs a shell command.
    PagerCmd,
    /// A sed script: `e`, `s///e` run commands, `w` writes and `r` reads files.
    Sed,
    /// An awk program: `system()`, `|`, `|&` and `| getline` run commands,
    /// `>` writes and `getline <` reads files.
    Awk,
    /// A file or directory of code the program loads or runs: judged by where it is.
    Code,
    /// A `:`-separated list of directories or files of code (`PYTHONPATH`).
    CodePath,
    /// A directory or file of configuration that can name commands (a git
    /// repository, a home directory, an ssh config): judged like code outside
    /// the workspace, the project's own inside it.
    Config,
    /// git's `--config-env=KEY=VAR`: configuration taken from a variable.
    GitConfigEnv,
    /// Options for another program, read with that program's grammar (`NODE_OPTIONS`).
    Options(&'static [(&'static str, Runs)]),
    /// Code cordon cannot read in advance (`make --eval` text, `PERL5OPT`).
    Opaque,
}

const RO: ClassSet = ClassSet::of(&[ReadOnly]);
const WW: ClassSet = ClassSet::of(&[WriteWorkspace]);
const WO: ClassSet = ClassSet::of(&[WriteOutside]);
const RC: ClassSet = ClassSet::of(&[RunsCode]);
const INS: ClassSet = ClassSet::of(&[Install]);
const INSRC: ClassSet = ClassSet::of(&[Install, RunsCode]);
const NR: ClassSet = ClassSet::of(&[NetRead]);
const NS: ClassSet = ClassSet::of(&[NetSend]);
const DES: ClassSet = ClassSet::of(&[Destructive]);
const PRIV: ClassSet = ClassSet::of(&[Privilege]);
const PERS: ClassSet = ClassSet::of(&[Persistence]);
const PRIVPERS: ClassSet = ClassSet::of(&[Privilege, Persistence]);
const CRED: ClassSet = ClassSet::of(&[Credential]);
const EVA: ClassSet = ClassSet::of(&[Evasion]);
const PRIVEVA: ClassSet = ClassSet::of(&[Privilege, Evasion]);
const DESPRIV: ClassSet = ClassSet::of(&[Destructive, Privilege]);
const UNK: ClassSet = ClassSet::of(&[Unknown]);

macro_rules! table {
    ($( $name:literal : $classes:expr, $paths:ident
        $(, subs $subs:expr)? $(, flags $flags:expr)? $(, modes $modes:expr)? $(, out $out:expr)?
        $(, runs $runs:expr)? ;)*) => {
        &[ $( Spec {
            name: $name,
            classes: $classes,
            paths: $paths,
            subs: table!(@opt $($subs)?),
            flags: table!(@opt $($flags)?),
            modes: table!(@opt $($modes)?),
            out: table!(@opt $($out)?),
            runs: table!(@opt $($runs)?),
        }, )* ]
    };
    (@opt) => { &[] };
    (@opt $e:expr) => { $e };
}

const GIT_SUBS: &[(&str, ClassSet)] = &[
    ("status", RO),
    ("log", RO),
    ("diff", RO),
    ("show", RO),
    ("branch", RO),
    ("tag", RO),
    ("blame", RO),
    ("grep", RO),
    ("ls-files", RO),
    ("ls-tree", RO),
    ("rev-parse", RO),
    ("describe", RO),
    ("shortlog", RO),
    ("reflog", RO),
    ("cat-file", RO),
    ("rev-list", RO),
    ("remote", RO),
    ("help", RO),
    ("version", RO),
    ("whatchanged", RO),
    ("bisect", WW),
    ("add", WW),
    ("commit", WW),
    ("checkout", WW),
    ("switch", WW),
    ("restore", WW),
    ("merge", WW),
    ("rebase", WW),
    ("stash", WW),
    ("cherry-pick", WW),
    ("revert", WW),
    ("init", WW),
    ("mv", WW),
    ("rm", WW),
    ("reset", WW),
    ("clean", WW),
    ("apply", WW),
    ("am", WW),
    ("notes", WW),
    ("worktree", WW),
    ("config", WW),
    ("gc", WW),
    ("format-patch", WW),
    ("remote add", WW),
    ("remote set-url", WW),
    ("mergetool", RC),
    ("difftool", RC),
    ("fetch", NR),
    ("pull", NR),
    ("clone", NR),
    ("ls-remote", NR),
    ("submodule", NR),
    ("archive", WW),
    ("push", NS),
    ("send-email", NS),
    ("credential", CRED),
    ("credential-store", CRED),
    ("filter-branch", DES),
];
const GIT_FLAGS: &[(&str, ClassSet)] = &[
    ("push --force", DES),
    ("push -f", DES),
    ("push --force-with-lease", DES),
    ("push --delete", DES),
    ("push -d", DES),
    ("push --mirror", DES),
    ("reset --hard", DES),
    ("clean -f", DES),
    ("clean --force", DES),
    ("branch -D", DES),
    ("stash drop", DES),
    ("stash clear", DES),
    ("checkout -f", DES),
    ("config --global", WO),
    ("config --system", PRIV),
    ("config core.hooksPath", PERS),
    ("config --get", RO),
    ("config credential.helper", CRED),
];
const GH_SUBS: &[(&str, ClassSet)] = &[
    ("auth token", CRED),
    ("auth status", RO),
    ("auth login", CRED),
    ("pr view", NR),
    ("pr list", NR),
    ("pr diff", NR),
    ("pr checks", NR),
    ("pr status", NR),
    ("issue view", NR),
    ("issue list", NR),
    ("repo view", NR),
    ("repo clone", NR),
    ("run view", NR),
    ("run list", NR),
    ("release view", NR),
    ("release list", NR),
    ("release download", NR),
    ("search", NR),
    ("api", NR),
    ("pr checkout", NR),
    ("secret", CRED),
    ("ssh-key", CRED),
    ("gpg-key", CRED),
];
const GH_FLAGS: &[(&str, ClassSet)] = &[
    ("api -X", NS),
    ("api --method", NS),
    ("api -f", NS),
    ("api -F", NS),
    ("api --input", NS),
];
const DOCKER_SUBS: &[(&str, ClassSet)] = &[
    ("ps", RO),
    ("images", RO),
    ("logs", RO),
    ("inspect", RO),
    ("version", RO),
    ("info", RO),
    ("build", RC),
    ("run", RC),
    ("exec", RC),
    ("create", RC),
    ("start", RC),
    ("compose", RC),
    ("pull", NR),
    ("push", NS),
    ("login", CRED),
    ("rm", WO),
    ("rmi", WO),
    ("kill", WO),
    ("stop", WO),
    ("cp", WO),
    ("system prune", DES),
    ("volume rm", DES),
    ("volume prune", DES),
];
const DOCKER_FLAGS: &[(&str, ClassSet)] = &[
    ("--privileged", EVA),
    ("--pid=host", EVA),
    ("--net=host", EVA),
    ("--network=host", EVA),
    ("--cap-add", EVA),
    ("--security-opt", EVA),
    ("--device", EVA),
    ("--userns=host", EVA),
    ("-v /:", EVA),
    ("--volume /:", EVA),
];
const KUBECTL_SUBS: &[(&str, ClassSet)] = &[
    ("get", RO),
    ("describe", RO),
    ("logs", RO),
    ("explain", RO),
    ("version", RO),
    ("top", RO),
    ("config view", RO),
    ("api-resources", RO),
    ("get secret", CRED),
    ("get secrets", CRED),
    ("auth can-i", RO),
    ("cluster-info", RO),
];
const KUBECTL_FLAGS: &[(&str, ClassSet)] = &[("config view --raw", CRED)];
const NPM_SUBS: &[(&str, ClassSet)] = &[
    ("install", INS),
    ("i", INS),
    ("add", INS),
    ("ci", INS),
    ("update", INS),
    ("upgrade", INS),
    ("up", INS),
    ("remove", WW),
    ("uninstall", WW),
    ("rm", WW),
    ("run", RC),
    ("run-script", RC),
    ("test", RC),
    ("t", RC),
    ("start", RC),
    ("build", RC),
    ("exec", INSRC),
    ("x", INSRC),
    ("dlx", INSRC),
    ("ls", RO),
    ("list", RO),
    ("why", RO),
    ("view", NR),
    ("info", NR),
    ("outdated", NR),
    ("audit", NR),
    ("search", NR),
    ("publish", NS),
    ("login", CRED),
    ("adduser", CRED),
    ("token", CRED),
    ("whoami", NR),
    ("config", WO),
    ("init", WW),
    ("pack", WW),
    ("version", RO),
    ("--version", RO),
    ("-v", RO),
    ("help", RO),
    ("lint", RC),
    ("format", RC),
    ("fmt", RC),
    ("typecheck", RC),
    ("dev", RC),
    ("serve", RC),
];
const PIP_SUBS: &[(&str, ClassSet)] = &[
    ("install", INS),
    ("uninstall", WW),
    ("list", RO),
    ("show", RO),
    ("freeze", RO),
    ("check", RO),
    ("download", NR),
    ("search", NR),
    ("wheel", INS),
    ("config", WO),
    ("--version", RO),
    ("help", RO),
];
const CARGO_SUBS: &[(&str, ClassSet)] = &[
    ("build", RC),
    ("b", RC),
    ("test", RC),
    ("t", RC),
    ("run", RC),
    ("r", RC),
    ("check", RC),
    ("c", RC),
    ("bench", RC),
    ("clippy", RC),
    ("fmt", WW),
    ("doc", RC),
    ("nextest", RC),
    ("install", INS),
    ("add", INS),
    ("update", INS),
    ("fetch", INS),
    ("generate-lockfile", INS),
    ("remove", WW),
    ("rm", WW),
    ("clean", WW),
    ("new", WW),
    ("init", WW),
    ("tree", RO),
    ("metadata", RO),
    ("search", NR),
    ("publish", NS),
    ("login", CRED),
    ("owner", NS),
    ("yank", NS),
    ("--version", RO),
    ("version", RO),
    ("help", RO),
    ("vendor", INS),
];
const GO_SUBS: &[(&str, ClassSet)] = &[
    ("build", RC),
    ("test", RC),
    ("run", RC),
    ("vet", RC),
    ("generate", RC),
    ("fmt", WW),
    ("get", INS),
    ("install", INS),
    ("mod download", INS),
    ("mod tidy", INS),
    ("mod", WW),
    ("env", RO),
    ("version", RO),
    ("list", RO),
    ("doc", RO),
    ("help", RO),
    ("clean", WW),
];
const PKG_SUBS: &[(&str, ClassSet)] = &[
    ("install", INS),
    ("reinstall", INS),
    ("add", INS),
    ("upgrade", INS),
    ("dist-upgrade", INS),
    ("groupinstall", INS),
    ("localinstall", INS),
    ("-S", INS),
    ("-Syu", INS),
    ("-U", INS),
    ("remove", WO),
    ("purge", WO),
    ("autoremove", WO),
    ("erase", WO),
    ("del", WO),
    ("-R", WO),
    ("uninstall", WO),
    ("search", RO),
    ("show", RO),
    ("list", RO),
    ("info", RO),
    ("policy", RO),
    ("depends", RO),
    ("rdepends", RO),
    ("provides", RO),
    ("whatprovides", RO),
    ("-Q", RO),
    ("-Ss", RO),
    ("update", NR),
    ("check-update", NR),
    ("makecache", NR),
    ("clean", WO),
    ("tap", NR),
    ("doctor", RO),
    ("outdated", NR),
    ("cask", INS),
    ("services", PERS),
];
const SYSTEMCTL_SUBS: &[(&str, ClassSet)] = &[
    ("status", RO),
    ("show", RO),
    ("list-units", RO),
    ("list-unit-files", RO),
    ("list-timers", RO),
    ("is-active", RO),
    ("is-enabled", RO),
    ("is-failed", RO),
    ("cat", RO),
    ("start", PRIV),
    ("restart", PRIV),
    ("reload", PRIV),
    ("try-restart", PRIV),
    ("enable", PRIVPERS),
    ("link", PRIVPERS),
    ("edit", PRIVPERS),
    ("daemon-reload", PRIVPERS),
    ("preset", PRIVPERS),
    ("stop", PRIVEVA),
    ("disable", PRIVEVA),
    ("mask", PRIVEVA),
    ("kill", PRIVEVA),
    ("isolate", PRIVEVA),
    ("reboot", DESPRIV),
    ("poweroff", DESPRIV),
    ("halt", DESPRIV),
];
const AWS_SUBS: &[(&str, ClassSet)] = &[
    ("sts", CRED),
    ("configure", CRED),
    ("secretsmanager", CRED),
    ("ssm get-parameter", CRED),
    ("ssm get-parameters", CRED),
    ("iam", PRIV),
    ("s3 ls", NR),
    ("s3 cp", NS),
    ("s3 sync", NS),
    ("ecr get-login-password", CRED),
];
const CURL_FLAGS: &[(&str, ClassSet)] = &[
    ("-d", NS),
    ("--data", NS),
    ("--data-binary", NS),
    ("--data-raw", NS),
    ("--data-urlencode", NS),
    ("-F", NS),
    ("--form", NS),
    ("-T", NS),
    ("--upload-file", NS),
    ("-X", NS),
    ("--request", NS),
    ("--json", NS),
];
const WGET_FLAGS: &[(&str, ClassSet)] = &[
    ("--post-data", NS),
    ("--post-file", NS),
    ("--method", NS),
    ("--body-data", NS),
    ("--body-file", NS),
];

use Runs::{Attached, Code, Shell, Value};

/// sed: the script from `-e`/`--expression`, or the first operand.
const SED_RUNS: &[(&str, Runs)] = &[
    ("", Runs::Sed),
    ("-e", Runs::Sed),
    ("--expression", Runs::Sed),
    ("-f", Code),
    ("--file", Code),
    ("-i", Attached),
    ("-l", Value),
    ("--line-length", Value),
];
/// awk family: the program from `-e`/`--source` (gawk), or the first operand.
const AWK_RUNS: &[(&str, Runs)] = &[
    ("", Runs::Awk),
    ("-e", Runs::Awk),
    ("--source", Runs::Awk),
    ("-f", Code),
    ("--file", Code),
    ("-i", Code),
    ("--include", Code),
    ("-l", Code),
    ("--load", Code),
    ("-E", Code),
    ("--exec", Code),
    ("-v", Value),
    ("--assign", Value),
    ("-F", Value),
    ("--field-separator", Value),
];
/// GNU tar.
const TAR_RUNS: &[(&str, Runs)] = &[
    ("--to-command", Shell),
    ("-I", Shell),
    ("--use-compress-program", Shell),
    ("--checkpoint-action", Runs::Checkpoint),
    ("-F", Shell),
    ("--info-script", Shell),
    ("--new-volume-script", Shell),
    ("--rsh-command", Shell),
    ("-f", Value),
    ("--file", Value),
    ("-C", Value),
    ("--directory", Value),
    ("-T", Value),
    ("--files-from", Value),
    ("-X", Value),
    ("--exclude-from", Value),
    ("-b", Value),
    ("-H", Value),
    ("-K", Value),
    ("-L", Value),
    ("-N", Value),
    ("-V", Value),
];
const RSYNC_RUNS: &[(&str, Runs)] = &[("-e", Shell), ("--rsh", Shell), ("--rsync-path", Shell)];
/// ssh and friends: options that run local commands, and the config file.
const SSH_RUNS: &[(&str, Runs)] = &[
    ("-o", Runs::SshOption),
    ("-F", Runs::Config),
    ("-B", Value),
    ("-b", Value),
    ("-c", Value),
    ("-D", Value),
    ("-E", Value),
    ("-e", Value),
    ("-I", Value),
    ("-i", Value),
    ("-J", Value),
    ("-L", Value),
    ("-l", Value),
    ("-m", Value),
    ("-O", Value),
    ("-p", Value),
    ("-Q", Value),
    ("-R", Value),
    ("-S", Value),
    ("-W", Value),
    ("-w", Value),
];
/// scp and sftp: `-S` names the program used instead of ssh.
const SCP_RUNS: &[(&str, Runs)] = &[
    ("-S", Shell),
    ("-o", Runs::SshOption),
    ("-F", Runs::Config),
    ("-i", Value),
    ("-P", Value),
    ("-c", Value),
    ("-l", Value),
    ("-J", Value),
];
const ZIP_RUNS: &[(&str, Runs)] = &[("-TT", Shell), ("--unzip-command", Shell)];
/// vi family: `-c`, `--cmd`, `+cmd` are editor commands; `-S`/`-u` load scripts.
const VIM_RUNS: &[(&str, Runs)] = &[
    ("-c", Runs::EditorCmd),
    ("--cmd", Runs::EditorCmd),
    ("+", Runs::EditorCmd),
    ("-S", Code),
    ("-u", Code),
];
const LESS_RUNS: &[(&str, Runs)] = &[("+", Runs::PagerCmd)];
const MAN_RUNS: &[(&str, Runs)] = &[
    ("-P", Shell),
    ("--pager", Shell),
    ("-H", Shell),
    ("--html", Shell),
];
/// make: recipes are the project's code (`RunsCode`); these change which.
const MAKE_RUNS: &[(&str, Runs)] = &[
    ("--eval", Runs::Opaque),
    ("-f", Code),
    ("--file", Code),
    ("--makefile", Code),
    ("-C", Code),
    ("--directory", Code),
    ("-I", Value),
    ("--include-dir", Value),
    ("-j", Attached),
    ("-l", Attached),
    ("-o", Value),
    ("-W", Value),
    ("SHELL=", Shell),
    (".SHELLFLAGS=", Runs::Opaque),
    ("MAKEFILES=", Code),
];
/// `env -S CMD` in every spelling (`-SCMD`, `-iS CMD`, `--split-string=CMD`).
const ENV_RUNS: &[(&str, Runs)] = &[
    ("-S", Shell),
    ("--split-string", Shell),
    ("-u", Value),
    ("--unset", Value),
    ("-C", Value),
    ("--chdir", Value),
];
/// git: global options before the subcommand, then the subcommand's own.
const GIT_RUNS: &[(&str, Runs)] = &[
    ("-c", Runs::GitConfig),
    ("--exec-path", Code),
    ("--git-dir", Runs::Config),
    ("-C", Runs::Config),
    ("--work-tree", Value),
    ("--namespace", Value),
    ("--config-env", Runs::GitConfigEnv),
    ("ext::", Shell),
    ("clone -u", Shell),
    ("clone --upload-pack", Shell),
    ("clone -c", Runs::GitConfig),
    ("clone --config", Runs::GitConfig),
    ("clone --template", Code),
    ("init --template", Code),
    ("fetch --upload-pack", Shell),
    ("pull --upload-pack", Shell),
    ("ls-remote -u", Shell),
    ("ls-remote --upload-pack", Shell),
    ("push --receive-pack", Shell),
    ("push --exec", Shell),
    ("archive --exec", Shell),
    ("rebase -x", Shell),
    ("rebase --exec", Shell),
    ("difftool -x", Shell),
    ("difftool --extcmd", Shell),
    ("bisect run", Shell),
    ("submodule foreach", Shell),
    ("config", Runs::GitConfigWrite),
];
/// Node's options that load code (`NODE_OPTIONS`).
const NODE_RUNS: &[(&str, Runs)] = &[
    ("--require", Code),
    ("-r", Code),
    ("--import", Code),
    ("--loader", Code),
    ("--experimental-loader", Code),
    ("--inspect", Runs::Opaque),
    ("--inspect-brk", Runs::Opaque),
];
/// The JVM's options that load code or run commands (`JAVA_TOOL_OPTIONS`).
const JAVA_RUNS: &[(&str, Runs)] = &[
    ("-javaagent:", Code),
    ("-agentpath:", Code),
    ("-XX:OnOutOfMemoryError=", Shell),
    ("-XX:OnError=", Shell),
    ("-Xbootclasspath/a:", Runs::CodePath),
    ("-Xbootclasspath/p:", Runs::CodePath),
];

/// Every known command, sorted by name (a test checks the order).
pub static COMMANDS: &[Spec] = table! {
    ".": RC, Read;
    "7z": WW, Write, flags &[("-p", DES)];
    ":": RO, NoPaths;
    "[": RO, NoPaths;
    "[[": RO, NoPaths;
    "ab": NS, NoPaths;
    "adduser": PRIVPERS, NoPaths;
    "ag": RO, Read;
    "agrep": RO, Read;
    "alias": RO, NoPaths;
    "ant": RC, NoPaths;
    "apk": INS, NoPaths, subs PKG_SUBS;
    "apparmor_parser": PRIVEVA, NoPaths;
    "apropos": RO, NoPaths;
    "apt": INS, NoPaths, subs PKG_SUBS;
    "apt-cache": RO, NoPaths;
    "apt-get": INS, NoPaths, subs PKG_SUBS;
    "ar": WW, Write;
    "arp": RO, NoPaths;
    "as": WW, Read, out &["-o"];
    "at": PERS, NoPaths;
    "auditctl": PRIVEVA, NoPaths;
    "awk": RO, Read, runs AWK_RUNS;
    "aws": NS, Read, subs AWS_SUBS;
    "az": NS, NoPaths, subs &[("account get-access-token", CRED), ("login", CRED)];
    "base32": RO, Read;
    "base64": RO, Read;
    "basename": RO, NoPaths;
    "bash": RC, Read;
    "bat": RO, Read;
    "batch": PERS, NoPaths;
    "bazel": RC, NoPaths;
    "bc": RO, NoPaths;
    "bg": RO, NoPaths;
    "bind": RO, NoPaths;
    "black": WW, Write, flags &[("--check", RO)];
    "blkdiscard": DESPRIV, NoPaths;
    "blkid": RO, NoPaths;
    "brew": INS, NoPaths, subs PKG_SUBS;
    "bsdtar": WW, Read, out &["-f", "--file"];
    "bun": RC, NoPaths, subs NPM_SUBS;
    "bundle": INS, NoPaths, subs &[("exec", RC), ("install", INS), ("list", RO)];
    "bunzip2": WW, Write;
    "bzcat": RO, Read;
    "bzip2": WW, Write;
    "c++": WW, Read, out &["-o"];
    "cal": RO, NoPaths;
    "capsh": PRIVEVA, NoPaths;
    "cargo": RC, NoPaths, subs CARGO_SUBS;
    "cat": RO, Read;
    "cc": WW, Read, out &["-o"];
    "cd": RO, NoPaths;
    "chattr": PRIVEVA, Write;
    "chcon": PRIVEVA, Write;
    "chgrp": WW, Write;
    "chmod": WW, Write;
    "chown": WW, Write;
    "chpasswd": PRIVPERS, NoPaths;
    "chroot": PRIVEVA, NoPaths;
    "chsh": PRIVPERS, NoPaths;
    "cksum": RO, Read;
    "clang": WW, Read, out &["-o"];
    "clear": RO, NoPaths;
    "cmake": RC, NoPaths;
    "cmp": RO, Read;
    "colrm": RO, NoPaths;
    "column": RO, Read;
    "comm": RO, Read;
    "command": RO, NoPaths;
    "composer": INS, NoPaths, subs &[("install", INS), ("require", INS), ("update", INS), ("run", RC), ("show", RO)];
    "compress": WW, Write;
    "convert": WW, WriteLast;
    "cordon": EVA, NoPaths, subs &[("check", RO), ("scan", RO), ("doctor", RO), ("report", RO), ("--help", RO), ("--version", RO)];
    "cp": WW, WriteLast, flags &[("--remove-destination", DES)];
    "cpio": WW, Write;
    "cpp": WW, Read, out &["-o"];
    "crontab": PERS, Write, flags &[("-l", RO), ("-r", DES)];
    "csh": RC, Read;
    "csplit": WW, Read;
    "csrutil": PRIVEVA, NoPaths;
    "curl": NR, Read, flags CURL_FLAGS, out &["-o", "--output", "-c", "--cookie-jar", "-D", "--dump-header"];
    "cut": RO, Read;
    "cygpath": RO, NoPaths;
    "date": RO, NoPaths, flags &[("-s", PRIV), ("--set", PRIV)];
    "dc": RO, NoPaths;
    "dd": WW, NoPaths;
    "declare": RO, NoPaths;
    "defaults": WO, NoPaths, subs &[("read", RO)];
    "deno": RC, NoPaths;
    "df": RO, NoPaths;
    "diff": RO, Read;
    "dig": NR, NoPaths;
    "dir": RO, Read;
    "dirname": RO, NoPaths;
    "disown": RO, NoPaths;
    "dmesg": RO, NoPaths, flags &[("-c", EVA), ("-C", EVA), ("--clear", EVA)];
    "dnf": INS, NoPaths, subs PKG_SUBS;
    "docker": RC, NoPaths, subs DOCKER_SUBS, flags DOCKER_FLAGS;
    "dos2unix": WW, Write;
    "dpkg": RO, Read, flags &[("-i", INS), ("--install", INS), ("-r", WO), ("-P", WO), ("--purge", WO)];
    "dscl": PRIV, NoPaths, subs &[("-read", RO), ("-list", RO)];
    "du": RO, Read;
    "echo": RO, NoPaths;
    "egrep": RO, Read;
    "emacs": WW, Write;
    "env": RO, NoPaths, runs ENV_RUNS;
    "eslint": RO, Read, flags &[("--fix", WW)];
    "eval": RO, NoPaths;
    "ex": WW, Write, runs VIM_RUNS;
    "exa": RO, Read;
    "exit": RO, NoPaths;
    "expand": RO, Read;
    "export": RO, NoPaths;
    "expr": RO, NoPaths;
    "eza": RO, Read;
    "factor": RO, NoPaths;
    "false": RO, NoPaths;
    "fd": RO, Read;
    "fdisk": DESPRIV, NoPaths, flags &[("-l", RO)];
    "ffmpeg": WW, WriteLast;
    "fg": RO, NoPaths;
    "fgrep": RO, Read;
    "file": RO, Read;
    "find": RO, Read, flags &[("-perm -4000", PRIV), ("-perm /4000", PRIV), ("-perm -2000", PRIV), ("-perm /2000", PRIV), ("-perm -6000", PRIV), ("-perm /6000", PRIV), ("-perm -u=s", PRIV), ("-perm /u=s", PRIV), ("-perm -g=s", PRIV), ("-perm /g=s", PRIV)], modes &[("-delete", Delete)], out &["-fprint", "-fprint0", "-fprintf", "-fls"];
    "finger": RO, NoPaths;
    "firewall-cmd": PRIVEVA, NoPaths;
    "fmt": RO, Read;
    "fold": RO, Read;
    "free": RO, NoPaths;
    "ftp": NS, NoPaths;
    "fuser": RO, NoPaths, flags &[("-k", WO)];
    "g++": WW, Read, out &["-o"];
    "gawk": RO, Read, runs AWK_RUNS;
    "gcc": WW, Read, out &["-o"];
    "gcloud": NS, NoPaths, subs &[("auth", CRED), ("secrets", CRED)];
    "gdb": PRIV, NoPaths;
    "gem": INS, NoPaths, subs &[("list", RO), ("search", NR), ("push", NS)];
    "getcap": RO, Read;
    "getconf": RO, NoPaths;
    "getent": RO, NoPaths, flags &[("shadow", CRED), ("gshadow", CRED)];
    "getfacl": RO, Read;
    "gh": NS, NoPaths, subs GH_SUBS, flags GH_FLAGS;
    "git": UNK, NoPaths, subs GIT_SUBS, flags GIT_FLAGS, runs GIT_RUNS;
    "gmake": RC, NoPaths, runs MAKE_RUNS;
    "gnutar": WW, Read, out &["-f", "--file"], runs TAR_RUNS;
    "go": RC, NoPaths, subs GO_SUBS;
    "gpasswd": PRIVPERS, NoPaths;
    "gpg": RO, Read, flags &[("--export-secret-keys", CRED), ("--export-secret-subkeys", CRED), ("--send-keys", NS), ("--recv-keys", NR)];
    "gradle": RC, NoPaths;
    "grep": RO, Read;
    "groupadd": PRIVPERS, NoPaths;
    "groups": RO, NoPaths;
    "gsed": RO, Read, modes &[("-i", Write), ("--in-place", Write)], runs SED_RUNS;
    "gtar": WW, Read, out &["-f", "--file"], runs TAR_RUNS;
    "gunzip": WW, Write;
    "gzcat": RO, Read;
    "gzip": WW, Write, flags &[("-c", RO), ("--stdout", RO), ("-l", RO), ("-t", RO)];
    "halt": DESPRIV, NoPaths;
    "hashcat": CRED, NoPaths;
    "hd": RO, Read;
    "hdparm": DESPRIV, NoPaths;
    "head": RO, Read;
    "helm": NS, NoPaths, subs &[("list", RO), ("template", RO), ("lint", RO)];
    "hexdump": RO, Read;
    "hexyl": RO, Read;
    "hg": UNK, NoPaths, subs &[("status", RO), ("log", RO), ("diff", RO), ("add", WW), ("commit", WW), ("pull", NR), ("clone", NR), ("push", NS)];
    "history": RO, NoPaths, flags &[("-c", EVA), ("-d", EVA), ("-w", EVA), ("-r", EVA)];
    "host": NR, NoPaths;
    "hostname": RO, NoPaths;
    "hostnamectl": PRIV, NoPaths, subs &[("status", RO)];
    "htop": RO, NoPaths;
    "hydra": CRED, NoPaths;
    "iconv": RO, Read, out &["-o"];
    "id": RO, NoPaths;
    "ifconfig": RO, NoPaths, flags &[("up", PRIV), ("down", PRIV), ("promisc", PRIVEVA), ("hw", PRIV), ("netmask", PRIV)];
    "info": RO, NoPaths;
    "insmod": PRIVEVA, Read;
    "install": WW, WriteLast;
    "ionice": RO, NoPaths;
    "ip": RO, NoPaths, flags &[("add", PRIV), ("del", PRIV), ("set", PRIV), ("flush", PRIV), ("netns", EVA)];
    "ip6tables": PRIVEVA, NoPaths, flags &[("-L", RO), ("-S", RO)];
    "ipcs": RO, NoPaths;
    "iptables": PRIVEVA, NoPaths, flags &[("-L", RO), ("-S", RO)];
    "jar": WW, Read;
    "java": RC, NoPaths;
    "javac": WW, Read;
    "jest": RC, NoPaths;
    "jobs": RO, NoPaths;
    "john": CRED, NoPaths;
    "join": RO, Read;
    "journalctl": RO, NoPaths, flags &[("--vacuum-time", EVA), ("--vacuum-size", EVA), ("--rotate", EVA), ("--flush", EVA)];
    "jq": RO, Read;
    "just": RC, NoPaths;
    "kextload": PRIVEVA, NoPaths;
    "kill": WO, NoPaths;
    "killall": WO, NoPaths;
    "kmod": PRIVEVA, NoPaths;
    "kubectl": NS, NoPaths, subs KUBECTL_SUBS, flags KUBECTL_FLAGS;
    "last": RO, NoPaths;
    "lastlog": RO, NoPaths;
    "launchctl": PERS, NoPaths, subs &[("list", RO), ("print", RO)];
    "lbzip2": WW, Write;
    "ldconfig": PRIV, NoPaths;
    "ldd": RO, Read;
    "less": RO, Read, runs LESS_RUNS;
    "let": RO, NoPaths;
    "ln": WW, WriteLast;
    "local": RO, NoPaths;
    "locate": RO, NoPaths;
    "logger": RO, NoPaths;
    "logname": RO, NoPaths;
    "look": RO, NoPaths;
    "losetup": PRIVEVA, NoPaths;
    "lpr": RO, Read;
    "ls": RO, Read;
    "lsattr": RO, Read;
    "lsblk": RO, NoPaths;
    "lscpu": RO, NoPaths;
    "lshw": RO, NoPaths;
    "lsmod": RO, NoPaths;
    "lsof": RO, NoPaths;
    "lsusb": RO, NoPaths;
    "lua": RC, Read;
    "lz4": WW, Write;
    "lzma": WW, Write;
    "lzop": WW, Write;
    "mail": NS, NoPaths;
    "make": RC, NoPaths, runs MAKE_RUNS;
    "man": RO, NoPaths, runs MAN_RUNS;
    "masscan": NS, NoPaths;
    "mawk": RO, Read, runs AWK_RUNS;
    "md5": RO, Read;
    "md5sum": RO, Read;
    "meson": RC, NoPaths;
    "mkdir": WW, Write;
    "mke2fs": DESPRIV, NoPaths;
    "mkfifo": WW, Write;
    "mkfs": DESPRIV, NoPaths;
    "mknod": PRIV, Write;
    "mkswap": DESPRIV, NoPaths;
    "mktemp": WW, NoPaths;
    "mmv": WW, Write;
    "mocha": RC, NoPaths;
    "modprobe": PRIVEVA, NoPaths;
    "mogrify": WW, Write;
    "more": RO, Read, runs LESS_RUNS;
    "mount": PRIVEVA, NoPaths;
    "mv": WW, WriteLast;
    "mvn": RC, NoPaths;
    "mypy": RO, Read;
    "mysql": NS, NoPaths;
    "mysqldump": NS, NoPaths;
    "nano": WW, Write;
    "nawk": RO, Read, runs AWK_RUNS;
    "nc": NS, NoPaths;
    "ncat": NS, NoPaths;
    "netcat": NS, NoPaths;
    "netstat": RO, NoPaths;
    "newgrp": PRIV, NoPaths;
    "nft": PRIVEVA, NoPaths, subs &[("list", RO)];
    "ninja": RC, NoPaths;
    "nl": RO, Read;
    "nm": RO, Read;
    "nmap": NS, NoPaths;
    "node": RC, Read;
    "nohup": RO, NoPaths;
    "nox": RC, NoPaths;
    "npm": RC, NoPaths, subs NPM_SUBS, runs &[("--script-shell", Shell)];
    "nproc": RO, NoPaths;
    "npx": INSRC, NoPaths;
    "nsenter": PRIVEVA, NoPaths;
    "nslookup": NR, NoPaths;
    "numfmt": RO, NoPaths;
    "nvim": WW, Write, runs VIM_RUNS;
    "objdump": RO, Read;
    "od": RO, Read;
    "open": RC, NoPaths;
    "openssl": RO, Read, subs &[("enc", DES), ("s_client", NS), ("s_server", NS), ("genrsa", WW), ("req", WW), ("genpkey", WW), ("pkcs12", CRED)];
    "osascript": UNK, Read;
    "parallel": RC, NoPaths;
    "parted": DESPRIV, NoPaths, flags &[("-l", RO)];
    "passwd": PRIVPERS, NoPaths;
    "paste": RO, Read;
    "patch": WW, Write;
    "pax": WW, Read;
    "pbcopy": RO, NoPaths;
    "pbpaste": RO, NoPaths;
    "pbzip2": WW, Write;
    "pdftotext": WW, Read;
    "perl": RC, Read;
    "pgrep": RO, NoPaths;
    "php": RC, Read;
    "pidof": RO, NoPaths;
    "pigz": WW, Write;
    "ping": NR, NoPaths;
    "ping6": NR, NoPaths;
    "pip": INS, NoPaths, subs PIP_SUBS;
    "pip3": INS, NoPaths, subs PIP_SUBS;
    "pipx": INS, NoPaths, subs &[("run", INSRC), ("list", RO)];
    "pixz": WW, Write;
    "pkexec": PRIV, NoPaths;
    "pkill": WO, NoPaths;
    "pnpm": RC, NoPaths, subs NPM_SUBS;
    "poetry": INS, NoPaths, subs &[("run", RC), ("install", INS), ("add", INS), ("show", RO), ("build", RC)];
    "popd": RO, NoPaths;
    "poweroff": DESPRIV, NoPaths;
    "pr": RO, Read;
    "prettier": RO, Read, flags &[("--write", WW), ("-w", WW)];
    "printenv": RO, NoPaths;
    "printf": RO, NoPaths;
    "ps": RO, NoPaths;
    "ps2pdf": WW, Read;
    "pstree": RO, NoPaths;
    "pushd": RO, NoPaths;
    "pv": RO, Read;
    "pwd": RO, NoPaths;
    "pytest": RC, NoPaths;
    "python": RC, Read;
    "python2": RC, Read;
    "python3": RC, Read;
    "rake": RC, NoPaths;
    "rar": WW, Read;
    "read": RO, NoPaths;
    "readelf": RO, Read;
    "readlink": RO, NoPaths;
    "readonly": RO, NoPaths;
    "realpath": RO, NoPaths;
    "reboot": DESPRIV, NoPaths;
    "rename": WW, Write;
    "renice": WO, NoPaths;
    "reset": RO, NoPaths;
    "rev": RO, Read;
    "rg": RO, Read;
    "rm": WW, Delete;
    "rmdir": WW, Delete;
    "rmmod": PRIVEVA, NoPaths;
    "route": RO, NoPaths, flags &[("add", PRIV), ("del", PRIV)];
    "rpm": RO, NoPaths, flags &[("-i", INS), ("-U", INS), ("-e", WO), ("--install", INS)];
    "rpm2cpio": RO, Read;
    "rspec": RC, NoPaths;
    "rsync": WW, WriteLast, flags &[("--delete", DES), ("--remove-source-files", DES)], runs RSYNC_RUNS;
    "ruby": RC, Read;
    "ruff": RO, Read, flags &[("--fix", WW), ("format", WW)];
    "rustc": WW, Read, out &["-o"];
    "rustfmt": WW, Write;
    "scp": NS, WriteLast, runs SCP_RUNS;
    "screen": RC, NoPaths, flags &[("-ls", RO), ("-list", RO), ("-r", RO)];
    "sed": RO, Read, modes &[("-i", Write), ("--in-place", Write)], runs SED_RUNS;
    "seq": RO, NoPaths;
    "service": PRIV, NoPaths, flags &[("status", RO), ("stop", PRIVEVA)];
    "set": RO, NoPaths;
    "setcap": PRIVPERS, Write;
    "setenforce": PRIVEVA, NoPaths;
    "setfacl": WW, Write;
    "sfdisk": DESPRIV, NoPaths;
    "sftp": NS, NoPaths, runs SCP_RUNS;
    "sh": RC, Read;
    "sha1sum": RO, Read;
    "sha224sum": RO, Read;
    "sha256sum": RO, Read;
    "sha384sum": RO, Read;
    "sha512sum": RO, Read;
    "shasum": RO, Read;
    "shift": RO, NoPaths;
    "shopt": RO, NoPaths;
    "shred": DES, Delete;
    "shuf": RO, Read;
    "shutdown": DESPRIV, NoPaths;
    "sleep": RO, NoPaths;
    "snap": INS, NoPaths, subs PKG_SUBS;
    "socat": NS, NoPaths;
    "sort": RO, Read, out &["-o", "--output"];
    "source": RC, Read;
    "spctl": PRIVEVA, NoPaths, flags &[("--status", RO), ("--assess", RO)];
    "split": WW, Read;
    "sqlite3": WW, Write;
    "ss": RO, NoPaths;
    "ssh": NS, NoPaths, runs SSH_RUNS;
    "ssh-add": CRED, Read;
    "ssh-copy-id": NS, NoPaths;
    "ssh-keygen": WW, NoPaths, out &["-f"];
    "ssh-keyscan": NR, NoPaths;
    "sshpass": CRED, NoPaths;
    "stat": RO, Read;
    "strace": PRIV, NoPaths;
    "strings": RO, Read;
    "su": PRIV, NoPaths;
    "sudo": PRIV, NoPaths, flags &[("-l", RO), ("-v", RO), ("-n", PRIV)];
    "sum": RO, Read;
    "svn": UNK, NoPaths, subs &[("status", RO), ("log", RO), ("diff", RO), ("info", RO), ("add", WW), ("update", NR), ("checkout", NR), ("commit", NS)];
    "swapoff": DESPRIV, NoPaths;
    "sync": RO, NoPaths;
    "sysctl": RO, NoPaths, flags &[("-w", PRIVEVA), ("-p", PRIVEVA), ("--write", PRIVEVA)];
    "systemctl": PRIV, NoPaths, subs SYSTEMCTL_SUBS;
    "systemd-run": PRIVPERS, NoPaths;
    "tac": RO, Read;
    "tail": RO, Read;
    "tar": WW, Read, out &["-f", "--file"], runs TAR_RUNS;
    "tcpdump": PRIV, NoPaths, out &["-w"];
    "tcsh": RC, Read;
    "tee": WW, Write;
    "telnet": NS, NoPaths;
    "terraform": NS, NoPaths, subs &[("fmt", WW), ("validate", RO), ("plan", NR), ("init", INS), ("show", RO)];
    "test": RO, NoPaths;
    "tftp": NS, NoPaths;
    "time": RO, NoPaths;
    "timedatectl": PRIV, NoPaths, subs &[("status", RO)];
    "tmux": RC, NoPaths, subs &[("ls", RO), ("list-sessions", RO), ("attach", RO)];
    "top": RO, NoPaths;
    "touch": WW, Write;
    "tox": RC, NoPaths;
    "tput": RO, NoPaths;
    "tr": RO, NoPaths;
    "trap": PERS, NoPaths, flags &[("-l", RO), ("-p", RO)];
    "tree": RO, Read, out &["-o"];
    "true": RO, NoPaths;
    "truncate": WW, Write;
    "tsc": WW, NoPaths;
    "tshark": PRIV, NoPaths;
    "tty": RO, NoPaths;
    "type": RO, NoPaths;
    "ufw": PRIVEVA, NoPaths, subs &[("status", RO)];
    "ulimit": RO, NoPaths;
    "umask": RO, NoPaths;
    "umount": PRIVEVA, NoPaths;
    "unalias": RO, NoPaths;
    "uname": RO, NoPaths;
    "uncompress": WW, Write;
    "unexpand": RO, Read;
    "uniq": RO, Read;
    "unlink": WW, Delete;
    "unrar": WW, Read;
    "unset": RO, NoPaths;
    "unshare": PRIVEVA, NoPaths;
    "unxz": WW, Write;
    "unzip": WW, Read, flags &[("-l", RO), ("-t", RO)];
    "unzstd": WW, Write;
    "update-rc.d": PRIVPERS, NoPaths;
    "uptime": RO, NoPaths;
    "useradd": PRIVPERS, NoPaths;
    "userdel": DESPRIV, NoPaths;
    "usermod": PRIVPERS, NoPaths;
    "users": RO, NoPaths;
    "uudecode": WW, Read;
    "uuencode": RO, Read;
    "uv": INS, NoPaths, subs &[("run", RC), ("pip install", INS), ("sync", INS), ("add", INS)];
    "vagrant": RC, NoPaths;
    "vi": WW, Write, runs VIM_RUNS;
    "view": RO, Read, runs VIM_RUNS;
    "vim": WW, Write, runs VIM_RUNS;
    "visudo": PRIVPERS, NoPaths;
    "vitest": RC, NoPaths;
    "vmstat": RO, NoPaths;
    "w": RO, NoPaths;
    "wait": RO, NoPaths;
    "wall": RO, NoPaths;
    "watch": RO, NoPaths;
    "wc": RO, Read;
    "wget": NR, Read, flags WGET_FLAGS, out &["-O", "--output-document", "-o", "--output-file", "-P", "--directory-prefix"];
    "whatis": RO, NoPaths;
    "whereis": RO, NoPaths;
    "which": RO, NoPaths;
    "who": RO, NoPaths;
    "whoami": RO, NoPaths;
    "whois": NR, NoPaths;
    "wipefs": DESPRIV, NoPaths;
    "xargs": RO, NoPaths;
    "xattr": WW, Write, flags &[("-d", EVA), ("-c", EVA)];
    "xclip": RO, NoPaths;
    "xmllint": RO, Read;
    "xsel": RO, NoPaths;
    "xxd": RO, Read;
    "xz": WW, Write;
    "xzcat": RO, Read;
    "yarn": RC, NoPaths, subs NPM_SUBS;
    "yes": RO, NoPaths;
    "yq": RO, Read;
    "yum": INS, NoPaths, subs PKG_SUBS;
    "zcat": RO, Read;
    "zegrep": RO, Read;
    "zenity": RO, NoPaths;
    "zfgrep": RO, Read;
    "zgrep": RO, Read;
    "zip": WW, WriteLast, flags &[("-e", DES), ("-P", DES), ("--encrypt", DES), ("--password", DES)], runs ZIP_RUNS;
    "zless": RO, Read;
    "zsh": RC, Read;
    "zstd": WW, Write, flags &[("-c", RO), ("--stdout", RO), ("-l", RO), ("-t", RO)];
    "zstdcat": RO, Read;
    "zypper": INS, NoPaths, subs PKG_SUBS;
};

/// Look a command up by name.
pub fn command(name: &str) -> Option<&'static Spec> {
    let lookup = |n: &str| {
        COMMANDS
            .binary_search_by(|s| s.name.cmp(n))
            .ok()
            .map(|i| &COMMANDS[i])
    };
    lookup(name).or_else(|| {
        // Versioned names: python3.12, pip3.11, mkfs.ext4, gcc-13.
        let base = name
            .split(['.', '-'])
            .next()
            .filter(|b| !b.is_empty() && *b != name)?;
        lookup(base).or_else(|| lookup(base.trim_end_matches(|c: char| c.is_ascii_digit())))
    })
}

/// A command that runs another command given as its arguments.
#[derive(Debug)]
pub struct Wrapper {
    pub name: &'static str,
    /// Options that take a value (`timeout -s KILL`).
    pub value_flags: &'static [&'static str],
    /// Positional words to skip before the command (`timeout 5`, `chroot DIR`).
    pub skip: usize,
    /// `NAME=value` words may precede the command (`env`).
    pub assignments: bool,
    /// Arguments are appended at run time (`xargs`).
    pub appends: bool,
    /// An option whose value is a shell string (`env -S`, `script -c`).
    pub script_flag: Option<&'static str>,
    /// Options are not parsed (`builtin`, `nohup`).
    pub no_options: bool,
}

const fn w(name: &'static str, value_flags: &'static [&'static str], skip: usize) -> Wrapper {
    Wrapper {
        name,
        value_flags,
        skip,
        assignments: false,
        appends: false,
        script_flag: None,
        no_options: false,
    }
}

/// Wrappers, sorted by name.
pub static WRAPPERS: &[Wrapper] = &[
    w("builtin", &[], 0),
    w("busybox", &[], 0),
    w("caffeinate", &["-t", "-w"], 0),
    w("chroot", &["--userspec", "--groups"], 1),
    w("chrt", &[], 1),
    w("command", &[], 0),
    w("doas", &["-u", "-C"], 0),
    Wrapper {
        assignments: true,
        script_flag: Some("-S"),
        ..w("env", &["-u", "--unset", "-C", "--chdir"], 0)
    },
    w("exec", &["-a"], 0),
    w(
        "flock",
        &["-w", "--timeout", "-E", "--conflict-exit-code"],
        1,
    ),
    w("gtimeout", &["-s", "--signal", "-k", "--kill-after"], 1),
    w("ionice", &["-c", "--class", "-n", "--classdata", "-p"], 0),
    w("ltrace", &["-o", "-e", "-p", "-s"], 0),
    w("nice", &["-n", "--adjustment"], 0),
    Wrapper {
        no_options: true,
        ..w("nohup", &[], 0)
    },
    w(
        "nsenter",
        &["-t", "--target", "-S", "-G", "--setuid", "--setgid"],
        0,
    ),
    Wrapper {
        appends: true,
        ..w("parallel", &["-j", "--jobs", "-S", "--sshlogin"], 0)
    },
    w("pkexec", &["--user"], 0),
    w("proxychains", &["-f"], 0),
    w("proxychains4", &["-f"], 0),
    w("runuser", &["-u", "-g", "-G", "--user", "--group"], 0),
    Wrapper {
        script_flag: Some("-c"),
        ..w("script", &["-t", "--timing", "-O", "--output"], 0)
    },
    w("setarch", &[], 1),
    w("setsid", &[], 0),
    w("stdbuf", &["-i", "-o", "-e"], 0),
    w("strace", &["-o", "-e", "-p", "-s", "-u"], 0),
    w(
        "sudo",
        &[
            "-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "--user", "--group", "--chdir",
            "--prompt",
        ],
        0,
    ),
    w("taskset", &[], 1),
    Wrapper {
        no_options: false,
        ..w("time", &["-f", "--format", "-o", "--output"], 0)
    },
    w("timeout", &["-s", "--signal", "-k", "--kill-after"], 1),
    w("torsocks", &[], 0),
    w(
        "unshare",
        &[
            "--map-user",
            "--map-group",
            "-S",
            "-G",
            "--setuid",
            "--setgid",
            "--propagation",
        ],
        0,
    ),
    Wrapper {
        appends: true,
        ..w(
            "xargs",
            &[
                "-I",
                "-n",
                "-P",
                "-d",
                "-L",
                "-s",
                "-E",
                "-a",
                "--max-args",
                "--delimiter",
                "--max-procs",
                "--arg-file",
                "--max-chars",
                "--process-slot-var",
            ],
            0,
        )
    },
];

/// The wrapper spec for `name`, if it is one.
pub fn wrapper(name: &str) -> Option<&'static Wrapper> {
    WRAPPERS
        .binary_search_by(|w| w.name.cmp(name))
        .ok()
        .map(|i| &WRAPPERS[i])
}

/// The path lists: `build.rs` compiles them into `classify`'s tables, so the
/// library itself reads only their tests and the security logs' directory.
#[cfg_attr(not(test), allow(dead_code))]
pub(crate) mod paths;
pub use paths::SECURITY_LOG_DIR;

/// Subcommands that compile and run the source file named after them, like
/// an interpreter runs a script (`go run /tmp/x.go`).
pub static SCRIPT_RUNNERS: &[(&str, &str)] = &[("bun", "run"), ("deno", "run"), ("go", "run")];

/// Commands that change who may read, write or run a file (mode, owner,
/// attributes, ACLs). Outside the workspace, even in the sandbox's own /tmp,
/// that is a change of access control: privilege.
pub static PERMISSION_COMMANDS: &[&str] =
    &["chattr", "chflags", "chgrp", "chmod", "chown", "setfacl"];

/// Commands whose output never ends, and devices that never run dry: unless
/// their output feeds a later stage of a pipeline (which stops reading) or a
/// `timeout` bounds them, they burn CPU or fill a disk.
pub static ENDLESS_COMMANDS: &[&str] = &["yes"];
pub static ENDLESS_DEVICES: &[&str] = &["/dev/zero", "/dev/urandom", "/dev/random", "/dev/full"];
/// Readers that copy an endless device until told to stop, and the option that
/// bounds them (`dd count=`).
pub static ENDLESS_READERS: &[(&str, &str)] = &[("cat", ""), ("dd", "count=")];

/// One environment variable that makes programs run commands or load code,
/// or changes how the shell runs (and whether it keeps a history).
#[derive(Debug)]
pub struct EnvVar {
    /// The name; `*` matches any text (`CARGO_TARGET_*_RUNNER`).
    pub name: &'static str,
    /// How its value runs code.
    pub runs: Runs,
    /// A class of its own, whatever the value (`LD_PRELOAD`: privilege).
    pub class: Option<crate::class::RiskClass>,
}

const fn ev(name: &'static str, runs: Runs) -> EnvVar {
    EnvVar {
        name,
        runs,
        class: None,
    }
}
const fn evc(name: &'static str, runs: Runs, class: crate::class::RiskClass) -> EnvVar {
    EnvVar {
        name,
        runs,
        class: Some(class),
    }
}

/// Execution through the environment: set as a prefix (`VAR=x cmd`), through
/// `env VAR=x cmd`, or with `export`/`declare -x`/`local`/`readonly`. A
/// command carried in the value is analysed as if it ran; code loaded from a
/// file or directory is judged by where it is.
pub static ENV_VARS: &[EnvVar] = &[
    // Pagers, editors, browsers: run by git, man, systemctl, psql, sudoedit...
    ev("PAGER", Shell),
    ev("GIT_PAGER", Shell),
    ev("MANPAGER", Shell),
    ev("SYSTEMD_PAGER", Shell),
    ev("PSQL_PAGER", Shell),
    ev("BAT_PAGER", Shell),
    ev("DELTA_PAGER", Shell),
    ev("EDITOR", Shell),
    ev("VISUAL", Shell),
    ev("GIT_EDITOR", Shell),
    ev("GIT_SEQUENCE_EDITOR", Shell),
    ev("SUDO_EDITOR", Shell),
    ev("SYSTEMD_EDITOR", Shell),
    ev("FCEDIT", Shell),
    ev("BROWSER", Shell),
    // Diff and merge tools, askpass helpers, transports.
    ev("GIT_EXTERNAL_DIFF", Shell),
    ev("GIT_ASKPASS", Shell),
    ev("SSH_ASKPASS", Shell),
    ev("SUDO_ASKPASS", Shell),
    ev("GIT_SSH", Shell),
    ev("GIT_SSH_COMMAND", Shell),
    ev("GIT_PROXY_COMMAND", Shell),
    ev("RSYNC_RSH", Shell),
    ev("RSYNC_CONNECT_PROG", Shell),
    ev("CVS_RSH", Shell),
    ev("npm_config_script_shell", Shell),
    ev("NPM_CONFIG_SCRIPT_SHELL", Shell),
    // git configuration given in the environment.
    ev("GIT_CONFIG_PARAMETERS", Runs::GitConfig),
    ev("GIT_CONFIG_KEY_*", Runs::GitConfig),
    ev("GIT_CONFIG", Runs::Config),
    ev("GIT_CONFIG_GLOBAL", Runs::Config),
    ev("GIT_CONFIG_SYSTEM", Runs::Config),
    ev("GIT_DIR", Runs::Config),
    // Where every program looks for its configuration (~/.gitconfig, ~/.npmrc...).
    ev("HOME", Runs::Config),
    ev("XDG_CONFIG_HOME", Runs::Config),
    ev("GIT_EXEC_PATH", Runs::CodePath),
    ev("GIT_TEMPLATE_DIR", Code),
    // less's input preprocessor.
    ev("LESSOPEN", Runs::LessOpen),
    ev("LESSCLOSE", Runs::LessOpen),
    // The shell itself.
    evc("BASH_ENV", Code, crate::class::RiskClass::Persistence),
    evc("ENV", Code, crate::class::RiskClass::Persistence),
    evc(
        "PROMPT_COMMAND",
        Shell,
        crate::class::RiskClass::Persistence,
    ),
    ev("PS0", Runs::Prompt),
    ev("PS1", Runs::Prompt),
    ev("PS2", Runs::Prompt),
    ev("PS3", Runs::Prompt),
    ev("PS4", Runs::Prompt),
    ev("SHELLOPTS", Runs::Opaque),
    ev("BASHOPTS", Runs::Opaque),
    // IFS splits only the results of expansions, which the analysis already
    // treats as unknown (`cat${IFS}x` is a command named at run time).
    ev("IFS", Value),
    ev("PATH", Runs::CodePath),
    evc("HISTCONTROL", Value, crate::class::RiskClass::Evasion),
    evc("HISTFILE", Value, crate::class::RiskClass::Evasion),
    evc("HISTFILESIZE", Value, crate::class::RiskClass::Evasion),
    evc("HISTIGNORE", Value, crate::class::RiskClass::Evasion),
    evc("HISTSIZE", Value, crate::class::RiskClass::Evasion),
    // The dynamic loader: injects code into every program started.
    evc(
        "LD_PRELOAD",
        Runs::CodePath,
        crate::class::RiskClass::Privilege,
    ),
    evc(
        "LD_AUDIT",
        Runs::CodePath,
        crate::class::RiskClass::Privilege,
    ),
    evc(
        "LD_LIBRARY_PATH",
        Runs::CodePath,
        crate::class::RiskClass::Privilege,
    ),
    evc(
        "DYLD_INSERT_LIBRARIES",
        Runs::CodePath,
        crate::class::RiskClass::Privilege,
    ),
    evc(
        "DYLD_LIBRARY_PATH",
        Runs::CodePath,
        crate::class::RiskClass::Privilege,
    ),
    evc(
        "GCONV_PATH",
        Runs::CodePath,
        crate::class::RiskClass::Privilege,
    ),
    // Interpreters' start-up code, module paths and options.
    ev("PYTHONPATH", Runs::CodePath),
    ev("PYTHONSTARTUP", Code),
    ev("PYTHONHOME", Runs::CodePath),
    ev("PERL5LIB", Runs::CodePath),
    ev("PERLLIB", Runs::CodePath),
    ev("PERL5OPT", Runs::Opaque),
    ev("PERL5DB", Runs::Opaque),
    ev("RUBYLIB", Runs::CodePath),
    ev("RUBYOPT", Runs::Opaque),
    ev("NODE_PATH", Runs::CodePath),
    ev("NODE_OPTIONS", Runs::Options(NODE_RUNS)),
    ev("JAVA_TOOL_OPTIONS", Runs::Options(JAVA_RUNS)),
    ev("_JAVA_OPTIONS", Runs::Options(JAVA_RUNS)),
    ev("JDK_JAVA_OPTIONS", Runs::Options(JAVA_RUNS)),
    ev("CLASSPATH", Runs::CodePath),
    ev("LUA_INIT", Runs::Opaque),
    ev("LUA_PATH", Runs::Opaque),
    ev("PHPRC", Code),
    ev("TAR_OPTIONS", Runs::Options(TAR_RUNS)),
    // Build tools: compilers, wrappers and runners are commands.
    ev("CC", Shell),
    ev("CXX", Shell),
    ev("CPP", Shell),
    ev("LD", Shell),
    ev("AR", Shell),
    ev("AS", Shell),
    ev("FC", Shell),
    ev("MAKE", Shell),
    ev("MAKEFLAGS", Runs::Options(MAKE_RUNS)),
    ev("GNUMAKEFLAGS", Runs::Options(MAKE_RUNS)),
    ev("MFLAGS", Runs::Options(MAKE_RUNS)),
    ev("MAKEFILES", Runs::CodePath),
    ev("RUSTC", Shell),
    ev("RUSTDOC", Shell),
    ev("RUSTC_WRAPPER", Shell),
    ev("RUSTC_WORKSPACE_WRAPPER", Shell),
    ev("CARGO_BUILD_RUSTC_WRAPPER", Shell),
    ev("CARGO_TARGET_*_RUNNER", Shell),
    ev("CARGO_TARGET_*_LINKER", Shell),
];

/// Commands whose `NAME=value` arguments set variables (`export PAGER=x`).
/// (`alias` is not among them: a non-interactive shell does not expand
/// aliases, and one defined on a line takes effect only on later lines.)
pub static ASSIGN_COMMANDS: &[&str] = &[
    "declare", "export", "local", "readonly", "set", "typeset", "unset",
];

/// git configuration keys whose value runs: (pattern, how). Lower case; `*`
/// is a subsection (`filter.lfs.smudge`). An alias runs a shell command only
/// when it starts with `!`; boolean values of `pager.*` and `core.fsmonitor`
/// run nothing.
pub static GIT_CODE_KEYS: &[(&str, Runs)] = &[
    ("alias.*", Shell),
    ("browser.*.cmd", Shell),
    ("core.askpass", Shell),
    ("core.editor", Shell),
    ("core.fsmonitor", Shell),
    ("core.gitproxy", Shell),
    ("core.hookspath", Code),
    ("core.pager", Shell),
    ("core.sshcommand", Shell),
    ("credential.*.helper", Shell),
    ("credential.helper", Shell),
    ("diff.*.command", Shell),
    ("diff.*.textconv", Shell),
    ("diff.external", Shell),
    ("difftool.*.cmd", Shell),
    ("filter.*.clean", Shell),
    ("filter.*.process", Shell),
    ("filter.*.smudge", Shell),
    ("gpg.*.program", Shell),
    ("gpg.program", Shell),
    ("include.path", Runs::Config),
    ("includeif.*.path", Runs::Config),
    ("init.templatedir", Code),
    ("interactive.difffilter", Shell),
    ("man.*.cmd", Shell),
    ("merge.*.driver", Shell),
    ("mergetool.*.cmd", Shell),
    ("pager.*", Shell),
    ("protocol.ext.allow", Runs::Opaque),
    ("remote.*.receivepack", Shell),
    ("remote.*.uploadpack", Shell),
    ("sequence.editor", Shell),
    ("uploadpack.packobjectshook", Shell),
];

/// Commands whose options end at the first operand (what follows is another
/// command, or a subcommand with options of its own).
pub static OPTIONS_FIRST: &[&str] = &["env", "git", "sftp", "ssh"];

/// Searchers whose first operand is a pattern, not a file, unless one of these
/// options gives the pattern.
pub static PATTERN_FIRST: &[(&str, &[&str])] = &[
    ("ag", &[]),
    ("agrep", &["-e", "-f"]),
    ("egrep", &["-e", "--regexp", "-f", "--file"]),
    ("fgrep", &["-e", "--regexp", "-f", "--file"]),
    ("grep", &["-e", "--regexp", "-f", "--file"]),
    ("rg", &["-e", "--regexp", "-f", "--file"]),
    ("zegrep", &["-e", "--regexp", "-f", "--file"]),
    ("zfgrep", &["-e", "--regexp", "-f", "--file"]),
    ("zgrep", &["-e", "--regexp", "-f", "--file"]),
];

/// Words of environment variable names (split at `_`) that say they hold a
/// secret (`$GITHUB_TOKEN`, `$DB_PASSWORD`), and word pairs (`$AWS_ACCESS_KEY_ID`).
pub static SECRET_VARS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "CREDENTIALS",
    "APIKEY",
    "AUTH",
    "PAT",
];
pub static SECRET_VAR_PAIRS: &[(&str, &str)] = &[
    ("API", "KEY"),
    ("ACCESS", "KEY"),
    ("PRIVATE", "KEY"),
    ("SESSION", "KEY"),
    ("SIGNING", "KEY"),
];

/// Words that, searched for, reveal a hunt for secrets (`grep -r password /`).
pub static SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "credential",
    "api_key",
    "apikey",
    "private key",
    "private_key",
    "id_rsa",
    "id_ed25519",
    ".gnupg",
    ".ssh",
    ".aws",
    ".azure",
    "aws_access_key",
    "authorized_keys",
    "shadow",
    "BEGIN RSA",
    "BEGIN OPENSSH",
    ".kdbx",
    "keychain",
    "wallet",
    ".pem",
    "pass=",
    "pwd=",
    "login data",
    "cookies",
];

/// Names of security daemons whose processes or services must not be stopped.
pub static SECURITY_TOOLS: &[&str] = &[
    "auditd",
    "syslog",
    "rsyslog",
    "rsyslogd",
    "syslog-ng",
    "journald",
    "systemd-journald",
    "falcon",
    "falcond",
    "falcon-sensor",
    "osqueryd",
    "auditbeat",
    "sysmon",
    "clamd",
    "clamav",
    "apparmor",
    "selinux",
    "firewalld",
    "ufw",
    "iptables",
    "cbagentd",
    "cbdaemon",
    "wazuh",
    "ossec",
    "sentinelone",
    "sentineld",
    "cordon",
    "aide",
    "tripwire",
    "crowdstrike",
];

/// Words in inline code (`python -c`, `perl -e`, `awk`) that reveal its effects.
pub static INLINE_MARKERS: &[(&str, crate::class::RiskClass)] = &[
    ("socket", NetSend),
    ("urllib", NetSend),
    ("urlopen", NetSend),
    ("requests.", NetSend),
    ("http.client", NetSend),
    ("httplib", NetSend),
    ("fetch(", NetSend),
    ("IO::Socket", NetSend),
    ("LWP", NetSend),
    ("Net::", NetSend),
    ("/inet/", NetSend),
    ("TCPSocket", NetSend),
    ("net.connect", NetSend),
    ("require('net')", NetSend),
    ("require(\"net\")", NetSend),
    ("/dev/tcp/", NetSend),
    ("os.system", Opaque),
    ("subprocess", Opaque),
    ("popen", Opaque),
    ("system(", Opaque),
    ("exec(", Opaque),
    ("eval(", Opaque),
    ("child_process", Opaque),
    ("spawn", Opaque),
    ("pty", Opaque),
    ("b64decode", Opaque),
    ("decode_base64", Opaque),
    ("fromCharCode", Opaque),
    ("setuid", Privilege),
    ("setresuid", Privilege),
    ("/etc/shadow", Credential),
    ("environ", Credential),
    (".ssh/", Credential),
    ("getpass", Credential),
    ("ctypes", Opaque),
    ("mmap", Opaque),
    ("ptrace", Privilege),
    ("http.server", NetSend),
    ("SimpleHTTPServer", NetSend),
    ("do shell script", Opaque),
    ("display dialog", Credential),
    ("hidden answer", Credential),
    ("keystroke", Opaque),
    ("unlink", WriteWorkspace),
    ("rmtree", WriteWorkspace),
    ("open(", WriteWorkspace),
    ("`", Opaque),
    ("| getline", Opaque),
    ("print >", WriteWorkspace),
    ("printf >", WriteWorkspace),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::class::RiskClass;

    #[test]
    fn tables_are_sorted_and_unique() {
        for pair in COMMANDS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} !< {}",
                pair[0].name,
                pair[1].name
            );
        }
        for pair in WRAPPERS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} !< {}",
                pair[0].name,
                pair[1].name
            );
        }
    }

    #[test]
    fn wrappers_taking_assignments_have_a_runs_row() {
        for w in WRAPPERS.iter().filter(|w| w.assignments) {
            assert!(
                command(w.name).is_some_and(|s| !s.runs.is_empty()),
                "{}: exec::scan looks for its VAR=x words only in commands with runs",
                w.name
            );
        }
    }

    #[test]
    fn every_row_has_a_class() {
        for s in COMMANDS {
            assert!(!s.classes.is_empty(), "{}", s.name);
            for (k, c) in s.subs.iter().chain(s.flags) {
                assert!(!c.is_empty(), "{} {k}", s.name);
                assert!(!k.is_empty(), "{}", s.name);
            }
        }
    }

    #[test]
    fn security_logs_live_under_their_directory() {
        for p in paths::SECURITY_LOG_PATHS {
            assert!(
                p.starts_with(SECURITY_LOG_DIR) || format!("{p}/") == SECURITY_LOG_DIR,
                "{p}"
            );
        }
    }

    #[test]
    fn versioned_names_resolve() {
        assert_eq!(command("python3.12").unwrap().name, "python3");
        assert_eq!(command("mkfs.ext4").unwrap().name, "mkfs");
        assert_eq!(command("gcc-13").unwrap().name, "gcc");
        assert!(command("definitely-not-a-command").is_none());
    }

    #[test]
    fn families_have_the_expected_base_class() {
        let cases: &[(&str, RiskClass)] = &[
            ("ls", RiskClass::ReadOnly),
            ("grep", RiskClass::ReadOnly),
            ("curl", RiskClass::NetRead),
            ("scp", RiskClass::NetSend),
            ("sudo", RiskClass::Privilege),
            ("crontab", RiskClass::Persistence),
            ("mount", RiskClass::Evasion),
            ("mkfs", RiskClass::Destructive),
            ("make", RiskClass::RunsCode),
            ("npx", RiskClass::Install),
            ("hashcat", RiskClass::Credential),
        ];
        for (name, class) in cases {
            assert!(command(name).unwrap().classes.contains(*class), "{name}");
        }
    }
}
