"""Time N sequential tools/call round trips over stdio JSON-RPC, or over
Streamable HTTP (one kept-alive connection, JSON or SSE answers). No SDK in the
loop, so the figures are the server's and the gateway's, not the client's.

usage: mcp_calls.py N TOOL ARGS_JSON -- COMMAND [ARGS...]
       mcp_calls.py N TOOL ARGS_JSON -- http://HOST:PORT/mcp
Prints one JSON object: p50_us, p99_us, mean_us, total_s, calls_per_s.
"""
import http.client
import json
import subprocess
import sys
import time
import urllib.parse

n, tool, args = int(sys.argv[1]), sys.argv[2], json.loads(sys.argv[3])
cmd = sys.argv[sys.argv.index("--") + 1 :]


def answer(r, msg):
    if r.get("id") == msg["id"]:
        if "error" in r:
            sys.exit(f"error: {r['error']}")
        return r
    return None


if cmd[0].startswith("http://"):
    url = urllib.parse.urlsplit(cmd[0])
    conn = http.client.HTTPConnection(url.hostname, url.port)
    session = {}

    def rpc(msg):
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                   "MCP-Protocol-Version": "2025-06-18", **session}
        conn.request("POST", url.path, json.dumps(msg), headers)
        resp = conn.getresponse()
        if resp.getheader("mcp-session-id"):
            session["Mcp-Session-Id"] = resp.getheader("mcp-session-id")
        body = resp.read().decode()
        if "id" not in msg:
            return None
        if resp.getheader("content-type", "").startswith("text/event-stream"):
            for event in body.replace("\r\n", "\n").split("\n\n"):
                data = "\n".join(l[5:].lstrip() for l in event.split("\n") if l.startswith("data:"))
                if data.strip() and (r := answer(json.loads(data), msg)):
                    return r
            sys.exit(f"no answer to {msg['id']} in: {body[:300]}")
        return answer(json.loads(body), msg) or sys.exit(f"no answer to {msg['id']}: {body[:300]}")

    def close():
        conn.close()
else:
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def rpc(msg):
        p.stdin.write((json.dumps(msg) + "\n").encode())
        p.stdin.flush()
        if "id" not in msg:
            return None
        while True:
            r = answer(json.loads(p.stdout.readline()), msg)
            if r:
                return r

    def close():
        p.stdin.close()
        p.wait()


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
close()
lat.sort()
print(json.dumps({
    "p50_us": round(lat[len(lat) // 2] * 1e6), "p99_us": round(lat[int(len(lat) * 0.99)] * 1e6),
    "mean_us": round(sum(lat) / len(lat) * 1e6), "total_s": round(total, 3), "calls_per_s": round(n / total)}))
