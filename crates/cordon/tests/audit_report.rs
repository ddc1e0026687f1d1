//! `cordon report` rendered in headless Chromium (Debian's `chromium`): the
//! page renders, its script runs, nothing is logged to the console (no
//! errors, no blocked fetches), hostile payloads stay text, and its numbers
//! match `cordon audit stats`.
mod audit_support;
use audit_support::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

fn seed(d: &Data) {
    let now = cordon_event::now_ns();
    let mut lines = Vec::new();
    for i in 0..120u64 {
        let t = now - (120 - i) * 60_000_000_000;
        let (session, source, kind, payload) = match i % 6 {
            0 => (
                "s1",
                "proxy",
                "net.connect",
                json!({"host": format!("h{}.example", i % 4), "port": 443, "decision": "deny"}),
            ),
            1 => (
                "s1",
                "proxy",
                "net.connect",
                json!({"host": "crates.io", "port": 443, "decision": "allow"}),
            ),
            2 => (
                "s2",
                "hook",
                "hook.pre_tool_use",
                json!({"tool": "Bash", "command": "git status", "decision": "allow"}),
            ),
            3 => (
                "s2",
                "hook",
                "hook.pre_tool_use",
                json!({"tool": "Bash", "command": "git push --force", "decision": "ask"}),
            ),
            4 => (
                "s2",
                "hook",
                "hook.pre_tool_use",
                json!({"tool": "Bash", "command": format!("rm -rf /tmp/{}", i % 3), "decision": "deny"}),
            ),
            _ => (
                "s3",
                "hook",
                "hook.post_tool_use",
                json!({"tool": "WebFetch", "untrusted": "web", "scan": {"level": "injected"}}),
            ),
        };
        lines.push(json!({"session": session, "source": source, "kind": kind, "time_ns": t, "payload": payload}));
    }
    // Hostile text an agent could have put into the journal.
    lines.push(decision(
        "s2",
        "hook",
        "hook.pre_tool_use",
        json!({"tool": "Bash", "command": "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">", "decision": "deny"}),
    ));
    lines.push(decision(
        "s1",
        "proxy",
        "net.connect",
        json!({"host": "\"><iframe src=\"http://127.0.0.1:9/\"></iframe>", "decision": "deny"}),
    ));
    d.append_events(&lines);
}

/// Render a file in headless Chromium; returns (DOM, console lines).
fn chromium(page: &Path, profile: &Path) -> (String, Vec<String>) {
    // `timeout`: a wedged browser fails the test instead of hanging it.
    let o = Command::new("timeout")
        .args([
            "120",
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium (Debian package `chromium`) is needed by the report test");
    assert!(
        o.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let console = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    (String::from_utf8(o.stdout).unwrap(), console)
}

/// `data-stat="key">N` pairs from the DOM.
fn dom_stats(dom: &str) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for part in dom.split("data-stat=\"").skip(1) {
        let (key, rest) = part.split_once('"').unwrap();
        let n: String = rest
            .trim_start_matches('>')
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        out.insert(key.to_string(), n.parse().unwrap());
    }
    out
}

fn check_page(d: &Data, args: &[&str], stats_args: &[&str], name: &str) -> String {
    let page = d.tmp.path().join(name);
    let mut a = vec!["report", "-o", page.to_str().unwrap()];
    a.extend_from_slice(args);
    d.ok(&a, "");
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: nothing to fetch, and a policy that forbids fetching.
    assert!(html.contains("http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'"));
    let without_ns = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for needle in ["src=\"http", "href=\"http", "url(", "@import", "<link"] {
        assert!(!without_ns.contains(needle), "{needle} in the report");
    }

    let (dom, console) = chromium(&page, &d.tmp.path().join(format!("profile-{name}")));
    assert!(console.is_empty(), "console output: {console:#?}");
    assert!(
        dom.contains("data-rendered=\"yes\""),
        "the page's script did not run"
    );
    assert!(
        dom.contains("<title>cordon audit report"),
        "title changed: hostile payload ran"
    );
    assert!(
        !dom.contains("<iframe") && !dom.contains("<img"),
        "hostile markup became elements"
    );

    let mut sa = vec!["audit", "stats", "--json"];
    sa.extend_from_slice(stats_args);
    let s: Value = serde_json::from_str(&d.ok(&sa, "")).unwrap();
    let shown = dom_stats(&dom);
    let expect: BTreeMap<String, u64> = [
        ("records", &s["records"]),
        ("sessions", &s["sessions"]),
        ("decisions.allow", &s["decisions"]["allow"]),
        ("decisions.ask", &s["decisions"]["ask"]),
        ("decisions.deny", &s["decisions"]["deny"]),
        ("prompts_asked", &s["prompts_asked"]),
        ("prompts_avoided", &s["prompts_avoided"]),
        ("taint_events", &s["taint_events"]),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.as_u64().unwrap()))
    .chain([
        (
            "blocked_hosts_total".to_string(),
            s["blocked_hosts_total"].as_u64().unwrap(),
        ),
        (
            "blocked_commands_total".to_string(),
            s["blocked_commands_total"].as_u64().unwrap(),
        ),
    ])
    .collect();
    assert_eq!(shown, expect);
    // Top blocked lists: the same names and counts, linked to rows that exist.
    for (table, list) in [
        ("blocked-hosts", &s["blocked_hosts"]),
        ("blocked-commands", &s["blocked_commands"]),
    ] {
        for t in list.as_array().unwrap() {
            let seq = t["last_seq"].as_u64().unwrap();
            assert!(
                dom.contains(&format!("<tr id=\"r-{seq}\">")),
                "{table}: row r-{seq} missing"
            );
            assert!(
                dom.contains(&format!("data-count=\"{}\"", t["count"])),
                "{table}: {t}"
            );
        }
    }
    dom
}

#[test]
fn report_renders_in_chromium_and_matches_stats() {
    let d = Data::new();
    seed(&d);
    let dom = check_page(&d, &[], &[], "all.html");
    // Charts are inline SVG.
    assert!(dom.contains("<svg id=\"timeline\""));
    assert!(
        dom.contains("&lt;script&gt;document.title"),
        "hostile text is shown as text"
    );
    assert!(dom.contains("data-ok=\"true\""), "the journal verified");
    // Every record row links to itself.
    assert!(dom.contains("<tr id=\"r-1\"><td><a href=\"#r-1\""));

    let dom = check_page(&d, &["--session", "s2"], &["--session", "s2"], "s2.html");
    assert!(dom.contains("session s2"));
    assert!(!dom.contains("crates.io"));
}

#[test]
fn report_of_tampered_journal_says_so() {
    let d = Data::new();
    seed(&d);
    d.sql("db.execute(\"UPDATE records SET payload = replace(payload, 'deny', 'allow') WHERE seq = 5\")");
    let page = d.tmp.path().join("t.html");
    d.ok(&["report", "-o", page.to_str().unwrap()], "");
    let html = std::fs::read_to_string(page).unwrap();
    assert!(html.contains("data-ok=\"false\""));
    assert!(
        html.contains("first bad seq 5"),
        "the page names the first bad record"
    );
}
