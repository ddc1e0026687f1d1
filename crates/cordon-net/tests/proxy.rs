//! The proxy against real clients (curl, git, pip, python's ssl) and real
//! servers on 127.0.0.1. Names resolve through the static host map only.
use cordon_event::{Event, MemorySink};
use cordon_net::{Policy, Proxy, ProxyConfig, Resolver};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn support(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(name)
}

#[path = "support/server.rs"]
mod server;
use server::Server;

/// A site: a directory with a file, served over HTTP and HTTPS (test CA).
struct Site {
    dir: tempfile::TempDir,
    http: Server,
    https: Server,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("hello.txt"), "hello through cordon\n").unwrap();
        let tls = dir.path().join("tls");
        std::fs::create_dir(&tls).unwrap();
        let ok = Command::new(support("mkca.sh"))
            .arg(&tls)
            .args(["secure.test", "other.test"])
            .status()
            .unwrap();
        assert!(ok.success());
        let http = Server::start(&support("serve.py"), dir.path(), None);
        let https = Server::start(&support("serve.py"), dir.path(), Some(&tls));
        Site { dir, http, https }
    }
    fn ca(&self) -> PathBuf {
        self.dir.path().join("tls/ca.pem")
    }
}

/// The proxy on 127.0.0.1:<free port>, with its events.
struct TestProxy {
    proxy: Option<Proxy>,
    port: u16,
    sink: MemorySink,
}

/// Every test name resolves to 127.0.0.1 through the static map.
const NAMES: &[&str] = &[
    "web.test",
    "secure.test",
    "other.test",
    "evil.test",
    "web.test.evil.test",
    "evilweb.test",
    "a.web.test",
    "bad.web.test",
    "git.test",
    "pypi.test",
];

fn start_proxy(setup: impl FnOnce(&mut Policy)) -> TestProxy {
    let mut policy = Policy::new();
    setup(&mut policy);
    let mut resolver = Resolver::new();
    for n in NAMES {
        resolver.add_static(n, "127.0.0.1").unwrap();
    }
    resolver
        .add_static("metadata.test", "169.254.169.254")
        .unwrap();
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let sink = MemorySink::new();
    let mut cfg = ProxyConfig::new(policy, resolver, "test-session");
    cfg.connect_timeout = Duration::from_secs(5);
    let proxy = Proxy::start(cfg, vec![l], Arc::new(sink.clone())).unwrap();
    TestProxy {
        proxy: Some(proxy),
        port,
        sink,
    }
}

impl TestProxy {
    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
    /// The `net.connect` events for `host`, waiting briefly for them to arrive.
    fn events_for(&self, host: &str) -> Vec<Event> {
        self.events_n(host, 1)
    }
    /// At least `n` events for `host` (events are emitted as connections end).
    fn events_n(&self, host: &str, n: usize) -> Vec<Event> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let evs: Vec<Event> = self
                .sink
                .events()
                .into_iter()
                .filter(|e| e.kind == "net.connect" && e.payload["host"] == host)
                .collect();
            if evs.len() >= n || Instant::now() > deadline {
                return evs;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    fn last_event(&self, host: &str) -> serde_json::Value {
        let evs = self.events_for(host);
        assert!(
            !evs.is_empty(),
            "no event for {host}: {:?}",
            self.sink.events()
        );
        evs.last().unwrap().payload.clone()
    }
}

/// A proxy that reaches local servers (127.0.0.0/8) by name, allowing `patterns`.
fn local_proxy(patterns: &[String]) -> TestProxy {
    start_proxy(|p| {
        local(p);
        for pat in patterns {
            p.allow(pat, "--allow-domain").unwrap();
        }
    })
}

/// Local servers only: open through 127.0.0.0/8 for the names of the map.
fn local(p: &mut Policy) {
    p.allow_private("127.0.0.0/8").unwrap();
}

fn curl(args: &[&str]) -> Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "20", "--noproxy", ""])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .output()
        .expect("curl")
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn http_absolute_form_is_forwarded_and_recorded() {
    let site = Site::new();
    let p = local_proxy(&[format!("web.test:{}", site.http.port)]);
    let url = format!("http://web.test:{}/hello.txt", site.http.port);
    let o = curl(&["-x", &p.url(), &url]);
    assert_eq!(out(&o), "hello through cordon\n", "{}", err(&o));
    // The Host header reaches the server unchanged.
    let o = curl(&[
        "-x",
        &p.url(),
        &format!("http://web.test:{}/_host", site.http.port),
    ]);
    assert_eq!(out(&o), format!("web.test:{}", site.http.port));
    let ev = p.last_event("web.test");
    assert_eq!(ev["decision"], "allow");
    assert_eq!(ev["protocol"], "http");
    assert_eq!(ev["port"], site.http.port);
    assert_eq!(ev["address"], format!("127.0.0.1:{}", site.http.port));
    assert!(ev["rule"].as_str().unwrap().contains("web.test"), "{ev}");
    assert!(ev["bytes_up"].as_u64().unwrap() > 20, "{ev}");
    assert!(ev["bytes_down"].as_u64().unwrap() > 20, "{ev}");
    assert!(ev["duration_ms"].as_f64().unwrap() > 0.0, "{ev}");
    assert!(ev["started_ns"].as_u64().unwrap() > 0, "{ev}");
}

#[test]
fn https_through_connect_with_env_proxy() {
    let site = Site::new();
    let p = local_proxy(&[format!("secure.test:{}", site.https.port)]);
    let url = format!("https://secure.test:{}/hello.txt", site.https.port);
    let o = Command::new("curl")
        .args(["-sS", "--max-time", "20", "--cacert"])
        .arg(site.ca())
        .arg(&url)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HTTPS_PROXY", p.url())
        .output()
        .unwrap();
    assert_eq!(out(&o), "hello through cordon\n", "{}", err(&o));
    let ev = p.last_event("secure.test");
    assert_eq!(ev["protocol"], "connect");
    assert_eq!(ev["decision"], "allow");
    // TLS both ways: the handshake alone is hundreds of bytes each way.
    assert!(ev["bytes_up"].as_u64().unwrap() > 200, "{ev}");
    assert!(ev["bytes_down"].as_u64().unwrap() > 200, "{ev}");
}

#[test]
fn blocked_domain_by_http_connect_and_socks() {
    let site = Site::new();
    let p = start_proxy(local);
    let port = site.http.port;
    // HTTP: 403 whose body names the flag.
    let o = curl(&[
        "-x",
        &p.url(),
        "-w",
        "%{http_code}",
        &format!("http://evil.test:{port}/hello.txt"),
    ]);
    let body = out(&o);
    assert!(body.ends_with("403"), "{body}");
    assert!(
        body.contains(&format!("allow with: --allow-domain evil.test:{port}")),
        "{body}"
    );
    // CONNECT: the client sees the 403.
    let o = curl(&[
        "-x",
        &p.url(),
        "-k",
        &format!("https://evil.test:{}/", site.https.port),
    ]);
    assert!(!o.status.success());
    assert!(err(&o).contains("403"), "{}", err(&o));
    // SOCKS5 with a domain name: "connection not allowed by ruleset".
    let o = curl(&[
        "--socks5-hostname",
        &format!("127.0.0.1:{}", p.port),
        &format!("http://evil.test:{port}/hello.txt"),
    ]);
    assert_eq!(o.status.code(), Some(97), "{}", err(&o));
    // curl prints the reply code: 2, "connection not allowed by ruleset".
    assert!(err(&o).contains("(2)"), "{}", err(&o));
    let evs = p.events_n("evil.test", 3);
    let protos: Vec<&str> = evs
        .iter()
        .map(|e| e.payload["protocol"].as_str().unwrap())
        .collect();
    assert_eq!(protos, ["http", "connect", "socks5"]);
    assert!(evs.iter().all(|e| e.payload["decision"] == "deny"
        && e.payload["refusal"] == "not-allowed"
        && e.payload["rule"] == "default deny"
        && e.payload["address"].is_null()));
}

#[test]
fn socks5_domain_and_ip_address_types() {
    let site = Site::new();
    let port = site.http.port;
    let p = local_proxy(&[format!("web.test:{port}")]);
    let socks = format!("127.0.0.1:{}", p.port);
    let o = curl(&[
        "--socks5-hostname",
        &socks,
        &format!("http://web.test:{port}/hello.txt"),
    ]);
    assert_eq!(out(&o), "hello through cordon\n", "{}", err(&o));
    assert_eq!(p.last_event("web.test")["protocol"], "socks5");
    // IPv4 address type: an IP literal is refused unless written as such.
    let o = curl(&[
        "--socks5",
        &socks,
        &format!("http://127.0.0.1:{port}/hello.txt"),
    ]);
    assert_eq!(o.status.code(), Some(97), "{}", err(&o));
    let ev = p.last_event("127.0.0.1");
    assert_eq!(ev["refusal"], "ip-literal");
    assert_eq!(ev["fix"], format!("--allow-domain 127.0.0.1:{port}"));
    // IPv6 address type.
    let o = curl(&["--socks5", &socks, &format!("http://[::1]:{port}/")]);
    assert_eq!(o.status.code(), Some(97), "{}", err(&o));
    assert_eq!(p.last_event("[::1]")["refusal"], "ip-literal");
    // Written as such (and inside an allowed private range), the literal works.
    p.proxy
        .as_ref()
        .unwrap()
        .allow(&format!("127.0.0.1:{port}"), "test")
        .unwrap();
    let o = curl(&[
        "--socks5",
        &socks,
        &format!("http://127.0.0.1:{port}/hello.txt"),
    ]);
    assert_eq!(out(&o), "hello through cordon\n", "{}", err(&o));
}

#[test]
fn ip_literal_over_http_names_the_flag() {
    let site = Site::new();
    let p = start_proxy(local);
    let o = curl(&[
        "-x",
        &p.url(),
        &format!("http://127.0.0.1:{}/hello.txt", site.http.port),
    ]);
    let body = out(&o);
    assert!(body.contains("IP address"), "{body}");
    assert!(
        body.contains(&format!("--allow-domain 127.0.0.1:{}", site.http.port)),
        "{body}"
    );
}

#[test]
fn allowed_names_must_not_resolve_into_private_space() {
    let site = Site::new();
    let port = site.http.port;
    // No --allow-private: web.test -> 127.0.0.1 is refused even though allowed.
    let p = start_proxy(|p| {
        p.allow(&format!("web.test:{port}"), "--allow-domain")
            .unwrap();
        p.allow("metadata.test", "--allow-domain").unwrap();
    });
    let o = curl(&["-x", &p.url(), &format!("http://web.test:{port}/hello.txt")]);
    let body = out(&o);
    assert!(
        body.contains("resolves to 127.0.0.1, a loopback address"),
        "{body}"
    );
    assert!(
        body.contains("allow with: --allow-private 127.0.0.1/32"),
        "{body}"
    );
    let ev = p.last_event("web.test");
    assert_eq!(ev["refusal"], "private-address");
    assert_eq!(ev["rule"], "address guard");
    let o = curl(&["-x", &p.url(), "http://metadata.test/latest/meta-data/"]);
    assert!(out(&o).contains("cloud metadata"), "{}", out(&o));
    // The same refusal through CONNECT and SOCKS.
    let o = curl(&["-x", &p.url(), "-k", &format!("https://web.test:{port}/")]);
    assert!(err(&o).contains("403"), "{}", err(&o));
    let o = curl(&[
        "--socks5-hostname",
        &format!("127.0.0.1:{}", p.port),
        &format!("http://web.test:{port}/"),
    ]);
    assert_eq!(o.status.code(), Some(97));
}

#[test]
fn host_header_must_match_the_uri() {
    let site = Site::new();
    let port = site.http.port;
    let p = local_proxy(&[format!("web.test:{port}"), format!("evil.test:{port}")]);
    let o = curl(&[
        "-x",
        &p.url(),
        "-H",
        "Host: evil.test",
        &format!("http://web.test:{port}/_host"),
    ]);
    let body = out(&o);
    assert!(
        body.contains("Host header `evil.test` does not name"),
        "{body}"
    );
    assert_eq!(p.last_event("web.test")["refusal"], "host-mismatch");
    // Same host, different spelling, is fine.
    let o = curl(&[
        "-x",
        &p.url(),
        "-H",
        &format!("Host: WEB.test.:{port}"),
        &format!("http://web.test:{port}/_host"),
    ]);
    assert_eq!(out(&o), format!("WEB.test.:{port}"), "{}", err(&o));
}

#[test]
fn sni_naming_another_host_is_refused() {
    let site = Site::new();
    let port = site.https.port;
    let p = local_proxy(&[format!("secure.test:{port}"), format!("other.test:{port}")]);
    // curl tunnels to secure.test but its TLS names other.test (domain fronting).
    let o = curl(&[
        "-x",
        &p.url(),
        "--cacert",
        site.ca().to_str().unwrap(),
        "--connect-to",
        &format!("other.test:{port}:secure.test:{port}"),
        &format!("https://other.test:{port}/hello.txt"),
    ]);
    assert!(!o.status.success(), "{}", out(&o));
    let ev = p.last_event("secure.test");
    assert_eq!(ev["decision"], "deny", "{ev}");
    assert_eq!(ev["refusal"], "sni-mismatch", "{ev}");
    assert_eq!(ev["rule"], "TLS SNI check", "{ev}");
    assert!(
        ev["reason"].as_str().unwrap().contains("other.test"),
        "{ev}"
    );
    // Without fronting, both names work.
    for host in ["secure.test", "other.test"] {
        let o = curl(&[
            "-x",
            &p.url(),
            "--cacert",
            site.ca().to_str().unwrap(),
            &format!("https://{host}:{port}/hello.txt"),
        ]);
        assert_eq!(out(&o), "hello through cordon\n", "{host}: {}", err(&o));
    }
}

#[test]
fn suffix_confusion_and_deny_wins() {
    let site = Site::new();
    let port = site.http.port;
    let p = start_proxy(|p| {
        local(p);
        p.allow(&format!("web.test:{port}"), "--allow-domain")
            .unwrap();
        p.allow(&format!("*.web.test:{port}"), "--allow-domain")
            .unwrap();
        p.deny("bad.web.test", "--deny-domain").unwrap();
    });
    for host in ["web.test.evil.test", "evilweb.test"] {
        let o = curl(&["-x", &p.url(), &format!("http://{host}:{port}/hello.txt")]);
        assert!(
            out(&o).contains("not in the network policy"),
            "{host}: {}",
            out(&o)
        );
    }
    let o = curl(&[
        "-x",
        &p.url(),
        &format!("http://a.web.test:{port}/hello.txt"),
    ]);
    assert_eq!(out(&o), "hello through cordon\n");
    let o = curl(&[
        "-x",
        &p.url(),
        &format!("http://bad.web.test:{port}/hello.txt"),
    ]);
    assert!(out(&o).contains("deny wins"), "{}", out(&o));
    assert_eq!(
        p.last_event("bad.web.test")["rule"],
        "bad.web.test (--deny-domain)"
    );
}

#[test]
fn ports_beyond_80_and_443_need_naming() {
    let site = Site::new();
    let port = site.http.port;
    let p = local_proxy(&["web.test".to_string()]);
    let o = curl(&["-x", &p.url(), &format!("http://web.test:{port}/hello.txt")]);
    let body = out(&o);
    assert!(
        body.contains(&format!("port {port} of web.test is not allowed")),
        "{body}"
    );
    assert!(
        body.contains(&format!("--allow-domain web.test:{port}")),
        "{body}"
    );
}

#[test]
fn allow_domain_over_the_control_socket_takes_effect_next_connection() {
    let site = Site::new();
    let port = site.http.port;
    let p = start_proxy(local);
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("s.sock");
    p.proxy.as_ref().unwrap().serve_control(&sock).unwrap();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let url = format!("http://web.test:{port}/hello.txt");
    assert!(out(&curl(&["-x", &p.url(), &url])).contains("not in the network policy"));
    assert_eq!(p.last_event("web.test")["decision"], "deny");
    let bad = cordon_net::control::request_allow(&sock, "*").unwrap();
    assert!(bad.unwrap_err().contains("every host"));
    cordon_net::control::request_allow(&sock, &format!("web.test:{port}"))
        .unwrap()
        .unwrap();
    assert_eq!(
        out(&curl(&["-x", &p.url(), &url])),
        "hello through cordon\n"
    );
    let change = p
        .sink
        .events()
        .into_iter()
        .find(|e| e.kind == "net.policy")
        .expect("policy change journaled");
    assert_eq!(change.payload["pattern"], format!("web.test:{port}"));
    assert!(
        change.payload["by"].as_str().unwrap().contains("uid"),
        "{:?}",
        change.payload
    );
}

#[test]
fn summary_lists_blocked_hosts_with_flags() {
    let site = Site::new();
    let port = site.http.port;
    let p = start_proxy(|p| {
        p.allow(&format!("web.test:{port}"), "--allow-domain")
            .unwrap()
    });
    for _ in 0..2 {
        curl(&["-x", &p.url(), &format!("http://evil.test:{port}/")]);
    }
    curl(&["-x", &p.url(), &format!("http://web.test:{port}/")]);
    let mut p = p;
    let blocked = p.proxy.take().unwrap().shutdown();
    let text = cordon_net::summary(&blocked).unwrap();
    assert!(
        text.contains("refused 3 connections to 2 destinations"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "evil.test:{port} (2x)  allow with: --allow-domain evil.test:{port}"
        )),
        "{text}"
    );
    let web = text
        .lines()
        .find(|l| l.contains(&format!("web.test:{port}")))
        .unwrap();
    assert!(
        web.ends_with("allow with: --allow-private 127.0.0.1/32"),
        "{text}"
    );
}

#[test]
fn shutdown_cuts_open_tunnels_and_records_them() {
    let site = Site::new();
    let port = site.http.port;
    let mut p = local_proxy(&[format!("web.test:{port}")]);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", p.port)).unwrap();
    write!(
        s,
        "CONNECT web.test:{port} HTTP/1.1\r\nHost: web.test:{port}\r\n\r\n"
    )
    .unwrap();
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // A plain-text request through the tunnel (not TLS: no SNI to check).
    write!(s, "GET /hello.txt HTTP/1.0\r\n\r\n").unwrap();
    let mut got = String::new();
    s.read_to_string(&mut got).unwrap();
    assert!(got.ends_with("hello through cordon\n"), "{got}");
    // A second tunnel stays open until shutdown.
    let mut idle = std::net::TcpStream::connect(("127.0.0.1", p.port)).unwrap();
    write!(idle, "CONNECT web.test:{port} HTTP/1.1\r\n\r\n").unwrap();
    let n = idle.read(&mut buf).unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    p.proxy.take().unwrap().shutdown();
    assert_eq!(idle.read(&mut buf).unwrap_or(0), 0, "tunnel cut");
    let evs = p.events_for("web.test");
    assert_eq!(evs.len(), 2, "{evs:?}");
    assert!(evs.iter().all(|e| e.payload["decision"] == "allow"));
}

#[test]
fn git_clone_over_http_and_https() {
    let site = Site::new();
    let root = site.dir.path();
    let git = |args: &[&str], dir: &Path| {
        let o = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .output()
            .unwrap();
        assert!(o.status.success(), "git {args:?}: {}", err(&o));
    };
    let work = root.join("work");
    std::fs::create_dir(&work).unwrap();
    git(&["init", "-q", "-b", "main"], &work);
    std::fs::write(work.join("README"), "cloned through cordon\n").unwrap();
    git(&["add", "README"], &work);
    git(&["commit", "-qm", "first"], &work);
    git(&["clone", "-q", "--bare", "work", "repo.git"], root);
    git(&["update-server-info"], &root.join("repo.git"));
    let (hp, sp) = (site.http.port, site.https.port);
    let p = local_proxy(&[format!("git.test:{hp}"), format!("secure.test:{sp}")]);
    let dest = tempfile::tempdir().unwrap();
    for (name, url) in [
        ("http", format!("http://git.test:{hp}/repo.git")),
        ("https", format!("https://secure.test:{sp}/repo.git")),
    ] {
        let o = Command::new("git")
            .args(["clone", "-q", &url, name])
            .current_dir(dest.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap())
            .env("HOME", dest.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("http_proxy", p.url())
            .env("https_proxy", p.url())
            .env("GIT_SSL_CAINFO", site.ca())
            .output()
            .unwrap();
        assert!(o.status.success(), "{name}: {}", err(&o));
        let readme = std::fs::read_to_string(dest.path().join(name).join("README")).unwrap();
        assert_eq!(readme, "cloned through cordon\n");
    }
    assert_eq!(p.last_event("git.test")["protocol"], "http");
    assert_eq!(p.last_event("secure.test")["protocol"], "connect");
}

#[test]
fn pip_download_from_a_local_index_over_https() {
    let site = Site::new();
    let root = site.dir.path();
    // A minimal wheel and a PEP 503 simple index that links to it.
    let wheel = "demo_pkg-1.0-py3-none-any.whl";
    let files = root.join("files");
    std::fs::create_dir_all(root.join("simple/demo-pkg")).unwrap();
    std::fs::create_dir(&files).unwrap();
    let script = format!(
        "import zipfile\nz = zipfile.ZipFile({:?}, 'w')\n\
         z.writestr('demo_pkg/__init__.py', '')\n\
         z.writestr('demo_pkg-1.0.dist-info/METADATA', 'Metadata-Version: 2.1\\nName: demo-pkg\\nVersion: 1.0\\n')\n\
         z.writestr('demo_pkg-1.0.dist-info/WHEEL', 'Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')\n\
         z.writestr('demo_pkg-1.0.dist-info/RECORD', '')\nz.close()\n",
        files.join(wheel)
    );
    assert!(Command::new("python3")
        .args(["-c", &script])
        .status()
        .unwrap()
        .success());
    std::fs::write(
        root.join("simple/demo-pkg/index.html"),
        format!("<html><body><a href=\"../../files/{wheel}\">{wheel}</a></body></html>\n"),
    )
    .unwrap();
    let sp = site.https.port;
    let p = local_proxy(&[format!("secure.test:{sp}")]);
    let dest = tempfile::tempdir().unwrap();
    let o = Command::new("python3")
        .args([
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--no-cache-dir",
            "--disable-pip-version-check",
            "-q",
        ])
        .args(["--index-url", &format!("https://secure.test:{sp}/simple/")])
        .arg("-d")
        .arg(dest.path())
        .arg("demo-pkg")
        .env("PIP_PROXY", p.url())
        .env("HTTPS_PROXY", p.url())
        .env("PIP_CERT", site.ca())
        // requests lets this variable override pip's own --cert / PIP_CERT.
        .env("REQUESTS_CA_BUNDLE", site.ca())
        .env_remove("PIP_FIND_LINKS")
        .env_remove("PIP_INDEX_URL")
        .output()
        .unwrap();
    assert!(o.status.success(), "pip: {}{}", out(&o), err(&o));
    assert!(dest.path().join(wheel).is_file());
    assert_eq!(p.last_event("secure.test")["decision"], "allow");
}

#[test]
fn tunnels_carry_large_streams_both_ways_and_half_close() {
    // An echo server that closes its side once the client has finished.
    let echo = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = echo.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut s, _) = echo.accept().unwrap();
        let mut r = s.try_clone().unwrap();
        std::io::copy(&mut r, &mut s).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let p = local_proxy(&[format!("web.test:{port}")]);
    let mut s = tunnel(p.port, port, Via::Connect);
    const N: usize = 8 << 20;
    let data: Vec<u8> = (0..N).map(|i| (i * 7 % 251) as u8).collect();
    let mut w = s.try_clone().unwrap();
    let sent = data.clone();
    let writer = std::thread::spawn(move || {
        w.write_all(&sent).unwrap();
        w.shutdown(std::net::Shutdown::Write).unwrap();
    });
    let mut back = Vec::with_capacity(N);
    s.read_to_end(&mut back).unwrap();
    writer.join().unwrap();
    assert_eq!(back.len(), N);
    assert!(back == data, "echoed bytes differ");
    let ev = p.last_event("web.test");
    assert_eq!(ev["bytes_up"], N as u64, "{ev}");
    assert_eq!(ev["bytes_down"], N as u64, "{ev}");
    assert!(ev["ended"].is_null(), "{ev}");
}

/// Read one HTTP response with a Content-Length body (or none).
fn read_response(s: &mut std::net::TcpStream) -> (String, String) {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        s.read_exact(&mut b).unwrap();
        head.push(b[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    s.read_exact(&mut body).unwrap();
    (head, String::from_utf8(body).unwrap())
}

#[test]
fn connect_after_a_request_on_a_kept_alive_connection_and_raw_refusals() {
    let site = Site::new();
    let port = site.http.port;
    let p = local_proxy(&[format!("web.test:{port}")]);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", p.port)).unwrap();
    write!(
        s,
        "GET http://web.test:{port}/hello.txt HTTP/1.1\r\nHost: web.test:{port}\r\n\r\n"
    )
    .unwrap();
    let (head, body) = read_response(&mut s);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body, "hello through cordon\n");
    write!(
        s,
        "CONNECT web.test:{port} HTTP/1.1\r\nHost: web.test:{port}\r\n\r\n"
    )
    .unwrap();
    let (head, _) = read_response(&mut s);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    write!(s, "GET /hello.txt HTTP/1.0\r\n\r\n").unwrap();
    let mut got = String::new();
    s.read_to_string(&mut got).unwrap();
    assert!(got.ends_with("hello through cordon\n"), "{got}");
    // A refused CONNECT as the first request: 403 with the reason and the flag.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", p.port)).unwrap();
    write!(s, "CONNECT evil.test:443 HTTP/1.1\r\n\r\n").unwrap();
    let (head, body) = read_response(&mut s);
    assert!(head.starts_with("HTTP/1.1 403 Forbidden"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("x-cordon-refusal: not-allowed"),
        "{head}"
    );
    assert_eq!(
        body,
        "cordon: evil.test is not in the network policy (allow with: --allow-domain evil.test)\n\
         cordon: or, while this session runs, from outside the sandbox: \
         cordon allow-domain --session test-session evil.test\n"
    );
    // Malformed: no port, garbage authority.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", p.port)).unwrap();
    write!(s, "CONNECT /nonsense HTTP/1.1\r\n\r\n").unwrap();
    let (head, _) = read_response(&mut s);
    assert!(head.starts_with("HTTP/1.1 400"), "{head}");
}

#[test]
fn socks5_refuses_other_commands_and_auth_methods_with_reply_codes() {
    let p = start_proxy(local);
    let socks = |greeting: &[u8], request: &[u8]| -> Vec<u8> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", p.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(greeting).unwrap();
        let mut method = [0u8; 2];
        s.read_exact(&mut method).unwrap();
        if method[1] == 0xff {
            return method.to_vec();
        }
        s.write_all(request).unwrap();
        let mut reply = [0u8; 10];
        s.read_exact(&mut reply).unwrap();
        reply.to_vec()
    };
    // Only username/password offered: no acceptable method.
    assert_eq!(socks(&[5, 1, 2], &[]), [5, 0xff]);
    // UDP ASSOCIATE (3): command not supported (7).
    let r = socks(&[5, 1, 0], &[5, 3, 0, 1, 127, 0, 0, 1, 0, 53]);
    assert_eq!(r[1], 7);
    // Unknown address type: 8.
    let r = socks(&[5, 1, 0], &[5, 1, 0, 9]);
    assert_eq!(r[1], 8);
    // CONNECT to a name outside the policy: not allowed by ruleset (2).
    let mut req = vec![5, 1, 0, 3, 9];
    req.extend(b"evil.test");
    req.extend(443u16.to_be_bytes());
    assert_eq!(socks(&[5, 1, 0], &req)[1], 2);
    let ev = p.last_event("evil.test");
    assert_eq!(ev["protocol"], "socks5");
    assert_eq!(ev["fix"], "--allow-domain evil.test");
}

// ------------------------------------------------- bulk and half-close

#[path = "support/bulk.rs"]
mod bulk;
use bulk::noise;

fn sha256(b: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(b).to_vec()
}

/// How a test client reaches web.test:`port` through the proxy.
#[derive(Clone, Copy, Debug)]
enum Via {
    Connect,
    Socks,
}

/// Open a tunnel to web.test:`port`; returns it ready for data.
fn tunnel(proxy: u16, port: u16, via: Via) -> std::net::TcpStream {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", proxy)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    match via {
        Via::Connect => {
            bulk::connect(&mut s, &format!("web.test:{port}"));
        }
        Via::Socks => {
            s.write_all(&[5, 1, 0]).unwrap();
            let mut m = [0u8; 2];
            s.read_exact(&mut m).unwrap();
            assert_eq!(m, [5, 0]);
            let mut req = vec![5, 1, 0, 3, 8];
            req.extend(b"web.test");
            req.extend(port.to_be_bytes());
            s.write_all(&req).unwrap();
            let mut reply = [0u8; 10];
            s.read_exact(&mut reply).unwrap();
            assert_eq!(reply[1], 0, "SOCKS reply {reply:?}");
        }
    }
    s
}

/// A server for one connection: sends `down` while it reads everything the
/// client sends, then closes; yields the hash of what it received.
fn bulk_server(down: Vec<u8>) -> (u16, std::thread::JoinHandle<Vec<u8>>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let h = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut w = s.try_clone().unwrap();
        let sender = std::thread::spawn(move || {
            w.write_all(&down).unwrap();
            w.shutdown(std::net::Shutdown::Write).unwrap();
        });
        let mut got = Vec::new();
        s.read_to_end(&mut got).unwrap();
        sender.join().unwrap();
        sha256(&got)
    });
    (port, h)
}

#[test]
fn bulk_payloads_both_ways_through_connect_and_socks_match_by_hash() {
    // Different sizes each way, so swapped byte counters show too.
    const UP: usize = 6 << 20;
    const DOWN: usize = 9 << 20;
    for via in [Via::Connect, Via::Socks] {
        let up = noise(UP, 1);
        let down = noise(DOWN, 2);
        let (up_hash, down_hash) = (sha256(&up), sha256(&down));
        let (port, server) = bulk_server(down);
        let p = local_proxy(&[format!("web.test:{port}")]);
        let mut s = tunnel(p.port, port, via);
        let mut w = s.try_clone().unwrap();
        let writer = std::thread::spawn(move || {
            w.write_all(&up).unwrap();
            w.shutdown(std::net::Shutdown::Write).unwrap();
        });
        let mut back = Vec::with_capacity(DOWN);
        s.read_to_end(&mut back).unwrap();
        writer.join().unwrap();
        assert_eq!(back.len(), DOWN, "{via:?}");
        assert!(
            sha256(&back) == down_hash,
            "{via:?}: downloaded bytes differ"
        );
        assert!(
            server.join().unwrap() == up_hash,
            "{via:?}: uploaded bytes differ"
        );
        let ev = p.last_event("web.test");
        assert_eq!(ev["bytes_up"], UP as u64, "{via:?} {ev}");
        assert_eq!(ev["bytes_down"], DOWN as u64, "{via:?} {ev}");
        assert_eq!(ev["decision"], "allow", "{via:?} {ev}");
        assert!(ev["ended"].is_null(), "{via:?} {ev}");
    }
}

#[test]
fn half_close_each_way_keeps_the_other_direction_open() {
    for via in [Via::Connect, Via::Socks] {
        // 1. The client finishes first; the server answers only after it has
        //    seen the client's end of stream.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut req = Vec::new();
            s.read_to_end(&mut req).unwrap();
            let answer = noise(3 << 20, req.len() as u64);
            s.write_all(&answer).unwrap();
            sha256(&answer)
        });
        let p = local_proxy(&[format!("web.test:{port}")]);
        let mut s = tunnel(p.port, port, via);
        s.write_all(b"the whole request").unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).unwrap();
        assert!(
            sha256(&answer) == server.join().unwrap(),
            "{via:?}: answer after the client's half-close"
        );
        let ev = p.last_event("web.test");
        assert_eq!(ev["bytes_up"], 17, "{via:?} {ev}");
        assert_eq!(ev["bytes_down"], 3 << 20, "{via:?} {ev}");

        // 2. The server finishes first; the client keeps sending after it
        //    has read the server's end of stream, and all of it arrives.
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            s.write_all(b"hello, then nothing more").unwrap();
            s.shutdown(std::net::Shutdown::Write).unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            sha256(&got)
        });
        p.proxy
            .as_ref()
            .unwrap()
            .allow(&format!("web.test:{port}"), "test")
            .unwrap();
        let mut s = tunnel(p.port, port, via);
        let mut greeting = Vec::new();
        s.read_to_end(&mut greeting).unwrap();
        assert_eq!(greeting, b"hello, then nothing more", "{via:?}");
        let late = noise(4 << 20, 3);
        s.write_all(&late).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        assert!(
            server.join().unwrap() == sha256(&late),
            "{via:?}: upload after the server's half-close"
        );
        let evs = p.events_n("web.test", 2);
        let ev = &evs.last().unwrap().payload;
        assert_eq!(ev["port"], port, "{via:?} {ev}");
        assert_eq!(ev["bytes_up"], 4 << 20, "{via:?} {ev}");
        assert_eq!(ev["bytes_down"], 24, "{via:?} {ev}");
        assert!(ev["ended"].is_null(), "{via:?} {ev}");
    }
}
