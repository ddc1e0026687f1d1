#!/usr/bin/env bash
# bench/agent.sh: a whole agent run's wall time, with and without cordon.
#
# The real Claude Code CLI (the version .ci/install pins) does a 10-step task
# (shell commands, file reads and writes, a git commit, a Python one-liner)
# driven by a scripted Messages API on loopback
# (crates/cordon/tests/fixtures/agents/anthropic_api.py), so the model costs
# nothing and every run does the same work. Side by side in one hyperfine run:
#   - bare:          claude -p on the host, no cordon at all;
#   - no-op hooks:   the same hook events installed with `true` as the command:
#                    what Claude Code itself pays to start a hook;
#   - hooks:         the same with cordon's hooks installed (`cordon init claude`):
#                    one `cordon hook claude` process per tool call and event;
#   - sandbox:       `cordon run --allow-domain 127.0.0.1:PORT -- claude -p`;
#   - sandbox+relay: the same with the hooks answered through `--hook-relay`,
#                    the full setup docs/AGENTS.md recommends.
# Each variant has its own workspace, reset before every run; the home and
# cordon's data directory are temporary.
#
# Usage: bench/agent.sh [RUNS]   (default 10; needs hyperfine, python3, and the
# agent CLIs: `bash .ci/install` or crates/cordon/tests/fixtures/agents/install.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS="${1:-10}"
cargo build --release -q -p cordon
BIN="$PWD/$REL/cordon"
AGENTS="${CORDON_AGENTS_DIR:-}"
if [ -z "$AGENTS" ]; then
  if [ "$(id -u)" = 0 ]; then AGENTS=/var/lib/cordon-tests/agents; else AGENTS="$PWD/target/agents"; fi
fi
CLAUDE="$AGENTS/node_modules/.bin/claude"
[ -x "$CLAUDE" ] || { echo "bench/agent.sh: $CLAUDE missing: run bash .ci/install" >&2; exit 2; }
# Not under /tmp: the sandbox's /tmp is private, so the workspaces must be elsewhere.
T="$(mktemp -d -p /var/tmp)"
API_PID=
cleanup() { [ -n "$API_PID" ] && kill $API_PID 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
mkdir -p "$T/home" "$T/data"
export HOME="$T/home" CORDON_DATA_DIR="$T/data" XDG_CONFIG_HOME="$T/home/.config"
python3 - "$T/script.json" <<'PY'
import json, sys
steps = [
    ("Bash", {"command": "mkdir -p w && echo hello > w/note.txt && cat w/note.txt", "description": "note"}),
    ("Read", {"file_path": "NOTE"}),
    ("Bash", {"command": "cd w && git init -q . && git add note.txt && git -c user.name=a -c user.email=a@a commit -qm note && git log --oneline | wc -l", "description": "commit"}),
    ("Write", {"file_path": "SRC", "content": "def add(a, b):\n    return a + b\n"}),
    ("Bash", {"command": "cd w && python3 -c 'import src; print(src.add(2, 3))'", "description": "run"}),
    ("Edit", {"file_path": "SRC", "old_string": "a + b", "new_string": "b + a"}),
    ("Bash", {"command": "grep -rn 'return' w | head -5", "description": "grep"}),
    ("Bash", {"command": "ls -la w && wc -c w/*", "description": "list"}),
    ("Bash", {"command": "cd w && git status --short && git diff --stat | tail -n 3", "description": "status"}),
    ("Read", {"file_path": "SRC"}),
]
json.dump({"steps": [{"tool": t, "input": i} for t, i in steps] + [{"text": "done"}]},
          open(sys.argv[1], "w"))
PY
# One workspace and one scripted API per variant (the file tools take
# absolute paths, so each variant's script names its own workspace).
API_PIDS=()
declare -A PORT
for v in bare noop hooks sandbox relay; do
  mkdir -p "$T/$v"
  sed -e "s#NOTE#$T/$v/w/note.txt#g" -e "s#SRC#$T/$v/w/src.py#g" "$T/script.json" >"$T/$v.json"
  python3 crates/cordon/tests/fixtures/agents/anthropic_api.py "$T/$v.json" "$T/$v.log" >"$T/$v.port" &
  API_PIDS+=($!)
  for _ in $(seq 100); do [ -s "$T/$v.port" ] && break; sleep 0.05; done
  PORT[$v]="$(cat "$T/$v.port")"
done
API_PID="${API_PIDS[*]}"
export ANTHROPIC_API_KEY=sk-ant-bench-not-a-key CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1
(cd "$T/hooks" && "$BIN" init claude --command "$BIN hook claude" >/dev/null)
(cd "$T/relay" && "$BIN" init claude --command "$BIN hook claude" >/dev/null)
mkdir -p "$T/noop/.claude"
sed "s#$BIN hook claude#true#g" "$T/hooks/.claude/settings.json" >"$T/noop/.claude/settings.json"
ARGS=(-p "Do the task." --output-format json --max-turns 30)
q() { printf '%q ' "$@"; }
# The command line of one variant, run in its workspace; it fails unless the
# agent finished the task.
cmd() {
  local v=$1 url="ANTHROPIC_BASE_URL=http://127.0.0.1:${PORT[$1]}" fwd="127.0.0.1:${PORT[$1]}" c
  case $v in
    bare|noop|hooks) c="env $url $(q "$CLAUDE" "${ARGS[@]}")" ;;
    sandbox) c="env $url $(q "$BIN" run --allow-domain "$fwd" -- "$CLAUDE" "${ARGS[@]}")" ;;
    relay) c="env $url $(q "$BIN" run --hook-relay --allow-domain "$fwd" -- "$CLAUDE" "${ARGS[@]}")" ;;
  esac
  echo "cd $T/$v && $c >$T/$v.out 2>$T/$v.err && grep -q '\"result\":\"done\"' $T/$v.out"
}
# Sanity: each variant completes the task once before timing.
for v in bare noop hooks sandbox relay; do
  rm -rf "$T/$v/w"
  bash -c "$(cmd $v)" || { echo "bench/agent.sh: $v did not finish the task:" >&2; cat "$T/$v.out" "$T/$v.err" >&2; exit 1; }
done
hyperfine --warmup 1 --runs "$RUNS" --export-json "$T/out.json" \
  -n bare --prepare "rm -rf $T/bare/w" "$(cmd bare)" \
  -n "no-op hooks (true)" --prepare "rm -rf $T/noop/w" "$(cmd noop)" \
  -n "hooks (cordon init claude)" --prepare "rm -rf $T/hooks/w" "$(cmd hooks)" \
  -n "cordon run" --prepare "rm -rf $T/sandbox/w" "$(cmd sandbox)" \
  -n "cordon run --hook-relay + hooks" --prepare "rm -rf $T/relay/w" "$(cmd relay)" >/dev/null
python3 - "$T/out.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
base = r["bare"]["median"]
print(f"{'variant':<34} {'median':>9} {'mean':>9} {'stddev':>8} {'vs bare':>8} {'added':>9}")
for name, x in r.items():
    print(f"{name:<34} {x['median']*1e3:7.0f}ms {x['mean']*1e3:7.0f}ms {x['stddev']*1e3:6.0f}ms"
          f" {x['median']/base:7.2f}x {(x['median']-base)*1e3:+7.0f}ms")
noop, hooks = r["no-op hooks (true)"]["median"], r["hooks (cordon init claude)"]["median"]
print(f"cordon's hooks beyond Claude Code's own cost of running hooks: {(hooks-noop)*1e3:+.0f} ms per task")
PY
