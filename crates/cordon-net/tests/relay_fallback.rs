//! A proxy out of file descriptors still relays: with no descriptor left for
//! a splice pipe, tunnels copy through a buffer instead of being cut.
//!
//! Alone in its own test binary: it lowers the process's descriptor limit,
//! which would break tests running beside it.
use cordon_event::MemorySink;
use cordon_net::{Policy, Proxy, ProxyConfig, Resolver};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;

#[path = "support/bulk.rs"]
mod bulk;
use bulk::noise;

fn nofile() -> libc::rlimit {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass and nothing else.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) }, 0);
    r
}

fn set_nofile(r: &libc::rlimit) {
    // SAFETY: setrlimit reads the struct we pass; lowering the soft limit
    // needs no privilege.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, r) }, 0);
}

#[test]
fn tunnels_relay_without_descriptors_for_pipes() {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let mut policy = Policy::new();
    policy.allow_private("127.0.0.0/8").unwrap();
    policy
        .allow(&format!("web.test:{port}"), "--allow-domain")
        .unwrap();
    let mut resolver = Resolver::new();
    resolver.add_static("web.test", "127.0.0.1").unwrap();
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy_port = l.local_addr().unwrap().port();
    let sink = MemorySink::new();
    let cfg = ProxyConfig::new(policy, resolver, "test-session");
    let proxy = Proxy::start(cfg, vec![l], Arc::new(sink.clone())).unwrap();

    let mut s = TcpStream::connect(("127.0.0.1", proxy_port)).unwrap();
    bulk::connect(&mut s, &format!("web.test:{port}"));
    let (mut up, _) = server.accept().unwrap();
    let (mut w, mut c) = (up.try_clone().unwrap(), s.try_clone().unwrap());

    // Every descriptor below the limit in use: pipe2 fails with EMFILE.
    let saved = nofile();
    let top = std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .unwrap();
    set_nofile(&libc::rlimit {
        rlim_cur: top + 1,
        rlim_max: saved.rlim_max,
    });
    let mut fillers = Vec::new();
    while let Ok(f) = std::fs::File::open("/dev/null") {
        fillers.push(f);
    }
    assert!(
        std::fs::File::open("/dev/null").is_err(),
        "no descriptor left"
    );

    const N: usize = 3 << 20;
    let down = noise(N, 7);
    let upload = noise(N / 2, 8);
    let sent = down.clone();
    let sender = std::thread::spawn(move || {
        w.write_all(&sent).unwrap();
        w.shutdown(Shutdown::Write).unwrap();
    });
    let sent_up = upload.clone();
    let uploader = std::thread::spawn(move || {
        c.write_all(&sent_up).unwrap();
        c.shutdown(Shutdown::Write).unwrap();
    });
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    let mut got_up = Vec::new();
    up.read_to_end(&mut got_up).unwrap();
    sender.join().unwrap();
    uploader.join().unwrap();
    drop(fillers);
    set_nofile(&saved);
    assert!(got == down, "downloaded bytes differ");
    assert!(got_up == upload, "uploaded bytes differ");
    drop((s, up));
    proxy.shutdown();
    let ev = sink
        .events()
        .into_iter()
        .find(|e| e.kind == "net.connect")
        .expect("event");
    assert_eq!(ev.payload["bytes_down"], N as u64, "{:?}", ev.payload);
    assert_eq!(ev.payload["bytes_up"], (N / 2) as u64, "{:?}", ev.payload);
    assert!(ev.payload["ended"].is_null(), "{:?}", ev.payload);
}
