#!/bin/sh
# Egress proxy benchmark (issue #3): cordon's proxy vs a direct connection vs
# tinyproxy, all on loopback, bounded in count and time (about a minute).
#
#   bench/net.sh [--bulk-mib N] [--rounds N] [--conns N] [--tunnels N]
#                [--only abc] [--ab OTHER-NETBENCH[,...]]
#
# (a) bulk download through a CONNECT tunnel vs direct (target >= 90%), with
#     CPU per GiB of each process; repeated against a sender on Reno (the
#     congestion control cordon uses on loopback) to compare like with like
# (b) added latency of a new connection, p50/p99 (target: p50 < 200 us)
# (c) 10,000 concurrent idle tunnels: proxy RSS (target < 200 MiB), no errors
# (d) the same workloads through tinyproxy (Debian package), side by side
set -eu
cd "$(dirname "$0")/.."
. bench/lib.sh
command -v tinyproxy >/dev/null || { echo "bench/net.sh: tinyproxy is not installed (fix: apt-get install tinyproxy)" >&2; exit 125; }
# 10,000 tunnels hold 40,000 sockets across the driver and the two proxies.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" -lt 45000 ]; then
  echo "bench/net.sh: ulimit -n is $(ulimit -n); 10,000 tunnels need ~45000 (fix: raise the hard limit or pass --tunnels N)" >&2
fi
cargo build -q --release -p cordon-net --example netbench
echo "# $(date -u +%Y-%m-%d) $(uname -srm), $(nproc) CPUs, $(tinyproxy -v 2>&1 | head -1)"
exec "$REL/examples/netbench" run --tinyproxy "$(command -v tinyproxy)" "$@"
