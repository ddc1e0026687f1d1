#!/usr/bin/env bash
# bench/managed.sh: what a managed policy (/etc/cordon/managed.toml) costs at
# start-up and in the hook (issue #16: no more than 0.2 ms).
#
# Runs as root, in a private mount namespace (unshare -m) whose /etc is an
# overlay, so the real /etc is never touched. In that namespace hyperfine
# (-N, no shell) times, first without the file, then with a typical managed
# file (deny and ask rules, a [ceiling] with domains, presets and paths):
#   - `cordon --version` (start-up: the file is read before anything else),
#   - `cordon hook claude --no-journal --input pre.json` (a PreToolUse Bash event),
#   - `cordon check -- 'git status'`,
# and prints each median with and without the file and the difference; then
# (with valgrind) the instructions each process executes, which a busy
# machine does not change.
#
# Usage: sudo bench/managed.sh [RUNS]    (default 300; needs hyperfine, unshare, python3)
#        NO_BUILD=1 uses the release binary as last built.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS="${1:-300}"
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p cordon
BIN="$PWD/$REL/cordon"
T="$(mktemp -d -p "${TMPDIR:-/tmp}")"
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/ws" "$T/home" "$T/data" "$T/xdg" "$T/up" "$T/work"
export HOME="$T/home" XDG_CONFIG_HOME="$T/xdg" CORDON_DATA_DIR="$T/data" CLAUDE_PROJECT_DIR="$T/ws"
cat >"$T/pre.json" <<JSON
{"session_id":"bench-managed-1","transcript_path":"$T/t.jsonl","cwd":"$T/ws","permission_mode":"default",
 "hook_event_name":"PreToolUse","tool_name":"Bash",
 "tool_input":{"command":"git status --short && git diff --stat | tail -n 5","description":"Show changes"},
 "tool_use_id":"toolu_bench"}
JSON
cat >"$T/managed.toml" <<'TOML'
[permissions]
deny = ["Read(~/.ssh/**)", "Read(~/.aws/**)", "Bash(curl * | sh)", "Bash(wget * | sh)", "mcp__github__delete_repo"]
ask = ["Bash(git push *)", "Bash(npm publish *)"]

[sandbox]
max_procs = 2048

[ceiling]
domains = ["registries", "anthropic", "*.corp.example", "10.20.0.0/16", "127.0.0.1:11434"]
allow_rules = true
allow_degraded = false
allow_write = ["~/.cache", "/opt/toolchains"]
allow_read = []
live_widening = false
hook_mode = "enforce"
TOML

unshare -m env T="$T" BIN="$BIN" RUNS="$RUNS" bash -euo pipefail -c '
mount -t overlay overlay -o lowerdir=/etc,upperdir="$T/up",workdir="$T/work" /etc
mkdir -p /etc/cordon
cd "$T/ws"
run() {
  hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$T/$1.json" \
    -n "cordon --version" "$BIN --version" \
    -n "hook PreToolUse Bash --no-journal" "$BIN hook claude --no-journal --input $T/pre.json" \
    -n "check git status" "$BIN check -- '\''git status'\''" >/dev/null
}
"$BIN" hook claude --no-journal --input "$T/pre.json" | grep permissionDecision >/dev/null
run without
install -m 0644 -o root -g root "$T/managed.toml" /etc/cordon/managed.toml
"$BIN" hook claude --no-journal --input "$T/pre.json" | grep permissionDecision >/dev/null
"$BIN" doctor | grep "managed policy: in force" >/dev/null
run with
if command -v valgrind >/dev/null; then
  count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
    sed -n "s/.*Collected : \([0-9]*\).*/\1/p"; }
  for state in with without; do
    [ "$state" = without ] && rm /etc/cordon/managed.toml
    echo "instructions $state: version $(count "$BIN" --version)" \
      "hook $(count "$BIN" hook claude --no-journal --input "$T/pre.json")" >>"$T/instr.txt"
  done
fi
'

python3 - "$T" <<'PY'
import json, sys, os
t = sys.argv[1]
load = lambda n: {x["command"]: x for x in json.load(open(f"{t}/{n}.json"))["results"]}
a, b = load("without"), load("with")
print(f"{'command':<36} {'without':>10} {'with':>10} {'cost':>9}")
for name in a:
    m0, m1 = a[name]["median"] * 1e3, b[name]["median"] * 1e3
    print(f"{name:<36} {m0:8.3f}ms {m1:8.3f}ms {m1-m0:+7.3f}ms")
if os.path.exists(f"{t}/instr.txt"):
    print(open(f"{t}/instr.txt").read(), end="")
PY
