"""Time N sequential tools/call round trips over stdio JSON-RPC (no SDK in the
loop, so the figures are the server's and the gateway's, not the client's).

usage: mcp_calls.py N TOOL ARGS_JSON -- COMMAND [ARGS...]
Prints one JSON object: p50_us, p99_us, mean_us, total_s, calls_per_s.
"""
import json
import subprocess
import sys
import time

n, tool, args = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
cmd = sys.argv[sys.argv.index("--") + 1 :]
p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def rpc(msg):
    p.stdin.write((json.dumps(msg) + "\n").encode())
    p.stdin.flush()
    if "id" not in msg:
        return None
    while True:
        r = json.loads(p.stdout.readline())
        if r.get("id") == msg["id"]:
            if "error" in r:
                sys.exit(f"error: {r['error']}")
            return r


rpc({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
    "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}}})
rpc({"jsonrpc": "2.0", "method": "notifications/initialized"})
rpc({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
for i in range(20):  # warm-up
    rpc({"jsonrpc": "2.0", "id": 100 + i, "method": "tools/call", "params": {"name": tool, "arguments": args}})
lat = []
t0 = time.perf_counter()
for i in range(n):
    s = time.perf_counter()
    rpc({"jsonrpc": "2.0", "id": 1000 + i, "method": "tools/call", "params": {"name": tool, "arguments": args}})
    lat.append(time.perf_counter() - s)
total = time.perf_counter() - t0
p.stdin.close()
p.wait()
lat.sort()
print(json.dumps({
    "p50_us": round(lat[len(lat) // 2] * 1e6), "p99_us": round(lat[int(len(lat) * 0.99)] * 1e6),
    "mean_us": round(sum(lat) / len(lat) * 1e6), "total_s": round(total, 3), "calls_per_s": round(n / total)}))
