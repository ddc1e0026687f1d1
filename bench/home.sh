#!/usr/bin/env bash
# Start-up cost of the home overlay: `cordon run -- true` with a home that is `/` (no overlay),
# with the persistent overlay (lock, mkdirs, overlayfs mount, sweep of the persistence points)
# and with --home-tmp (a tmpfs upper layer), in one hyperfine run. The home is the same empty
# directory in each, so the secret masks are the same.
#   usage: bench/home.sh [RUNS]      (needs hyperfine: bash .ci/install)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${1:-300}
cargo build --release -q -p cordon
CORDON=$PWD/$REL/cordon
OUT=$PWD/bench/out; mkdir -p "$OUT"
# Not under /tmp or /var/tmp: those are private inside the sandbox.
B=$(mktemp -d /var/lib/cordon-home-bench.XXXXXX); trap 'rm -rf "$B"' EXIT
mkdir -p "$B/home/ws" "$B/data"
cd "$B/home/ws"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine -N -w 20 -r "$RUNS" --export-json "$OUT/home-start.json" \
  "env HOME=/ CORDON_DATA_DIR=$B/data $CORDON run -- true" \
  "env HOME=$B/home CORDON_DATA_DIR=$B/data $CORDON run -- true" \
  "env HOME=$B/home CORDON_DATA_DIR=$B/data $CORDON run --home-tmp -- true"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
