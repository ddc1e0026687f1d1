//! Host loopback forwards (`--allow-domain 127.0.0.1:PORT`): a service on the
//! host's loopback is reachable inside the sandbox at the same address,
//! journaled like any connection; one that is not forwarded fails at once and
//! the end-of-run summary names the flag.
#[path = "sandbox_support/mod.rs"]
mod sandbox_support;

#[path = "../../cordon-net/tests/support/server.rs"]
mod server;

use sandbox_support::{err, ok, As, World};
use server::Server;
use std::path::Path;
use std::time::{Duration, Instant};

fn site(world: &World) -> Server {
    let site = world.outside.join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("hello.txt"), "hello from the host\n").unwrap();
    let serve = Path::new(env!("CARGO_MANIFEST_DIR")).join("../cordon-net/tests/support/serve.py");
    Server::start(&serve, &site, None)
}

fn forwarded(who: As) {
    let w = World::new(who);
    let s = site(&w);
    let p = s.port;
    let o = w.run(
        &["--allow-domain", &format!("127.0.0.1:{p}")],
        &format!(
            "curl -sS --max-time 20 http://127.0.0.1:{p}/hello.txt; \
             curl -sS --max-time 20 --noproxy '' -x '' http://127.0.0.1:{p}/hello.txt"
        ),
    );
    assert_eq!(ok(&o), "hello from the host\nhello from the host\n");
    // Journaled as forwarded connections to that address.
    let j = w
        .cordon()
        .args(["audit", "list", "--kind", "net.connect", "--json"])
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = ok(&j)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let fwd: Vec<_> = lines
        .iter()
        .filter(|v| v.to_string().contains("\"forward\""))
        .collect();
    assert_eq!(fwd.len(), 2, "{lines:?}");
    let rec = fwd[0].to_string();
    assert!(rec.contains(&format!("\"port\":{p}")), "{rec}");
    assert!(
        rec.contains(&format!("--allow-domain 127.0.0.1:{p}")),
        "{rec}"
    );
    assert!(rec.contains("\"decision\":\"allow\""), "{rec}");
}

#[test]
fn a_forwarded_host_port_is_reachable_inside_and_journaled() {
    forwarded(As::Root);
}

#[test]
fn forwards_work_for_an_unprivileged_user_too() {
    forwarded(As::Nobody);
}

#[test]
fn localhost_forwards_to_the_hosts_ipv4_loopback() {
    let w = World::new(As::Root);
    let s = site(&w);
    let p = s.port;
    let o = w.run(
        &["--allow-domain", &format!("localhost:{p}")],
        &format!("curl -sS --max-time 20 http://localhost:{p}/hello.txt"),
    );
    assert_eq!(ok(&o), "hello from the host\n");
}

#[test]
fn only_the_forwarded_port_is_reachable() {
    let w = World::new(As::Root);
    let a = site(&w);
    let b = site(&w);
    let o = w.run(
        &["--allow-domain", &format!("127.0.0.1:{}", a.port)],
        &format!(
            "curl -sS --max-time 20 http://127.0.0.1:{}/hello.txt; echo rc=$?",
            b.port
        ),
    );
    // Refused at once by the sandbox's own loopback (curl exit 7), no hang.
    assert!(ok(&o).contains("rc=7"), "{}", ok(&o));
}

#[test]
fn an_unforwarded_loopback_url_in_the_environment_is_named_with_the_flag() {
    let w = World::new(As::Root);
    let s = site(&w);
    let p = s.port;
    let url = format!("http://127.0.0.1:{p}");
    let t = Instant::now();
    let o = w
        .cordon()
        .env("MY_API_BASE_URL", &url)
        .args(["run", "--env", "MY_API_BASE_URL", "--", "bash", "-c"])
        .arg("curl -sS --max-time 20 \"$MY_API_BASE_URL/hello.txt\"; echo rc=$?")
        .output()
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(15), "no silent hang");
    assert!(ok(&o).contains("rc=7"), "{}", ok(&o));
    let e = err(&o);
    let flag = format!("--allow-domain 127.0.0.1:{p}");
    // Said before the command starts and again at the end of the run.
    assert_eq!(e.matches(&flag).count(), 2, "{e}");
    assert!(e.contains("MY_API_BASE_URL points at"), "{e}");
}

#[test]
fn a_loopback_pattern_without_a_port_is_a_usage_error() {
    let w = World::new(As::Root);
    for (pat, want) in [
        ("127.0.0.1", "name the service's port"),
        ("localhost", "name the service's port"),
        ("127.0.0.1:3128", "cordon's egress proxy"),
    ] {
        let o = w.run(&["--allow-domain", pat], "true");
        assert_eq!(o.status.code(), Some(2), "{pat}");
        assert!(err(&o).contains(want), "{pat}: {}", err(&o));
    }
}
