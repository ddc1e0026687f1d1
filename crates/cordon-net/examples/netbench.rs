//! Benchmark of cordon's egress proxy against a direct connection and
//! tinyproxy, all on loopback (run through `bench/net.sh`).
//!
//! ```text
//! netbench run [--bulk-mib N] [--conns N] [--tunnels N] [--tinyproxy PATH]
//!              [--only abc] [--rounds N] [--ab OTHER-NETBENCH]
//! netbench proxy PORT...          (internal: serve cordon's proxy, print its port)
//! ```
//!
//! Workloads, each against direct / cordon / tinyproxy:
//! (a) bulk download through a CONNECT tunnel; (b) new-connection latency
//! (connect, tunnel, 1-byte echo), p50/p99; (c) N concurrent idle tunnels:
//! resident memory of the proxy process and errors.
//!
//! (a) also runs direct and cordon against a sender on Reno congestion
//! control (`NETBENCH_CC=NAME` picks another), the one cordon uses for its
//! own loopback sockets: a system default of BBR paces loopback traffic and
//! halves a direct connection's rate, so the /reno rows compare like with
//! like. `--rounds N` interleaves N rounds of every path (best is shown);
//! `--ab OTHER[,OTHER]` adds the proxies of other netbench builds as extra
//! rows (A/B in one run); `--only abc` picks workloads.
//!
//! `NETBENCH_THREADS=N` sets the proxy's worker threads (default 2, as in
//! `cordon run`). The tunnel count is clamped to what `ulimit -n` allows.
use cordon_event::{Event, EventSink};
use cordon_net::{Policy, Proxy, ProxyConfig, Resolver};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serialises every event (as the journal would) and keeps a count.
#[derive(Default)]
struct CountingSink(AtomicU64);

impl EventSink for CountingSink {
    fn emit(&self, e: Event) {
        let _ = serde_json::to_vec(&e);
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("proxy") => serve_proxy(&args[1..]),
        Some("servers") => serve_servers(&args[1..]),
        Some("run") => run(&args[1..]),
        _ => {
            eprintln!(
                "usage: netbench run [--bulk-mib N] [--conns N] [--tunnels N] [--tinyproxy PATH]"
            );
            std::process::exit(2);
        }
    }
}

/// Internal mode: cordon's proxy allowing bench.test on the given ports.
fn serve_proxy(ports: &[String]) {
    let mut p = Policy::new();
    for port in ports {
        p.allow(&format!("bench.test:{port}"), "bench").unwrap();
    }
    p.allow_private("127.0.0.0/8").unwrap();
    let mut r = Resolver::new();
    r.add_static("bench.test", "127.0.0.1").unwrap();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    println!("{}", l.local_addr().unwrap().port());
    let mut cfg = ProxyConfig::new(p, r, "bench");
    if let Some(t) = std::env::var("NETBENCH_THREADS")
        .ok()
        .and_then(|t| t.parse().ok())
    {
        cfg.threads = t;
    }
    let proxy = Proxy::start(cfg, vec![l], Arc::new(CountingSink::default())).unwrap();
    // Serve until stdin closes.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    proxy.shutdown();
}

/// Internal mode: the bulk, echo and idle servers in their own process (so
/// that no process needs more than about 2 descriptors per tunnel).
fn serve_servers(args: &[String]) {
    let bytes: u64 = args[0].parse().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let s = start_servers(&rt, bytes);
    println!("{} {} {} {}", s.bulk, s.echo, s.idle, s.bulk_reno);
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// The soft limit on open descriptors.
fn nofile() -> u64 {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass and nothing else.
    unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) };
    r.rlim_cur
}

struct Opts {
    bulk_mib: u64,
    conns: usize,
    tunnels: usize,
    tinyproxy: String,
    /// Which workloads to run (a, b, c).
    only: String,
    /// Bulk rounds per route (best is reported).
    rounds: usize,
    /// Another netbench binary whose proxy runs as a second cordon column
    /// (A/B of two builds in the same run).
    ab: Option<String>,
}

fn opts(args: &[String]) -> Opts {
    let mut o = Opts {
        bulk_mib: 1024,
        conns: 2000,
        tunnels: 10_000,
        tinyproxy: "/usr/bin/tinyproxy".into(),
        only: "abc".into(),
        rounds: 5,
        ab: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--bulk-mib" => o.bulk_mib = v.parse().unwrap(),
            "--conns" => o.conns = v.parse().unwrap(),
            "--tunnels" => o.tunnels = v.parse().unwrap(),
            "--tinyproxy" => o.tinyproxy = v,
            "--only" => o.only = v,
            "--rounds" => o.rounds = v.parse().unwrap(),
            "--ab" => o.ab = Some(v),
            other => panic!("unknown option {other}"),
        }
    }
    o
}

/// How to reach the servers: directly, or through a proxy naming the target so.
#[derive(Clone)]
enum Route {
    Direct,
    Proxy {
        addr: SocketAddr,
        host: &'static str,
    },
}

impl Route {
    /// Connect to `port` on the server side; returns the ready stream.
    fn open(&self, port: u16) -> std::io::Result<TcpStream> {
        match self {
            Route::Direct => {
                let s = TcpStream::connect(("127.0.0.1", port))?;
                s.set_nodelay(true)?;
                Ok(s)
            }
            Route::Proxy { addr, host } => {
                let mut s = TcpStream::connect(addr)?;
                s.set_nodelay(true)?;
                write!(
                    s,
                    "CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n"
                )?;
                let head = read_head(&mut s)?;
                if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
                    return Err(std::io::Error::other(format!("proxy said: {head}")));
                }
                Ok(s)
            }
        }
    }
}

fn read_head(s: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut b)? == 0 {
            return Err(std::io::Error::other("proxy closed"));
        }
        head.push(b[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// The congestion control of the reference sender: `NETBENCH_CC`, else Reno
/// (what cordon uses on loopback, see `relay::tune_loopback`).
fn reference_cc() -> &'static str {
    static CC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    CC.get_or_init(|| std::env::var("NETBENCH_CC").unwrap_or_else(|_| "reno".into()))
}

struct Servers {
    bulk: u16,
    echo: u16,
    idle: u16,
    /// The bulk sender again, its sockets on [`reference_cc`].
    bulk_reno: u16,
}

fn start_servers(rt: &tokio::runtime::Runtime, bulk_bytes: u64) -> Servers {
    let bind = || {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let _g = rt.enter();
        (tokio::net::TcpListener::from_std(l).unwrap(), port)
    };
    let sender = |bulk: tokio::net::TcpListener, cc: Option<&'static str>| async move {
        while let Ok((mut s, _)) = bulk.accept().await {
            if let Some(cc) = cc {
                rustix::net::sockopt::set_tcp_congestion(&s, cc).unwrap();
            }
            tokio::spawn(async move {
                let chunk = vec![0x42u8; 256 * 1024];
                let mut left = bulk_bytes;
                while left > 0 {
                    let n = left.min(chunk.len() as u64) as usize;
                    if s.write_all(&chunk[..n]).await.is_err() {
                        return;
                    }
                    left -= n as u64;
                }
            });
        }
    };
    let (bulk, bulk_port) = bind();
    rt.spawn(sender(bulk, None));
    let (bulk_reno, bulk_reno_port) = bind();
    rt.spawn(sender(bulk_reno, Some(reference_cc())));
    let (echo, echo_port) = bind();
    rt.spawn(async move {
        while let Ok((mut s, _)) = echo.accept().await {
            let _ = s.set_nodelay(true);
            tokio::spawn(async move {
                let mut b = [0u8; 64];
                while let Ok(n) = s.read(&mut b).await {
                    if n == 0 || s.write_all(&b[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let (idle, idle_port) = bind();
    rt.spawn(async move {
        while let Ok((mut s, _)) = idle.accept().await {
            tokio::spawn(async move {
                let mut b = [0u8; 16];
                let _ = s.read(&mut b).await; // hold until the client closes
            });
        }
    });
    Servers {
        bulk: bulk_port,
        echo: echo_port,
        idle: idle_port,
        bulk_reno: bulk_reno_port,
    }
}

/// Data segments the client's socket has received (from TCP_INFO).
fn segs_in(s: &TcpStream) -> u64 {
    use std::os::fd::AsRawFd;
    // SAFETY: all-zero is a valid tcp_info (plain integers).
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `info`, which is that large.
    let r = unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    if r == 0 {
        u64::from(info.tcpi_data_segs_in)
    } else {
        0
    }
}

/// (a) MiB/s of one bulk download, and the data segments it took.
fn bulk_once(route: &Route, port: u16, bytes: u64) -> (f64, u64) {
    let mut buf = vec![0u8; 256 * 1024];
    let t = Instant::now();
    let mut s = route.open(port).expect("bulk connect");
    let mut got = 0u64;
    loop {
        let n = s.read(&mut buf).expect("bulk read");
        if n == 0 {
            break;
        }
        got += n as u64;
    }
    assert_eq!(got, bytes, "short bulk transfer");
    let rate = got as f64 / (1 << 20) as f64 / t.elapsed().as_secs_f64();
    (rate, segs_in(&s))
}

/// (b) microseconds from connect to the first echoed byte, per route,
/// sorted; the routes take turns, so that a change in load hits all alike.
fn latencies(routes: &[&Route], port: u16, n: usize) -> Vec<Vec<f64>> {
    let mut v = vec![Vec::with_capacity(n); routes.len()];
    for _ in 0..n {
        for (i, route) in routes.iter().enumerate() {
            let t = Instant::now();
            let mut s = route.open(port).expect("latency connect");
            s.write_all(b"x").unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).unwrap();
            v[i].push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    for l in &mut v {
        l.sort_by(|a, b| a.partial_cmp(b).unwrap());
    }
    v
}

fn pct(v: &[f64], p: f64) -> f64 {
    v[((v.len() as f64 * p) as usize).min(v.len() - 1)]
}

/// CPU seconds (user + system) a process has used.
fn cpu_secs(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = s
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // After the command name: state is field 0, utime 11, stime 12.
    (ticks(11) + ticks(12)) / 100.0
}

fn rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// (c) open `n` tunnels, hold them, measure the proxy's RSS; returns
/// (baseline KiB, loaded KiB, errors, seconds to open).
fn idle_tunnels(
    rt: &tokio::runtime::Runtime,
    route: &Route,
    port: u16,
    n: usize,
    pid: u32,
) -> (u64, u64, usize, f64) {
    let Route::Proxy { addr, host } = route.clone() else {
        unreachable!()
    };
    let base = rss_kib(pid);
    let t = Instant::now();
    let (streams, errors) = rt.block_on(async move {
        let sem = Arc::new(tokio::sync::Semaphore::new(64));
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            let sem = sem.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire().await.unwrap();
                let mut s = tokio::net::TcpStream::connect(addr).await?;
                s.write_all(
                    format!("CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n")
                        .as_bytes(),
                )
                .await?;
                let mut head = Vec::new();
                let mut b = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if s.read(&mut b).await? == 0 {
                        return Err(std::io::Error::other("closed"));
                    }
                    head.push(b[0]);
                }
                if !head.starts_with(b"HTTP/1.1 200") && !head.starts_with(b"HTTP/1.0 200") {
                    return Err(std::io::Error::other("refused"));
                }
                Ok::<_, std::io::Error>(s)
            }));
        }
        let mut ok = Vec::new();
        let mut errors = 0;
        for t in tasks {
            match t.await {
                Ok(Ok(s)) => ok.push(s),
                _ => errors += 1,
            }
        }
        (ok, errors)
    });
    let opened = t.elapsed().as_secs_f64();
    std::thread::sleep(Duration::from_secs(2));
    let loaded = rss_kib(pid);
    // Every tunnel must still be open: nothing to read, no EOF.
    let mut dead = 0;
    for s in &streams {
        let mut b = [0u8; 1];
        match s.try_read(&mut b) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            _ => dead += 1,
        }
    }
    rt.block_on(async move { drop(streams) });
    (base, loaded, errors + dead, opened)
}

/// Open and close `n` direct connections to the idle server at once.
fn warm_up(rt: &tokio::runtime::Runtime, port: u16, n: usize) {
    rt.block_on(async move {
        let sem = Arc::new(tokio::sync::Semaphore::new(64));
        let mut tasks = Vec::with_capacity(n);
        for _ in 0..n {
            let sem = sem.clone();
            tasks.push(tokio::spawn(async move {
                let _permit = sem.acquire().await.unwrap();
                tokio::net::TcpStream::connect(("127.0.0.1", port)).await
            }));
        }
        let mut open = Vec::with_capacity(n);
        for t in tasks {
            open.push(t.await);
        }
    });
}

struct Tiny {
    child: Child,
    _dir: tempfile::TempDir,
    addr: SocketAddr,
}

fn start_tinyproxy(path: &str, max_clients: usize) -> Tiny {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let conf = dir.path().join("tinyproxy.conf");
    std::fs::write(
        &conf,
        format!(
            "Port {port}\nListen 127.0.0.1\nTimeout 600\nMaxClients {max_clients}\nAllow 127.0.0.1\nLogLevel Critical\nPidFile \"{}\"\n",
            dir.path().join("pid").display()
        ),
    )
    .unwrap();
    let child = Command::new(path)
        .arg("-d")
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tinyproxy");
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    for _ in 0..100 {
        if TcpStream::connect(addr).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Tiny {
        child,
        _dir: dir,
        addr,
    }
}

/// One way to the servers, with the process (if any) that relays.
struct Path {
    name: String,
    route: Route,
    pid: Option<u32>,
}

/// A cordon proxy process (this binary, or another build for A/B).
fn start_cordon(exe: &std::path::Path, ports: [u16; 4]) -> (Child, SocketAddr) {
    let (c, line) = spawn_mode(exe, "proxy", &ports.map(|p| p.to_string()));
    let addr = format!("127.0.0.1:{}", line.trim()).parse().unwrap();
    (c, addr)
}

/// Run `exe MODE ARGS...`, its stdin open until it should stop; returns it
/// and the first line it prints.
fn spawn_mode(exe: &std::path::Path, mode: &str, args: &[String]) -> (Child, String) {
    let mut c = Command::new(exe)
        .arg(mode)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(c.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (c, line)
}

fn run(args: &[String]) {
    let o = opts(args);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bytes = o.bulk_mib << 20;
    let exe = std::env::current_exe().unwrap();
    let (mut servers, line) = spawn_mode(&exe, "servers", &[bytes.to_string()]);
    let ports: Vec<u16> = line
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    let srv = Servers {
        bulk: ports[0],
        echo: ports[1],
        idle: ports[2],
        bulk_reno: ports[3],
    };
    // Each proxy holds two descriptors per tunnel.
    let fit = ((nofile().saturating_sub(64)) / 2) as usize;
    let mut o = o;
    if o.tunnels > fit {
        println!(
            "note: ulimit -n is {}: measuring {fit} tunnels instead of {} (raise the hard limit to measure more)\n",
            nofile(),
            o.tunnels
        );
        o.tunnels = fit;
    }

    let sports = [srv.bulk, srv.echo, srv.idle, srv.bulk_reno];
    let (mut cordon, cordon_addr) = start_cordon(&exe, sports);
    let mut others: Vec<(Child, SocketAddr, String)> =
        o.ab.iter()
            .flat_map(|l| l.split(','))
            .map(|p| {
                let (c, a) = start_cordon(std::path::Path::new(p), sports);
                let name = std::path::Path::new(p)
                    .file_name()
                    .map_or(p.to_string(), |n| n.to_string_lossy().into_owned());
                (c, a, name)
            })
            .collect();
    let mut tiny = start_tinyproxy(&o.tinyproxy, o.tunnels + 100);

    let mut paths = vec![
        Path {
            name: "direct".into(),
            route: Route::Direct,
            pid: None,
        },
        Path {
            name: "cordon".into(),
            route: Route::Proxy {
                addr: cordon_addr,
                host: "bench.test",
            },
            pid: Some(cordon.id()),
        },
    ];
    for (c, addr, name) in &others {
        paths.push(Path {
            name: format!("B:{name}"),
            route: Route::Proxy {
                addr: *addr,
                host: "bench.test",
            },
            pid: Some(c.id()),
        });
    }
    paths.push(Path {
        name: "tinyproxy".into(),
        route: Route::Proxy {
            addr: tiny.addr,
            host: "127.0.0.1",
        },
        pid: Some(tiny.child.id()),
    });
    let me = std::process::id();
    let spid = servers.id();

    println!("cordon-net proxy benchmark (loopback; direct vs cordon vs tinyproxy)\n");
    if o.only.contains('a') {
        // Each row: a path, the bulk server port, the row it is compared with.
        // The last two rows repeat direct and cordon with a sender on Reno:
        // cordon's own loopback sockets use Reno (relay::tune_loopback), so
        // these compare like with like whatever the system's default is.
        let mut rows: Vec<(String, usize, u16, usize)> = paths
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i, srv.bulk, 0))
            .collect();
        let reno = rows.len();
        let cc = reference_cc();
        rows.push((format!("direct/{cc}"), 0, srv.bulk_reno, reno));
        rows.push((format!("cordon/{cc}"), 1, srv.bulk_reno, reno));
        // Rounds interleave the rows so that a change in load hits all alike.
        let mut best = vec![0.0f64; rows.len()];
        // CPU seconds of (driver, server, proxy) per row, summed over rounds.
        let mut cpu = vec![[0.0f64; 3]; rows.len()];
        let mut segs = vec![0u64; rows.len()];
        for _ in 0..o.rounds {
            for (i, (_, pi, port, _)) in rows.iter().enumerate() {
                let p = &paths[*pi];
                let before = [cpu_secs(me), cpu_secs(spid), p.pid.map_or(0.0, cpu_secs)];
                let (rate, n) = bulk_once(&p.route, *port, bytes);
                best[i] = best[i].max(rate);
                segs[i] += n;
                let after = [cpu_secs(me), cpu_secs(spid), p.pid.map_or(0.0, cpu_secs)];
                for k in 0..3 {
                    cpu[i][k] += after[k] - before[k];
                }
            }
        }
        let gib = (o.rounds as u64 * o.bulk_mib) as f64 / 1024.0;
        println!(
            "(a) bulk download of {} MiB through a CONNECT tunnel, best of {}",
            o.bulk_mib, o.rounds
        );
        println!(
            "    (CPU s/GiB per process; the sender's congestion control is the system's ({}), {} in the /{} rows)",
            std::fs::read_to_string("/proc/sys/net/ipv4/tcp_congestion_control")
                .unwrap_or_default()
                .trim(),
            reference_cc(),
            reference_cc()
        );
        println!("                     MiB/s  of direct   client  server   proxy  KiB/segment in");
        for (i, (name, pi, _, base)) in rows.iter().enumerate() {
            let share = if i == *base {
                "         ".to_string()
            } else {
                format!("{:7.1}% ", 100.0 * best[i] / best[*base])
            };
            println!(
                "    {:11} {:9.0}  {share}  {:6.2}  {:6.2}  {}  {:6.1}{}",
                name,
                best[i],
                cpu[i][0] / gib,
                cpu[i][1] / gib,
                paths[*pi]
                    .pid
                    .map_or("     -".to_string(), |_| format!("{:6.2}", cpu[i][2] / gib)),
                (o.rounds as u64 * bytes) as f64 / 1024.0 / segs[i].max(1) as f64,
                if name == "cordon" {
                    "   (target >= 90% of direct)"
                } else {
                    ""
                }
            );
        }
    }

    if o.only.contains('b') {
        let routes: Vec<&Route> = paths.iter().map(|p| &p.route).collect();
        let lat = latencies(&routes, srv.echo, o.conns);
        println!(
            "\n(b) new connection + first byte echoed, {} sequential connections each, taking turns (microseconds)",
            o.conns
        );
        println!("                  p50      p99    added p50  added p99");
        let ld = &lat[0];
        println!("    direct     {:7.0}  {:7.0}", pct(ld, 0.5), pct(ld, 0.99));
        for (p, l) in paths.iter().zip(&lat).skip(1) {
            println!(
                "    {:10}{:7.0}  {:7.0}   {:8.0}   {:8.0}{}",
                p.name,
                pct(l, 0.5),
                pct(l, 0.99),
                pct(l, 0.5) - pct(ld, 0.5),
                pct(l, 0.99) - pct(ld, 0.99),
                if p.name == "cordon" {
                    "   (target: added p50 < 200)"
                } else {
                    ""
                }
            );
        }
    }

    if o.only.contains('c') {
        println!(
            "\n(c) {} concurrent idle CONNECT tunnels: proxy resident memory",
            o.tunnels
        );
        // The first batch of connections costs the server and this driver
        // more (their memory grows): pay that before timing any proxy.
        warm_up(&rt, srv.idle, o.tunnels);
        for p in paths.iter().skip(1) {
            let (b, l, e, t) = idle_tunnels(&rt, &p.route, srv.idle, o.tunnels, p.pid.unwrap());
            println!(
                "    {:10} before {:6.1} MiB  with tunnels {:7.1} MiB  ({:5.1} KiB/tunnel)  errors {e}  opened in {t:.1}s{}",
                p.name,
                b as f64 / 1024.0,
                l as f64 / 1024.0,
                (l.saturating_sub(b)) as f64 / o.tunnels as f64,
                if p.name == "cordon" { "  (target < 200 MiB, 0 errors)" } else { "" }
            );
        }
    }

    drop(cordon.stdin.take());
    let _ = cordon.wait();
    for (c, _, _) in &mut others {
        drop(c.stdin.take());
        let _ = c.wait();
    }
    drop(servers.stdin.take());
    let _ = servers.wait();
    let _ = tiny.child.kill();
    let _ = tiny.child.wait();
}
