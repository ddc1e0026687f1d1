#!/usr/bin/env bash
# Start-up cost of `cordon run -- true` beside bare `true`, `unshare` and `bwrap`, in one
# hyperfine run; then the wall-time overhead of a real workload (building a small Rust
# crate from clean) inside vs outside. Prints medians and ratios.
#   usage: bench/sandbox.sh [RUNS]      (needs hyperfine and bubblewrap: bash .ci/install)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-200}
cargo build --release -q -p cordon
CORDON=$PWD/target/release/cordon
OUT=$PWD/bench/out; mkdir -p "$OUT"
WS=$(mktemp -d); trap 'rm -rf "$WS"' EXIT
cd "$WS"
hyperfine -N -w 10 -r "$RUNS" --export-json "$OUT/sandbox-start.json" \
  'true' \
  'unshare -Urnmipf --mount-proc true' \
  'bwrap --unshare-all --new-session --die-with-parent --ro-bind / / --dev /dev --proc /proc true' \
  "$CORDON run -- true" >/dev/null

# Workload: a small crate with no dependencies, built from clean each time.
cargo init -q --name tiny "$WS/crate"
cat > "$WS/crate/src/main.rs" <<'RS'
use std::collections::BTreeMap;
fn main() { let mut m = BTreeMap::new(); for i in 0..1000u64 { m.insert(i, i * i); } println!("{}", m.values().sum::<u64>()); }
RS
cd "$WS/crate"
hyperfine -w 2 -r 15 --export-json "$OUT/sandbox-build.json" \
  -p 'rm -rf target' 'cargo build --release --offline -q' \
  -p 'rm -rf target' "$CORDON run -- cargo build --release --offline -q" >/dev/null

python3 - "$OUT/sandbox-start.json" "$OUT/sandbox-build.json" <<'PY'
import json, sys
def med(f):
    return {r["command"]: r["median"] * 1000 for r in json.load(open(f))["results"]}
s = med(sys.argv[1]); b = med(sys.argv[2])
cordon = [k for k in s if "cordon" in k][0]
uns = [k for k in s if k.startswith("unshare")][0]
bw = [k for k in s if k.startswith("bwrap")][0]
print("| command | median (ms) |\n| --- | --- |")
for k, v in s.items():
    print(f"| `{k.replace('/'.join(cordon.split('/')[:-1]) + '/', '')}` | {v:.2f} |")
print(f"\ncordon / unshare: {s[cordon]/s[uns]:.2f}x (target <= 1.5x); cordon / bwrap: {s[cordon]/s[bw]:.2f}x (target < 1.0x)")
bo = [k for k in b if "cordon" not in k][0]; bi = [k for k in b if "cordon" in k][0]
print(f"\nbuild of a small crate: outside {b[bo]:.0f} ms, inside {b[bi]:.0f} ms, overhead {100*(b[bi]/b[bo]-1):+.1f}% (target < 3%)")
PY
