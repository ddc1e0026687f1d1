#!/usr/bin/env bash
# MCP gateway benchmark: added latency per tools/call through `cordon mcp` vs
# the same server run directly (p50, p99) and the time for 1,000 small calls,
# side by side, against two real servers: the npm reference server
# `@modelcontextprotocol/server-everything` (tool `echo`) and a server built with
# the official Python SDK (crates/cordon/tests/fixtures/mcp/server.py, tool `lookup`).
# The gateway runs the server in cordon's sandbox and journals every call.
# Streamable HTTP mode too: server-everything over HTTP, direct and through
# `cordon mcp --upstream URL --listen ADDR` (SSE answers relayed event by event).
# Needs: crates/cordon/tests/fixtures/mcp/install.sh (run by .ci/install), node.
# Usage: [CORDON_BIN=path] bench/mcp.sh [N_CALLS]   (default 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-1000}
[ -n "${CORDON_BIN:-}" ] || cargo build --release -q -p cordon
OUT=$(mktemp -d "$PWD/target/cordon-bench-mcp.XXXXXX")
trap 'rm -rf "$OUT"' EXIT
cp "${CORDON_BIN:-$REL/cordon}" "$OUT/cordon"
mkdir -p "$OUT/ws" "$OUT/data"
export CORDON_DATA_DIR="$OUT/data"
printf '[permissions]\nallow = ["mcp__everything__*", "mcp__fx__*"]\n' > "$OUT/cordon.toml"
EVERYTHING=target/mcp-peers/node_modules/@modelcontextprotocol/server-everything/dist/index.js
FIXTURE=crates/cordon/tests/fixtures/mcp/server.py
VENV_PY=target/mcp-peers/venv/bin/python3
echo "cordon mcp benchmark, $(date -u +%F), $(nproc) cores, $(uname -r), load average $(cut -d" " -f1-3 /proc/loadavg), $N calls"
gw() { echo "$OUT/cordon" mcp --name "$1" --config "$OUT/cordon.toml" --workspace "$OUT/ws" --; }
report() { # label direct_json gateway_json
  python3 - "$1" "$2" "$3" <<'PY'
import json, sys
label, d, g = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
print(f"{label}")
print(f"  direct : p50 {d['p50_us']} us  p99 {d['p99_us']} us  {d['total_s']} s total  {d['calls_per_s']} calls/s")
print(f"  gateway: p50 {g['p50_us']} us  p99 {g['p99_us']} us  {g['total_s']} s total  {g['calls_per_s']} calls/s")
print(f"  added  : p50 {g['p50_us'] - d['p50_us']} us  p99 {g['p99_us'] - d['p99_us']} us  "
      f"(throughput ratio gateway/direct {g['calls_per_s'] / d['calls_per_s']:.2f})")
PY
}
run() { # label name tool args server...
  local label=$1 name=$2 tool=$3 args=$4; shift 4
  local d g
  d=$(python3 bench/mcp_calls.py "$N" "$tool" "$args" -- "$@")
  # shellcheck disable=SC2046
  g=$(python3 bench/mcp_calls.py "$N" "$tool" "$args" -- $(gw "$name") "$@")
  report "$label" "$d" "$g"
}
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return; sleep 0.05; done; echo "nothing on port $1" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
http_run() { # label: server-everything over Streamable HTTP, direct and through the gateway
  local up gp sp gwp d g
  up=$(free_port); gp=$(free_port)
  PORT=$up node "$EVERYTHING" streamableHttp >/dev/null 2>&1 & sp=$!
  "$OUT/cordon" mcp --name everything --config "$OUT/cordon.toml" \
    --upstream "http://127.0.0.1:$up/mcp" --listen "127.0.0.1:$gp" 2>/dev/null & gwp=$!
  wait_port "$up"; wait_port "$gp"
  # One server serves both runs: warm its JIT first, so neither run pays for it.
  python3 bench/mcp_calls.py "$N" echo '{"message":"hi"}' -- "http://127.0.0.1:$up/mcp" >/dev/null
  d=$(python3 bench/mcp_calls.py "$N" echo '{"message":"hi"}' -- "http://127.0.0.1:$up/mcp")
  g=$(python3 bench/mcp_calls.py "$N" echo '{"message":"hi"}' -- "http://127.0.0.1:$gp/mcp")
  kill "$gwp" "$sp"; wait "$gwp" "$sp" 2>/dev/null || true
  report "$1" "$d" "$g"
}
run "server-everything (node) echo" everything echo '{"message":"hi"}' node "$EVERYTHING" stdio
run "python SDK fixture lookup" fx lookup '{"word":"w"}' "$PWD/$VENV_PY" "$FIXTURE"
http_run "server-everything (node) echo, Streamable HTTP"
