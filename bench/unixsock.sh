#!/usr/bin/env bash
# Cost of the unix-socket mediation (issue #14 item 6) for two cordon binaries, BEFORE and AFTER:
# per call (bench/unixsock.py: a connect to a unix socket in the workspace, a TCP connect to the
# egress proxy, a unix datagram, a sendmsg, and a plain send as the unmediated control; inside
# `cordon run` with each binary, and outside), and at start-up (`cordon run -- true`, median of
# RUNS runs, alternating the two binaries so that load changes hit both alike).
#   usage: bench/unixsock.sh BEFORE [AFTER] [RUNS]   (AFTER defaults to this tree's release build)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
BEFORE=$(realpath "$1")
if [ -n "${2:-}" ]; then AFTER=$(realpath "$2"); else cargo build --release -q -p cordon; AFTER=$PWD/$REL/cordon; fi
RUNS=${3:-200}
PY=$PWD/bench/unixsock.py
WS=$(mktemp -d /var/tmp/cordon-bench-XXXXXX); trap 'rm -rf "$WS"' EXIT
cd "$WS"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== outside"; python3 "$PY" 2000
for b in "$BEFORE" "$AFTER"; do
  echo "== inside $b"; "$b" run --no-journal -- python3 "$PY" 2000 2>/dev/null
done
python3 - "$BEFORE" "$AFTER" "$RUNS" <<'PYEOF'
import subprocess, sys, time
bins, runs = sys.argv[1:3], int(sys.argv[3])
t = {b: [] for b in bins}
for _ in range(runs):
    for b in bins:
        s = time.perf_counter()
        subprocess.run([b, "run", "--no-journal", "--", "true"], check=True, stderr=subprocess.DEVNULL)
        t[b].append((time.perf_counter() - s) * 1000)
for b in bins:
    v = sorted(t[b])
    print(f"start-up {b}: min {v[0]:.2f} median {v[len(v)//2]:.2f} p90 {v[len(v)*9//10]:.2f} ms")
PYEOF
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
