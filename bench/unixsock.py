"""Per-call cost of the calls cordon's supervisor performs (issue #14 item 6).

Run inside and outside `cordon run`: a connect to a unix socket in the
current directory, a TCP connect to the egress proxy ($HTTP_PROXY), a
datagram sendto to a unix socket, a sendmsg on a socketpair, and a plain send
(not mediated) as a control. Prints `NAME median_us p90_us` per call.
"""
import os, socket, sys, threading, time, urllib.parse

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000


def stats(name, f):
    ts = []
    for _ in range(N):
        t = time.perf_counter_ns()
        f()
        ts.append(time.perf_counter_ns() - t)
    ts.sort()
    print(f"{name} {ts[len(ts) // 2] / 1000:.1f} {ts[len(ts) * 9 // 10] / 1000:.1f}", flush=True)


path = "bench-unix.sock"
if os.path.exists(path):
    os.unlink(path)
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(1024)


def drain(l):
    while True:
        try:
            l.accept()[0].close()
        except OSError:
            return


threading.Thread(target=drain, args=(srv,), daemon=True).start()


def unix_connect():
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.close()


stats("connect-unix", unix_connect)

proxy = os.environ.get("HTTP_PROXY") or os.environ.get("http_proxy")
if proxy:
    u = urllib.parse.urlparse(proxy)

    def tcp_connect():
        s = socket.create_connection((u.hostname, u.port))
        s.close()

    stats("connect-proxy", tcp_connect)

dpath = "bench-unix.dgram"
if os.path.exists(dpath):
    os.unlink(dpath)
d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
d.bind(dpath)
c = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)


def dgram():
    c.sendto(b"x", dpath)
    d.recv(1)


stats("sendto-unix-dgram", dgram)
a, b = socket.socketpair()


def smsg():
    a.sendmsg([b"x"])
    b.recv(1)


stats("sendmsg-socketpair", smsg)


def plain():
    a.send(b"x")
    b.recv(1)


stats("send-control", plain)
os.unlink(path)
os.unlink(dpath)
