#!/usr/bin/env bash
# Start-up cost of `cordon run -- true` beside bare `true`, `unshare` and `bwrap`, in one
# hyperfine run; where cordon's start-up goes (`cordon run -v` phase timings, and what the
# kernel charges for joining a cgroup v1 hierarchy); then the wall-time overhead of real
# workloads inside vs outside: building a dependency-free crate, and building a small crate
# with dependencies (serde + serde_json, from the local cargo cache, --offline).
# Prints medians and ratios.
#   usage: bench/sandbox.sh [RUNS]      (needs hyperfine and bubblewrap: bash .ci/install)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${1:-200}
cargo build --release -q -p cordon
CORDON=$PWD/$REL/cordon
OUT=$PWD/bench/out; mkdir -p "$OUT"
WS=$(mktemp -d); trap 'rm -rf "$WS"' EXIT
cd "$WS"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N -w 10 -r "$RUNS" --export-json "$OUT/sandbox-start.json" \
  'true' \
  'unshare -Urnmipf --mount-proc true' \
  'bwrap --unshare-all --new-session --die-with-parent --ro-bind / / --dev /dev --proc /proc true' \
  "$CORDON run -- true" >/dev/null

# Phase timings as cordon itself reports them (-v), 40 runs.
for _ in $(seq 40); do "$CORDON" run -v -- true 2>&1 | grep '^cordon: timing' || true; done >"$OUT/sandbox-phases.txt"

# What one cgroup v1 migration costs on this kernel (root, v1 pids hierarchy only): the
# write to cgroup.procs waits for an RCU grace period unless the hierarchy is mounted with
# favordynmods. cordon pays one per sandbox on v1 hosts (none on v2: CLONE_INTO_CGROUP).
python3 - "$OUT/sandbox-cgjoin.txt" <<'PY'
import os, sys, time, statistics
base = "/sys/fs/cgroup/pids"
out = open(sys.argv[1], "w")
if os.geteuid() != 0 or not os.path.exists(base + "/cgroup.procs"):
    out.write("n/a\n"); sys.exit(0)
ts = []
for i in range(30):
    d = f"{base}/cordon-bench-join-{os.getpid()}-{i}"
    os.mkdir(d)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.read(r, 1); os._exit(0)
    t = time.perf_counter()
    with open(d + "/cgroup.procs", "w") as f:
        f.write(str(pid))
    ts.append((time.perf_counter() - t) * 1000)
    os.write(w, b"x"); os.waitpid(pid, 0); os.close(r); os.close(w)
    os.rmdir(d)
    time.sleep(0.05)  # let the grace-period state go idle, as between two cordon runs
out.write(f"{statistics.median(ts):.2f} {min(ts):.2f} {max(ts):.2f}\n")
PY

# Workload 1: a small crate with no dependencies, built from clean each time.
cargo init -q --name tiny "$WS/crate"
cat > "$WS/crate/src/main.rs" <<'RS'
use std::collections::BTreeMap;
fn main() { let mut m = BTreeMap::new(); for i in 0..1000u64 { m.insert(i, i * i); } println!("{}", m.values().sum::<u64>()); }
RS
cd "$WS/crate"
hyperfine -w 2 -r 15 --export-json "$OUT/sandbox-build.json" \
  -p 'rm -rf target' 'cargo build --release --offline -q' \
  -p 'rm -rf target' "$CORDON run -- cargo build --release --offline -q" >/dev/null

# Workload 2: a small crate with dependencies (11 packages), built from clean each time.
# The sources are fetched outside first (the sandbox has no network in this run).
cargo init -q --name small "$WS/small"
cat >> "$WS/small/Cargo.toml" <<'TOML'
serde = { version = "1", features = ["derive"] }
serde_json = "1"
TOML
cat > "$WS/small/src/main.rs" <<'RS'
use serde::{Deserialize, Serialize};
#[derive(Serialize, Deserialize)]
struct Point { x: i64, y: i64, label: String }
fn main() {
    let pts: Vec<Point> = (0..100).map(|i| Point { x: i, y: i * i, label: format!("p{i}") }).collect();
    let s = serde_json::to_string(&pts).unwrap();
    let back: Vec<Point> = serde_json::from_str(&s).unwrap();
    println!("{} {}", s.len(), back.len());
}
RS
cd "$WS/small"
cargo fetch -q
hyperfine -w 1 -r 6 --export-json "$OUT/sandbox-build2.json" \
  -p 'rm -rf target' 'cargo build --release --offline -q' \
  -p 'rm -rf target' "$CORDON run -- cargo build --release --offline -q" >/dev/null
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$OUT" <<'PY'
import json, sys, re, statistics, collections
out = sys.argv[1]
def med(f):
    return {r["command"]: r["median"] * 1000 for r in json.load(open(f))["results"]}
def stats(f):
    return {r["command"]: (min(r["times"]) * 1000, r["median"] * 1000,
                           sorted(r["times"])[int(len(r["times"]) * 0.9)] * 1000)
            for r in json.load(open(f))["results"]}
s = stats(f"{out}/sandbox-start.json")
cordon = [k for k in s if "cordon" in k][0]
uns = [k for k in s if k.startswith("unshare")][0]
bw = [k for k in s if k.startswith("bwrap")][0]
print("| command | min | median | p90 (ms) |\n| --- | --- | --- | --- |")
for k, (lo, m, p90) in s.items():
    print(f"| `{k.replace('/'.join(cordon.split('/')[:-1]) + '/', '')}` | {lo:.2f} | {m:.2f} | {p90:.2f} |")
print(f"\ncordon / unshare: {s[cordon][1]/s[uns][1]:.2f}x (target <= 1.5x); "
      f"cordon / bwrap: {s[cordon][1]/s[bw][1]:.2f}x (target < 1.0x)")

phases = collections.defaultdict(list)
for line in open(f"{out}/sandbox-phases.txt"):
    body = re.sub(r" \(init began.*", "", line.split(":", 2)[2])
    for name, ms in re.findall(r"([a-z' ():,A-Z/-]+?) ([0-9.]+) ms", body):
        where = "init" if "inside" in line else "cordon"
        phases[(where, name.strip(" ,"))].append(float(ms))
if phases:
    print("\nPhases (median of 40 `cordon run -v -- true`):\n\n| where | phase | median (ms) |\n| --- | --- | --- |")
    for (where, name), v in phases.items():
        print(f"| {where} | {name} | {statistics.median(v):.2f} |")
cg = open(f"{out}/sandbox-cgjoin.txt").read().split()
if cg and cg[0] != "n/a":
    print(f"\nOne cgroup v1 migration on this kernel: median {cg[0]} ms (min {cg[1]}, max {cg[2]})")

for name, f in (("dependency-free crate", "sandbox-build.json"), ("crate with serde + serde_json (11 packages)", "sandbox-build2.json")):
    b = med(f"{out}/{f}")
    bo = [k for k in b if "cordon" not in k][0]; bi = [k for k in b if "cordon" in k][0]
    print(f"\nbuild of a {name} from clean: outside {b[bo]:.0f} ms, inside {b[bi]:.0f} ms, "
          f"overhead {100*(b[bi]/b[bo]-1):+.1f}% (target < 3%)")
PY
