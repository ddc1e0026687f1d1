#!/usr/bin/env bash
# Injection screen benchmark (issue #7 targets: >= 50 MB/s on one core, < 1 ms per
# typical 10 KB tool output).
#
# Builds a ~40 MB input from the AgentDojo tool outputs in ../shared/eval (read as
# text, never executed) and the hand-written fixtures, then measures
#   1. in-process: cordon-scan's streaming throughput on one core and the latency of
#      Screen::screen on 10 KB slices (examples/bench.rs);
#   2. end to end, with hyperfine: `cordon scan FILE` beside reference screens on the
#      same file: `grep -Eic` with a handful of injection phrases (a keyword screen)
#      and `wc -l` (reading every byte). Ratios are printed.
# PromptGuard 2, the reference the issue names, is an 86M-parameter model that must
# be downloaded; cordon downloads nothing, so it is not run here (its published
# figures are quoted in docs/EVAL.md).
# Usage: bench/scan.sh [MB]   (default 40)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
MB=${1:-40}
EVAL=${CORDON_EVAL_DIR:-$PWD/../shared/eval}
cargo build --release -q -p cordon
cargo build --release -q -p cordon-scan --example bench
BIN=$PWD/$REL/cordon
OUT=$(mktemp -d /tmp/cordon-bench-scan.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

python3 - "$EVAL/prompt_injection_agentdojo_v1.2.2.jsonl" crates/cordon-scan/tests/fixtures "$MB" "$OUT/big.txt" <<'PY'
import json, os, sys
src, fixtures, mb, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
texts = [json.loads(l)["text"] or "" for l in open(src)]
for d in ("benign", "hidden"):
    for f in sorted(os.listdir(os.path.join(fixtures, d))):
        texts.append(open(os.path.join(fixtures, d, f)).read())
blob = "\n\n".join(texts)
with open(out, "w") as f:
    n = 0
    while n < mb * 1_000_000:
        f.write(blob)
        n += len(blob.encode())
PY
SIZE=$(stat -c %s "$OUT/big.txt")
echo "input: $SIZE bytes"

echo "== in-process (one core)"
taskset -c 0 "$REL/examples/bench" "$OUT/big.txt" | tee "$OUT/inproc.txt"

echo "== end to end (hyperfine, one core)"
PAT='ignore (all )?(previous|prior) instructions|disregard|system prompt|<\|im_start\|>|do not tell the user'
hyperfine -N -i --output=pipe --warmup 1 --runs 5 --export-json "$OUT/h.json" \
  -n "cordon scan" "taskset -c 0 $BIN scan -q $OUT/big.txt" \
  -n "grep -Eic (keyword screen)" "taskset -c 0 grep -Eic '$PAT' $OUT/big.txt" \
  -n "wc -l (read every byte)" "taskset -c 0 wc -l $OUT/big.txt" >/dev/null || true
python3 - "$OUT/h.json" "$SIZE" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]; size = int(sys.argv[2])
base = r[0]["median"]
for x in r:
    print(f'{x["command"]:28s} median {x["median"]:.3f} s  {size/x["median"]/1e6:8.1f} MB/s  cordon takes {base/x["median"]:.2f}x this time')
PY
