//! Export: JSON Lines, and OpenTelemetry logs over OTLP/HTTP JSON.
//!
//! The local journal stays the record of truth: a collector may drop data
//! under load, the journal does not. Each exported log record carries the
//! record's sequence number and hash (`cordon.seq`, `cordon.hash`) so a copy
//! can be matched back to the journal.
//!
//! Payload fields become attributes through [`ATTRIBUTES`], using the
//! OpenTelemetry GenAI semantic-convention names where one exists
//! (`gen_ai.conversation.id` for the session, `gen_ai.tool.name`, ...) and
//! general ones otherwise (`server.address`, `process.command_line`, `file.path`).
//!
//! ```
//! use cordon_audit::export::otlp_request;
//! let body = otlp_request(&[], "0.1.0");
//! assert!(body["resourceLogs"][0]["scopeLogs"][0]["logRecords"].as_array().unwrap().is_empty());
//! ```
use crate::stats::{classify, Decision};
use crate::{hex, AuditError, ErrorKind, Record};
use serde_json::{json, Value};
use std::time::Duration;

/// Payload field -> OpenTelemetry attribute name.
pub const ATTRIBUTES: &[(&str, &str)] = &[
    ("tool", "gen_ai.tool.name"),
    ("tool_name", "gen_ai.tool.name"),
    ("tool_use_id", "gen_ai.tool.call.id"),
    ("tool_call_id", "gen_ai.tool.call.id"),
    ("agent", "gen_ai.agent.name"),
    ("model", "gen_ai.request.model"),
    ("provider", "gen_ai.provider.name"),
    ("host", "server.address"),
    ("port", "server.port"),
    ("url", "url.full"),
    ("command", "process.command_line"),
    ("pid", "process.pid"),
    ("exit_code", "process.exit.code"),
    ("path", "file.path"),
    ("decision", "cordon.decision"),
    ("reasons", "cordon.reasons"),
    ("rule", "cordon.rule"),
    ("risk", "cordon.risk"),
    ("server", "cordon.mcp.server"),
];

/// Log records per OTLP request.
pub const BATCH: usize = 500;

/// An OTLP AnyValue from JSON.
fn any_value(v: &Value) -> Value {
    match v {
        Value::String(s) => json!({"stringValue": s}),
        Value::Bool(b) => json!({"boolValue": b}),
        Value::Number(n) if n.is_i64() || n.is_u64() => json!({"intValue": n.to_string()}),
        Value::Number(n) => json!({"doubleValue": n.as_f64()}),
        Value::Array(a) => {
            json!({"arrayValue": {"values": a.iter().map(any_value).collect::<Vec<_>>()}})
        }
        Value::Object(m) => {
            json!({"kvlistValue": {"values": m.iter().map(|(k, v)| kv(k, any_value(v))).collect::<Vec<_>>()}})
        }
        Value::Null => json!({}),
    }
}

fn kv(key: &str, value: Value) -> Value {
    json!({"key": key, "value": value})
}

fn s(v: &str) -> Value {
    json!({"stringValue": v})
}

/// One journal record as an OTLP log record.
pub fn log_record(r: &Record) -> Value {
    let payload = r.payload_json();
    let class = classify(r);
    let mut attrs = vec![
        kv("gen_ai.conversation.id", s(&r.session)),
        kv("cordon.seq", json!({"intValue": r.seq.to_string()})),
        kv("cordon.hash", s(&hex(&r.hash))),
        kv("cordon.prev_hash", s(&hex(&r.prev_hash))),
        kv("cordon.source", s(&r.source)),
        kv("cordon.kind", s(&r.kind)),
    ];
    let mut seen = std::collections::HashSet::new();
    for (field, name) in ATTRIBUTES {
        if let Some(v) = payload.get(*field).filter(|v| !v.is_null()) {
            if seen.insert(*name) {
                attrs.push(kv(name, any_value(v)));
            }
        }
    }
    if seen.contains("gen_ai.tool.name") {
        attrs.push(kv("gen_ai.operation.name", s("execute_tool")));
    }
    if class.taint {
        attrs.push(kv("cordon.taint", json!({"boolValue": true})));
    }
    let (num, text) = match class.decision {
        Some(Decision::Deny) => (13, "WARN"),
        _ if class.taint => (13, "WARN"),
        _ => (9, "INFO"),
    };
    json!({
        "timeUnixNano": r.time_ns.to_string(),
        "observedTimeUnixNano": r.time_ns.to_string(),
        "severityNumber": num,
        "severityText": text,
        "eventName": r.kind,
        "body": {"stringValue": r.payload},
        "attributes": attrs,
    })
}

/// One OTLP/HTTP JSON `ExportLogsServiceRequest` holding `records`.
pub fn otlp_request(records: &[Record], version: &str) -> Value {
    json!({
        "resourceLogs": [{
            "resource": {"attributes": [
                kv("service.name", s("cordon")),
                kv("service.version", s(version)),
            ]},
            "scopeLogs": [{
                "scope": {"name": "cordon.audit", "version": version},
                "logRecords": records.iter().map(log_record).collect::<Vec<_>>(),
            }],
        }]
    })
}

/// Where a POST went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PostSummary {
    pub requests: u64,
    pub records: u64,
    /// Log records the collector reported as rejected (`partialSuccess`).
    pub rejected: u64,
}

/// POSTs OTLP requests to a collector's logs endpoint
/// (e.g. `http://127.0.0.1:4318/v1/logs`).
pub struct Poster {
    agent: ureq::Agent,
    url: String,
    pub summary: PostSummary,
}

impl Poster {
    pub fn new(url: &str) -> Result<Poster, AuditError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(AuditError::invalid(
                format!("export: {url:?} is not an http:// or https:// URL"),
                "give the collector's OTLP/HTTP logs endpoint, e.g. http://127.0.0.1:4318/v1/logs",
            ));
        }
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(false)
            .build();
        Ok(Poster {
            agent: ureq::Agent::new_with_config(config),
            url: url.to_string(),
            summary: PostSummary::default(),
        })
    }

    /// Send one batch.
    pub fn post(&mut self, records: &[Record], version: &str) -> Result<(), AuditError> {
        if records.is_empty() {
            return Ok(());
        }
        let body = otlp_request(records, version).to_string();
        let net = |what: String| {
            AuditError::new(
                ErrorKind::Network,
                what,
                "check that the collector listens there and accepts OTLP/HTTP JSON; the journal is unchanged, so export again",
            )
        };
        let mut resp = self
            .agent
            .post(&self.url)
            .header("Content-Type", "application/json")
            .send(body)
            .map_err(|e| net(format!("export: POST {} failed: {e}", self.url)))?;
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        if !(200..300).contains(&status) {
            let snippet: String = text.chars().take(200).collect();
            return Err(net(format!(
                "export: {} answered HTTP {status}: {snippet}",
                self.url
            )));
        }
        let answer: Value = serde_json::from_str(&text).unwrap_or_default();
        let rejected = &answer["partialSuccess"]["rejectedLogRecords"];
        self.summary.rejected += rejected
            .as_u64()
            .or_else(|| rejected.as_str().and_then(|s| s.parse().ok()))
            .unwrap_or(0);
        self.summary.requests += 1;
        self.summary.records += records.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_payload_fields() {
        let r = Record {
            seq: 7,
            time_ns: 5,
            session: "s1".into(),
            source: "hook".into(),
            kind: "hook.pre_tool_use".into(),
            payload: r#"{"command":"curl x","decision":"deny","port":443,"tool":"Bash"}"#.into(),
            prev_hash: [0; 32],
            hash: [1; 32],
        };
        let v = log_record(&r);
        let attrs = v["attributes"].as_array().unwrap();
        let get = |k: &str| {
            attrs
                .iter()
                .find(|a| a["key"] == k)
                .map(|a| a["value"].clone())
        };
        assert_eq!(get("gen_ai.conversation.id").unwrap()["stringValue"], "s1");
        assert_eq!(get("gen_ai.tool.name").unwrap()["stringValue"], "Bash");
        assert_eq!(
            get("gen_ai.operation.name").unwrap()["stringValue"],
            "execute_tool"
        );
        assert_eq!(get("server.port").unwrap()["intValue"], "443");
        assert_eq!(
            get("process.command_line").unwrap()["stringValue"],
            "curl x"
        );
        assert_eq!(v["severityText"], "WARN");
        assert_eq!(v["timeUnixNano"], "5");
    }
}
