#!/usr/bin/env bash
# bench/hook.sh: the cost of `cordon hook claude` on Claude Code's critical path.
#
# Claude Code starts the hook once per tool call, so its whole process life
# counts. This runs, side by side in one hyperfine run:
#   - bare `true` (the floor: starting any process),
#   - `cordon hook claude` on a PreToolUse Bash event (state load + decision + state write + journal write),
#   - the same with --no-journal (what the journal costs),
#   - `cordon hook claude` on a PostToolUse WebFetch event of ~10 KB (screening + taint),
# and `cordon --version` (what starting this binary costs before any work),
# and prints medians and ratios to `true`, then (with valgrind) the
# instructions each process executes, which a busy machine does not change.
# Commands run without a shell
# (hyperfine -N); the hook reads its event with --input instead of stdin.
# The data directory (state, journal) is made under $TMPDIR (default /tmp);
# TMPDIR=/dev/shm shows the cost without disk flushes.
#
# With BASE=/path/to/another/cordon (e.g. a release build of an earlier
# commit), the PreToolUse Bash event is also timed (in alternating rounds) and
# counted for that binary next to this one, each with a data directory of its
# own (a session and journal of its own, only these events), so the two differ
# by nothing but the binary.
#
# Usage: [BASE=/path/to/cordon] bench/hook.sh [RUNS]    (default 300; needs hyperfine, python3)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS="${1:-300}"
cargo build --release -q -p cordon
BIN="$PWD/$REL/cordon"
TRUE="$(command -v true)"
T="$(mktemp -d -p "${TMPDIR:-/tmp}")"
trap 'rm -rf "$T"' EXIT
mkdir -p "$T/ws/src" "$T/home" "$T/data" "$T/xdg"
export HOME="$T/home" XDG_CONFIG_HOME="$T/xdg" CORDON_DATA_DIR="$T/data" CLAUDE_PROJECT_DIR="$T/ws"
SID=bench-3f6c1d0a
cat >"$T/pre.json" <<JSON
{"session_id":"$SID","transcript_path":"$T/t.jsonl","cwd":"$T/ws","permission_mode":"default",
 "hook_event_name":"PreToolUse","tool_name":"Bash",
 "tool_input":{"command":"git status --short && git diff --stat | tail -n 5","description":"Show changes"},
 "tool_use_id":"toolu_bench"}
JSON
python3 - "$T" "$SID" <<'PY'
import json, sys
t, sid = sys.argv[1], sys.argv[2]
text = ("The builder pattern separates the construction of a complex object from its "
        "representation, so the same construction process can create different representations. ") * 60
ev = {"session_id": sid, "transcript_path": t + "/t.jsonl", "cwd": t + "/ws", "permission_mode": "default",
      "hook_event_name": "PostToolUse", "tool_name": "WebFetch",
      "tool_input": {"url": "https://docs.example.org/builder", "prompt": "Summarise"},
      "tool_response": {"bytes": len(text), "code": 200, "codeText": "OK", "result": text[:10240],
                        "durationMs": 80, "url": "https://docs.example.org/builder"},
      "tool_use_id": "toolu_post"}
json.dump(ev, open(t + "/post.json", "w"))
PY
# Sanity: the hook answers (and the session and journal exist before timing).
"$BIN" hook claude --input "$T/pre.json" | grep -q permissionDecision
"$BIN" hook claude --input "$T/post.json" >/dev/null

# Side by side with BASE: the same event, each binary with a data directory of its own.
# Both binaries are fresh copies side by side in $T: how a file sits in the
# page cache (one the linker just wrote, one copied) moves the start of a 60 MB
# binary by up to 0.4 ms, more than what is measured here.
if [ -n "${BASE:-}" ]; then
  ENV="$(command -v env)"
  mkdir -p "$T/data-new" "$T/data-base"
  cp "$BIN" "$T/cordon-new"
  cp "$BASE" "$T/cordon-base"
  for who in new base; do
    CORDON_DATA_DIR="$T/data-$who" "$T/cordon-$who" hook claude --input "$T/pre.json" | grep -q permissionDecision
  done
fi

hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$T/out.json" \
  -n true "$TRUE" \
  -n "cordon --version (start-up floor)" "$BIN --version" \
  -n "hook PreToolUse Bash" "$BIN hook claude --input $T/pre.json" \
  -n "hook PreToolUse Bash --no-journal" "$BIN hook claude --no-journal --input $T/pre.json" \
  -n "hook PostToolUse WebFetch 10KB" "$BIN hook claude --input $T/post.json" >/dev/null

python3 - "$T/out.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
base = r["true"]["median"]
cpu = lambda x: (x["user"] + x["system"]) * 1e3
print(f"{'command':<36} {'median':>9} {'mean':>9} {'stddev':>8} {'cpu':>8} {'vs true':>8}")
for name, x in r.items():
    print(f"{name:<36} {x['median']*1e3:7.3f}ms {x['mean']*1e3:7.3f}ms {x['stddev']*1e3:6.3f}ms"
          f" {cpu(x):6.3f}ms {x['median']/base:7.2f}x")
j, nj = r["hook PreToolUse Bash"]["median"], r["hook PreToolUse Bash --no-journal"]["median"]
print(f"journal cost per PreToolUse: {(j-nj)*1e3:.3f} ms ({j/nj:.2f}x of the hook without it)")
print("(cpu = user + system time per run, mean; less sensitive to a busy machine than wall time)")
PY

# BASE against this build: ten rounds of RUNS/10 runs each, the order swapped
# every round, all runs pooled, so that a machine whose load changes during the
# run does not favour whichever binary ran in the quieter part. Both are started
# through `env` (to set the data directory); `env true` is their floor.
if [ -n "${BASE:-}" ]; then
  for i in $(seq 10); do
    pair=(-n new "$ENV CORDON_DATA_DIR=$T/data-new $T/cordon-new hook claude --input $T/pre.json"
          -n base "$ENV CORDON_DATA_DIR=$T/data-base $T/cordon-base hook claude --input $T/pre.json")
    [ $((i % 2)) = 0 ] && pair=("${pair[@]:3:3}" "${pair[@]:0:3}")
    hyperfine -N --warmup 5 --runs $((RUNS / 10 > 10 ? RUNS / 10 : 10)) --export-json "$T/ab$i.json" \
      -n "env true" "$ENV $TRUE" "${pair[@]}" >/dev/null 2>&1
  done
  python3 - "$T" <<'PY'
import json, glob, statistics, sys
times, cpu = {}, {}
for f in glob.glob(sys.argv[1] + "/ab*.json"):
    for x in json.load(open(f))["results"]:
        times.setdefault(x["command"], []).extend(x["times"])
        cpu.setdefault(x["command"], []).append(x["user"] + x["system"])
med = {k: statistics.median(v) for k, v in times.items()}
print(f"PreToolUse Bash, BASE against this build (10 alternating rounds, {len(times['new'])} runs each):")
for k in ("env true", "base", "new"):
    print(f"  {k:<9} median {med[k]*1e3:7.3f} ms  mean {statistics.mean(times[k])*1e3:7.3f} ms"
          f"  cpu {statistics.mean(cpu[k])*1e3:6.3f} ms")
n, b = med["new"], med["base"]
print(f"  new - base: {(n-b)*1e3:+.3f} ms ({n/b:.3f}x)")
PY
fi

# Instructions per process (valgrind's callgrind): the same on a busy machine.
if command -v valgrind >/dev/null; then
  count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
  printf '%-36s %12s\n' "instructions" "count"
  printf '%-36s %12s\n' true "$(count "$TRUE")"
  printf '%-36s %12s\n' "cordon --version" "$(count "$BIN" --version)"
  printf '%-36s %12s\n' "hook PreToolUse Bash" "$(count "$BIN" hook claude --input "$T/pre.json")"
  printf '%-36s %12s\n' "hook PostToolUse WebFetch 10KB" "$(count "$BIN" hook claude --input "$T/post.json")"
  if [ -n "${BASE:-}" ]; then
    for who in new base; do
      printf '%-36s %12s\n' "$who: hook PreToolUse Bash" \
        "$(CORDON_DATA_DIR="$T/data-$who" count "$T/cordon-$who" hook claude --input "$T/pre.json")"
    done
  fi
fi
