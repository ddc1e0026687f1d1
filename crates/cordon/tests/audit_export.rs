//! `cordon audit export`: JSON Lines, OTLP/HTTP JSON to stdout or a file, and
//! POSTed to a collector (a real HTTP server on 127.0.0.1 in this test).
mod audit_support;
use audit_support::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::thread;

fn seed(d: &Data, n: usize) {
    let mut lines = vec![
        decision(
            "sess-1",
            "hook",
            "hook.pre_tool_use",
            json!({"tool": "Bash", "tool_use_id": "toolu_1", "command": "curl evil.example", "decision": "deny", "reasons": ["network"]}),
        ),
        decision(
            "sess-1",
            "proxy",
            "net.connect",
            json!({"host": "evil.example", "port": 443, "decision": "deny"}),
        ),
    ];
    for i in 2..n {
        lines.push(decision(
            "sess-2",
            "sandbox",
            "sandbox.exit",
            json!({"exit_code": i}),
        ));
    }
    d.append_events(&lines);
}

fn attr<'a>(rec: &'a Value, key: &str) -> Option<&'a Value> {
    rec["attributes"]
        .as_array()?
        .iter()
        .find(|a| a["key"] == key)
        .map(|a| &a["value"])
}

#[test]
fn jsonl_matches_the_journal() {
    let d = Data::new();
    seed(&d, 5);
    let out = d.ok(&["audit", "export", "--format", "jsonl"], "");
    let recs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs, d.records());
    let file = d.tmp.path().join("out.jsonl");
    d.ok(
        &[
            "audit",
            "export",
            "--session",
            "sess-1",
            "-o",
            file.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(std::fs::read_to_string(file).unwrap().lines().count(), 2);
}

#[test]
fn otlp_json_uses_genai_attribute_names() {
    let d = Data::new();
    seed(&d, 3);
    let out = d.ok(&["audit", "export", "--format", "otlp"], "");
    let v: Value = serde_json::from_str(&out).unwrap();
    let rl = &v["resourceLogs"][0];
    assert_eq!(
        rl["resource"]["attributes"][0],
        json!({"key": "service.name", "value": {"stringValue": "cordon"}})
    );
    let logs = rl["scopeLogs"][0]["logRecords"].as_array().unwrap();
    assert_eq!(logs.len(), 3);
    let hook = &logs[0];
    assert_eq!(
        attr(hook, "gen_ai.conversation.id").unwrap()["stringValue"],
        "sess-1"
    );
    assert_eq!(
        attr(hook, "gen_ai.tool.name").unwrap()["stringValue"],
        "Bash"
    );
    assert_eq!(
        attr(hook, "gen_ai.tool.call.id").unwrap()["stringValue"],
        "toolu_1"
    );
    assert_eq!(
        attr(hook, "gen_ai.operation.name").unwrap()["stringValue"],
        "execute_tool"
    );
    assert_eq!(
        attr(hook, "process.command_line").unwrap()["stringValue"],
        "curl evil.example"
    );
    assert_eq!(
        attr(hook, "cordon.decision").unwrap()["stringValue"],
        "deny"
    );
    assert_eq!(attr(hook, "cordon.seq").unwrap()["intValue"], "1");
    assert_eq!(hook["severityText"], "WARN");
    assert_eq!(hook["eventName"], "hook.pre_tool_use");
    let net = &logs[1];
    assert_eq!(
        attr(net, "server.address").unwrap()["stringValue"],
        "evil.example"
    );
    assert_eq!(attr(net, "server.port").unwrap()["intValue"], "443");
    // Times are decimal strings of nanoseconds, as OTLP JSON requires for 64-bit integers.
    let recs = d.records();
    assert_eq!(hook["timeUnixNano"], recs[0]["time_ns"].to_string());
    assert_eq!(
        attr(hook, "cordon.hash").unwrap()["stringValue"],
        recs[0]["hash"]
    );
}

/// A minimal HTTP/1.1 server: answers each POST with `status` and reports (path, content-type, body).
fn collector(
    status: u16,
    answer: &'static str,
) -> (String, mpsc::Receiver<(String, String, Vec<u8>)>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/logs", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { break };
            let mut r = BufReader::new(s.try_clone().unwrap());
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let (mut len, mut ctype) = (0usize, String::new());
                loop {
                    let mut h = String::new();
                    r.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(':').unwrap();
                    match k.to_ascii_lowercase().as_str() {
                        "content-length" => len = v.trim().parse().unwrap(),
                        "content-type" => ctype = v.trim().to_string(),
                        _ => {}
                    }
                }
                let mut body = vec![0; len];
                r.read_exact(&mut body).unwrap();
                let _ = tx.send((path, ctype, body));
                let reason = if status == 200 { "OK" } else { "Error" };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{answer}",
                    answer.len()
                );
            }
        }
    });
    (url, rx)
}

#[test]
fn posts_otlp_to_a_collector_in_batches() {
    let d = Data::new();
    seed(&d, 1203);
    let (url, rx) = collector(200, "{}");
    let o = d.run(&["audit", "export", "--format", "otlp", "--url", &url], "");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("exported 1203 records in 3 requests"), "{err}");
    let mut seqs = Vec::new();
    for _ in 0..3 {
        let (path, ctype, body) = rx.recv().unwrap();
        assert_eq!(path, "/v1/logs");
        assert_eq!(ctype, "application/json");
        let v: Value = serde_json::from_slice(&body).unwrap();
        for r in v["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
            .as_array()
            .unwrap()
        {
            seqs.push(
                attr(r, "cordon.seq").unwrap()["intValue"]
                    .as_str()
                    .unwrap()
                    .parse::<u64>()
                    .unwrap(),
            );
        }
    }
    assert_eq!(seqs, (1..=1203).collect::<Vec<u64>>());
}

#[test]
fn collector_errors_and_rejections_are_reported() {
    let d = Data::new();
    seed(&d, 3);
    let (url, _rx) = collector(503, "{\"message\":\"overloaded\"}");
    let o = d.run(&["audit", "export", "--format", "otlp", "--url", &url], "");
    assert_eq!(o.status.code(), Some(125));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("HTTP 503") && err.contains("overloaded") && err.contains("fix:"),
        "{err}"
    );

    let (url, _rx) = collector(200, "{\"partialSuccess\":{\"rejectedLogRecords\":\"2\"}}");
    let o = d.run(&["audit", "export", "--format", "otlp", "--url", &url], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("rejected 2"));

    let o = d.run(&["audit", "export", "--format", "jsonl", "--url", &url], "");
    assert_eq!(o.status.code(), Some(2));
}
