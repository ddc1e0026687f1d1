//! `cordon run` and the network: real clients inside the sandbox reach local
//! servers on the host only through cordon's proxy and its policy.
//!
//! The servers listen on the host's 127.0.0.1; the sandbox has its own
//! loopback, so the proxy is the only way to them, and only for names of the
//! static host map with `--allow-private 127.0.0.0/8`.
#[path = "sandbox_support/mod.rs"]
mod sandbox_support;

use sandbox_support::{cordon_bin, err, ok, out, As, World};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn support(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../cordon-net/tests/support")
        .join(name)
}

#[path = "../../cordon-net/tests/support/server.rs"]
mod server;
use server::Server;

/// A world with a served site (HTTP and HTTPS with a test CA, a git repo)
/// and a config file mapping the test names to 127.0.0.1.
struct Net {
    world: World,
    http: Server,
    https: Server,
    site: PathBuf,
    config: PathBuf,
}

impl Net {
    fn new() -> Net {
        Net::new_as(As::Root)
    }

    fn new_as(who: As) -> Net {
        let world = World::new(who);
        let site = world.outside.join("site");
        let tls = site.join("tls");
        std::fs::create_dir_all(&tls).unwrap();
        std::fs::write(site.join("hello.txt"), "hello through cordon\n").unwrap();
        let ok = Command::new(support("mkca.sh"))
            .arg(&tls)
            .arg("secure.test")
            .status()
            .unwrap();
        assert!(ok.success());
        // A bare repository served by the dumb HTTP protocol.
        let sh = format!(
            "set -e; cd {site:?}; git init -q -b main w; cd w; echo 'cloned through cordon' > README; \
             git add README; git -c user.name=t -c user.email=t@t commit -qm first; cd ..; \
             git clone -q --bare w repo.git; git -C repo.git update-server-info"
        );
        let o = Command::new("sh")
            .arg("-c")
            .arg(&sh)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", err(&o));
        let http = Server::start(&support("serve.py"), &site, None);
        let https = Server::start(&support("serve.py"), &site, Some(&tls));
        let config = world.outside.join("net.toml");
        std::fs::write(
            &config,
            "[network]\nhosts = { \"web.test\" = \"127.0.0.1\", \"secure.test\" = \"127.0.0.1\", \"evil.test\" = \"127.0.0.1\" }\n",
        )
        .unwrap();
        Net {
            world,
            http,
            https,
            site,
            config,
        }
    }

    /// `cordon run --config net.toml ARGS -- bash -c SCRIPT`.
    fn run(&self, args: &[&str], script: &str) -> std::process::Output {
        let mut all = vec!["--config", self.config.to_str().unwrap()];
        all.extend_from_slice(args);
        self.world.run(&all, script)
    }
}

#[test]
fn curl_and_git_inside_reach_host_servers_through_the_proxy() {
    curl_and_git(As::Root);
}

#[test]
fn the_same_as_an_unprivileged_user() {
    curl_and_git(As::Nobody);
}

fn curl_and_git(who: As) {
    let n = Net::new_as(who);
    let (hp, sp) = (n.http.port, n.https.port);
    // The sandbox has its own /tmp: give it the CA through the workspace.
    let ca = n.world.ws.join("ca.pem");
    std::fs::copy(n.site.join("tls/ca.pem"), &ca).unwrap();
    let script = format!(
        "set -e; curl -sS --max-time 20 http://web.test:{hp}/hello.txt; \
         curl -sS --max-time 20 --cacert {ca:?} https://secure.test:{sp}/hello.txt; \
         git clone -q http://web.test:{hp}/repo.git cloned; cat cloned/README; \
         GIT_SSL_CAINFO={ca:?} git clone -q https://secure.test:{sp}/repo.git cloned2; cat cloned2/README"
    );
    let o = n.run(
        &[
            "--allow-domain",
            &format!("web.test:{hp}"),
            "--allow-domain",
            &format!("secure.test:{sp}"),
            "--allow-private",
            "127.0.0.0/8",
        ],
        &script,
    );
    assert_eq!(
        ok(&o),
        "hello through cordon\nhello through cordon\ncloned through cordon\ncloned through cordon\n"
    );
    // Nothing was refused: no summary.
    assert!(!err(&o).contains("network policy refused"), "{}", err(&o));
}

#[test]
fn refusals_are_explained_and_summarised_with_the_exact_flag() {
    let n = Net::new();
    let hp = n.http.port;
    let script = format!(
        "curl -sS --max-time 20 http://evil.test:{hp}/hello.txt; echo; \
         curl -sS --max-time 20 http://web.test:{hp}/hello.txt; echo; \
         curl -sS --max-time 20 http://192.0.2.10/; echo; \
         curl -sS --max-time 20 -x socks5h://127.0.0.1:1080 http://evil.test:{hp}/ 2>&1; echo; \
         curl -sS --max-time 20 -k https://evil.test:{}/ 2>&1; echo",
        n.https.port
    );
    // web.test is allowed but resolves to loopback: needs --allow-private.
    let o = n.run(&["--allow-domain", &format!("web.test:{hp}")], &script);
    let inside = out(&o);
    assert!(
        inside.contains(&format!(
            "evil.test is not in the network policy (allow with: --allow-domain evil.test:{hp})"
        )),
        "{inside}"
    );
    assert!(inside.contains("web.test resolves to 127.0.0.1, a loopback address (allow with: --allow-private 127.0.0.1/32)"), "{inside}");
    // An IP literal (documentation range: refused before any connection).
    assert!(inside.contains("192.0.2.10 is an IP address; IP addresses are only allowed when written as such (allow with: --allow-domain 192.0.2.10)"), "{inside}");
    assert!(inside.contains("(97)"), "SOCKS refusal: {inside}");
    assert!(inside.contains("403"), "CONNECT refusal: {inside}");
    let summary = err(&o);
    assert!(
        summary.contains("cordon: the network policy refused 5 connections"),
        "{summary}"
    );
    let line = |dest: &str| {
        summary
            .lines()
            .find(|l| l.trim_start().starts_with(dest))
            .unwrap_or_else(|| panic!("{dest} missing from summary:\n{summary}"))
            .to_string()
    };
    assert!(line(&format!("evil.test:{hp} (2x)"))
        .ends_with(&format!("allow with: --allow-domain evil.test:{hp}")));
    assert!(line(&format!("web.test:{hp}")).ends_with("allow with: --allow-private 127.0.0.1/32"));
    assert!(
        line(&format!("evil.test:{}", n.https.port)).ends_with(&format!(
            "allow with: --allow-domain evil.test:{}",
            n.https.port
        ))
    );
}

#[test]
fn direct_connections_from_inside_fail() {
    let n = Net::new();
    let hp = n.http.port;
    // Addresses from documentation ranges: never routed anywhere.
    let program = format!(
        r#"
import errno, socket
def attempt(name, fn):
    try:
        fn()
        print(name, "CONNECTED")
    except OSError as e:
        print(name, "failed", errno.errorcode.get(e.errno, e.errno))
def tcp(host, port, fam=socket.AF_INET):
    s = socket.socket(fam, socket.SOCK_STREAM); s.settimeout(3); s.connect((host, port))
def udp():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.sendto(b"x", ("192.0.2.1", 53))
def raw():
    socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
def packet():
    socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
attempt("host-loopback", lambda: tcp("127.0.0.1", {hp}))
attempt("tcp4", lambda: tcp("192.0.2.1", 80))
attempt("udp4", udp)
attempt("tcp6", lambda: tcp("2001:db8::1", 80, socket.AF_INET6))
attempt("tcp6-loopback", lambda: tcp("::1", {hp}, socket.AF_INET6))
attempt("raw", raw)
attempt("packet", packet)
"#
    );
    let mut c = n.world.cordon();
    c.arg("run")
        .args([
            "--config",
            n.config.to_str().unwrap(),
            "--allow-domain",
            &format!("web.test:{hp}"),
            "--allow-private",
            "127.0.0.0/8",
        ])
        .arg("--")
        .arg("/usr/bin/python3")
        .arg("-c")
        .arg(&program);
    let o = c.output().unwrap();
    let text = ok(&o);
    assert!(!text.contains("CONNECTED"), "{text}");
    for name in [
        "host-loopback",
        "tcp4",
        "udp4",
        "tcp6",
        "tcp6-loopback",
        "raw",
        "packet",
    ] {
        assert!(text.contains(&format!("{name} failed")), "{name}: {text}");
    }
    // The host's server is not the sandbox's loopback; nothing routes out.
    // (Landlock or seccomp may answer first with EACCES/EPERM: also a failure.)
    let refused = |name: &str, want: &str| {
        [want, "EACCES", "EPERM"]
            .iter()
            .any(|e| text.contains(&format!("{name} failed {e}")))
    };
    assert!(refused("host-loopback", "ECONNREFUSED"), "{text}");
    assert!(refused("tcp4", "ENETUNREACH"), "{text}");
}

#[test]
fn no_network_means_no_proxy_either() {
    let n = Net::new();
    let o = n.run(
        &["--no-network"],
        "env | grep -ci proxy; curl -sS --max-time 5 -x http://127.0.0.1:3128 http://web.test/ 2>&1; echo rc=$?",
    );
    let text = out(&o);
    assert!(text.starts_with("0\n"), "{text}");
    assert!(text.contains("rc=7"), "curl must fail to connect: {text}");
}

/// Start `script` in a sandbox that may reach the local servers (not yet
/// `web.test`), wait until it has touched `ready` in the workspace, and return
/// the running cordon with its session id (read off the control socket, outside).
fn run_until_ready(n: &Net, script: &str) -> (std::process::Child, String, PathBuf) {
    let ws = n.world.ws.clone();
    let mut c = n.world.cordon();
    c.arg("run")
        .args([
            "--config",
            n.config.to_str().unwrap(),
            "--allow-private",
            "127.0.0.0/8",
        ])
        .args(["--", "bash", "-c", script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = c.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ws.join("ready").exists() {
        assert!(Instant::now() < deadline, "sandbox never got ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    let run_dir = n.world.home.join(".local/share/cordon/run");
    let session = std::fs::read_dir(&run_dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .find_map(|e| {
            e.file_name()
                .to_str()?
                .strip_suffix(".sock")
                .map(String::from)
        })
        .expect("control socket");
    (child, session, run_dir)
}

/// `cordon allow-domain --session SESSION PATTERN`, run on the host.
fn allow_from_outside(n: &Net, session: &str, pattern: &str) -> std::process::Output {
    n.world
        .cordon()
        .args(["allow-domain", "--session", session, pattern])
        .output()
        .unwrap()
}

#[test]
fn allow_domain_from_outside_applies_to_the_next_connection() {
    let n = Net::new();
    let hp = n.http.port;
    let ws = n.world.ws.clone();
    let url = format!("http://web.test:{hp}/hello.txt");
    let script = format!(
        "curl -sS --max-time 20 {url}; echo; \
         {cordon} allow-domain --session \"$CORDON_SESSION\" web.test:{hp} 2>&1; echo inside-rc=$?; \
         touch ready; i=0; while [ ! -e go ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; \
         curl -sS --max-time 20 {url}",
        cordon = cordon_bin().display()
    );
    // The session's control socket, outside the sandbox.
    let (child, session, run_dir) = run_until_ready(&n, &script);
    let a = allow_from_outside(&n, &session, &format!("web.test:{hp}"));
    assert!(a.status.success(), "{}", err(&a));
    assert!(
        out(&a).contains(&format!("allows web.test:{hp}")),
        "{}",
        out(&a)
    );
    std::fs::write(ws.join("go"), "").unwrap();
    let o = child.wait_with_output().unwrap();
    let text = ok(&o);
    let mut lines = text.lines();
    assert!(
        lines.next().unwrap().contains("not in the network policy"),
        "{text}"
    );
    // The refusal told the agent the exact command for its user.
    assert!(
        text.contains(&format!(
            "from outside the sandbox: cordon allow-domain --session {session} web.test:{hp}"
        )),
        "{text}"
    );
    // From inside, the session cannot widen its own policy.
    assert!(!text.contains("inside-rc=0"), "{text}");
    assert!(text.ends_with("hello through cordon\n"), "{text}");
    // The control socket is gone with the session.
    assert!(!run_dir.join(format!("{session}.sock")).exists());
}

/// The proxy's runtime starts on first use; a control request that comes
/// before any connection starts it too, and the change holds for the first
/// connection.
#[test]
fn allow_domain_before_any_connection_applies() {
    let n = Net::new();
    let hp = n.http.port;
    let ws = n.world.ws.clone();
    let script = format!(
        "touch ready; i=0; while [ ! -e go ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; \
         curl -sS --max-time 20 http://web.test:{hp}/hello.txt"
    );
    // The control socket exists before the first connection.
    let (child, session, _) = run_until_ready(&n, &script);
    let a = allow_from_outside(&n, &session, &format!("web.test:{hp}"));
    assert!(a.status.success(), "{}", err(&a));
    std::fs::write(ws.join("go"), "").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(ok(&o).ends_with("hello through cordon\n"), "{}", ok(&o));
}

#[test]
fn allow_domain_checks_its_arguments() {
    let w = World::new(As::Root);
    let o = w
        .cordon()
        .args(["allow-domain", "--session", "nope-123", "docs.rs"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("no running session `nope-123`"),
        "{}",
        err(&o)
    );
    let o = w
        .cordon()
        .args(["allow-domain", "--session", "../x", "docs.rs"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = w
        .cordon()
        .args(["allow-domain", "--session", "abc", "*"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(err(&o).contains("every host"), "{}", err(&o));
}

#[test]
fn bad_network_flags_and_config_are_usage_errors() {
    let n = Net::new();
    let o = n.run(&["--net", "registries,everything"], "true");
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(
        err(&o).contains("unknown network preset `everything`"),
        "{}",
        err(&o)
    );
    let o = n.run(&["--allow-private", "lots"], "true");
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    let bad = n.world.outside.join("bad.toml");
    std::fs::write(&bad, "[network]\nhosts = { \"x.test\" = \"not-an-ip\" }\n").unwrap();
    let o = n.world.run(&["--config", bad.to_str().unwrap()], "true");
    assert_eq!(o.status.code(), Some(2), "{}", err(&o));
    assert!(err(&o).contains("bad.toml:2: network.hosts"), "{}", err(&o));
}

/// A minimal npm registry (packument + tarball) and PEP 503 index (+ wheel) in `site`.
fn package_registries(site: &Path, http_port: u16) {
    let script = format!(
        r#"
import hashlib, io, json, os, tarfile, zipfile
site = {site:?}
# npm: a tarball and its packument at /demo-pkg
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as t:
    data = json.dumps({{"name": "demo-pkg", "version": "1.0.0"}}).encode()
    info = tarfile.TarInfo("package/package.json"); info.size = len(data)
    t.addfile(info, io.BytesIO(data))
tgz = buf.getvalue()
open(os.path.join(site, "demo-pkg-1.0.0.tgz"), "wb").write(tgz)
doc = {{"name": "demo-pkg", "dist-tags": {{"latest": "1.0.0"}}, "versions": {{"1.0.0": {{
    "name": "demo-pkg", "version": "1.0.0",
    "dist": {{"tarball": "http://web.test:{http_port}/demo-pkg-1.0.0.tgz",
             "shasum": hashlib.sha1(tgz).hexdigest()}}}}}}}}
open(os.path.join(site, "demo-pkg"), "w").write(json.dumps(doc))
# pip: a wheel and a simple index linking to it
os.makedirs(os.path.join(site, "simple/demo-pkg"), exist_ok=True)
whl = "demo_pkg-1.0-py3-none-any.whl"
z = zipfile.ZipFile(os.path.join(site, whl), "w")
z.writestr("demo_pkg/__init__.py", "")
z.writestr("demo_pkg-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0\n")
z.writestr("demo_pkg-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
z.writestr("demo_pkg-1.0.dist-info/RECORD", "")
z.close()
open(os.path.join(site, "simple/demo-pkg/index.html"), "w").write(
    '<a href="../../%s">%s</a>\n' % (whl, whl))
"#
    );
    let o = Command::new("/usr/bin/python3")
        .arg("-c")
        .arg(&script)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", err(&o));
}

#[test]
fn npm_and_pip_use_the_proxy_settings_cordon_sets() {
    let n = Net::new();
    let (hp, sp) = (n.http.port, n.https.port);
    package_registries(&n.site, hp);
    let ca = n.world.ws.join("ca.pem");
    std::fs::copy(n.site.join("tls/ca.pem"), &ca).unwrap();
    // No proxy flags here: the tools find the proxy through the variables
    // cordon sets (npm_config_proxy, PIP_PROXY / HTTPS_PROXY).
    let script = format!(
        "set -e; npm view demo-pkg version --registry http://web.test:{hp}/ --cache \"$PWD/.npm\"; \
         npm pack demo-pkg --registry http://web.test:{hp}/ --cache \"$PWD/.npm\" >/dev/null; ls demo-pkg-1.0.0.tgz; \
         /usr/bin/python3 -m pip download --no-deps --no-cache-dir --disable-pip-version-check -q \
           --index-url https://secure.test:{sp}/simple/ -d wheels demo-pkg; ls wheels"
    );
    let ca_env = |k: &str| format!("{k}={}", ca.display());
    let o = n.run(
        &[
            "--allow-domain",
            &format!("web.test:{hp}"),
            "--allow-domain",
            &format!("secure.test:{sp}"),
            "--allow-private",
            "127.0.0.0/8",
            "--env",
            &ca_env("PIP_CERT"),
            "--env",
            &ca_env("REQUESTS_CA_BUNDLE"),
        ],
        &script,
    );
    assert_eq!(
        ok(&o),
        "1.0.0\ndemo-pkg-1.0.0.tgz\ndemo_pkg-1.0-py3-none-any.whl\n"
    );
}
