#!/usr/bin/env bash
# Decision engine benchmark (issue #4), side by side with references:
#   - throughput: `cordon check --batch` over both shell corpora of ../shared/eval
#     (classified, never run), pinned to one core, against `cat` copying the same
#     JSONL (the floor for reading and writing a line) -> decisions/s and ratio;
#   - latency: one `cordon check` process per decision (what the hook adapter pays)
#     against `true` with hyperfine, for a plain command (fast lexer) and a
#     compound one (tree-sitter) -> ms and ratio.
# Usage: bench/policy.sh [--write]   (--write replaces the policy section of docs/BENCHMARKS.md)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
EVAL=${CORDON_EVAL_DIR:-../shared/eval}
cargo build --release -q -p cordon
OUT=$(mktemp -d /tmp/cordon-bench-policy.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
# A private copy: the shared target/ may be rebuilt while this runs.
cp "$REL/cordon" "$OUT/cordon"
BIN=$OUT/cordon
mkdir -p "$OUT/ws" "$OUT/home"
export HOME=$OUT/home XDG_CONFIG_HOME=$OUT/home/.config

python3 - "$EVAL" "$OUT/in.jsonl" <<'PY'
import json, sys
d, out = sys.argv[1], sys.argv[2]
with open(out, "w") as o:
    for f in ("shell_benign_nl2bash.jsonl", "shell_risky_atomic_red_team.jsonl"):
        for line in open(f"{d}/{f}"):
            if line.strip():
                o.write(json.dumps({"command": json.loads(line)["command"]}) + "\n")
PY
N=$(wc -l < "$OUT/in.jsonl")
# Repeat the corpora so one run lasts long enough to time well.
for _ in 1 2 3 4 5; do cat "$OUT/in.jsonl"; done > "$OUT/batch.jsonl"
NB=$((N * 5))

cd "$OUT/ws"
hyperfine -N --warmup 1 --runs 5 --export-json "$OUT/batch.json" \
  "taskset -c 0 $BIN check --batch $OUT/batch.jsonl --sandboxed --workspace $OUT/ws" \
  "taskset -c 0 cat $OUT/batch.jsonl" >/dev/null
hyperfine -N -i --warmup 20 --runs 300 --export-json "$OUT/single.json" \
  "$BIN check -- 'git status --short'" \
  "$BIN check -- 'find . -name \"*.rs\" | xargs grep -l \$(cat pat) && cargo test'" \
  "true" >/dev/null
cd - >/dev/null

python3 - "$OUT/batch.json" "$OUT/single.json" "$NB" "$N" "${1:-}" <<'PY'
import json, sys, datetime, subprocess
b = json.load(open(sys.argv[1]))["results"]
s = json.load(open(sys.argv[2]))["results"]
nb, n, write = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "--write"
cordon_b, cat_b = b[0]["mean"], b[1]["mean"]
rate = nb / cordon_b
cpu_b = b[0]["user"] + b[0]["system"]
cpu_rate = nb / cpu_b
plain, compound, true_ = (r["mean"] * 1000 for r in s)
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
lines = [
    f"## Decision engine (`cordon check`)",
    "",
    f"Measured {datetime.date.today()} by `bench/policy.sh --write` on {cpu} ({subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, shared with other builds).",
    "",
    f"Throughput: `cordon check --batch --sandboxed` over the NL2Bash and Atomic Red Team commands ({n} lines, repeated 5 times = {nb} decisions), pinned to one core with `taskset -c 0`; reference: `cat` of the same file.",
    "",
    "| command | mean wall time | decisions/s (wall) | CPU time (user+sys) | decisions per CPU-second | ratio to `cat` |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    f"| `cordon check --batch` | {cordon_b:.2f} s | **{rate:,.0f}** (target >= 50,000) | {cpu_b:.2f} s | **{cpu_rate:,.0f}** | {cordon_b / cat_b:.0f}x |",
    f"| `cat` | {cat_b * 1000:.1f} ms | - | - | - | 1x |",
    "",
    f"Load average while measuring: {open('/proc/loadavg').read().split()[0]} (2 cores): wall figures include time waiting for the CPU.",
    "",
    "Latency of one `cordon check` process (what the Claude Code hook pays per tool call), hyperfine `-N`, 300 runs; reference: `true`.",
    "",
    "| command | mean | over `true` |",
    "| --- | ---: | ---: |",
    f"| `cordon check -- 'git status --short'` (fast lexer) | **{plain:.2f} ms** (target < 3 ms) | +{plain - true_:.2f} ms |",
    f"| `cordon check -- 'find . -name \"*.rs\" \\| xargs grep -l $(cat pat) && cargo test'` (tree-sitter) | **{compound:.2f} ms** | +{compound - true_:.2f} ms |",
    f"| `true` | {true_:.2f} ms | - |",
]
md = "\n".join(lines) + "\n"
print(md)
if write:
    p = "docs/BENCHMARKS.md"
    doc = open(p).read()
    b, e = "<!-- BEGIN policy -->", "<!-- END policy -->"
    i, j = doc.index(b) + len(b), doc.index(e)
    open(p, "w").write(doc[:i] + "\n" + md + doc[j:])
    print(f"wrote the policy section of {p}")
PY
