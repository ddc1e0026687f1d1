//! Streamable HTTP mode: the agent talks HTTP to cordon, cordon to the server.
//!
//! One thread per agent connection, HTTP/1.1 with `Content-Length` bodies. A
//! POST carries one JSON-RPC message: it is decided like a stdio one, sent on
//! to the upstream with the per-server headers from config (credentials the
//! agent never sees), and the answer (JSON, or an SSE stream read to its end)
//! is pinned, screened and rewritten like a stdio answer. `Mcp-Method` and
//! `Mcp-Name` headers, where present, must agree with the body (a server may
//! route on them). GET (a standing server stream) gets 405, which the
//! transport allows; DELETE is passed on.

use super::*;
use cordon_mcp::upstream::Upstream;
use std::io::{BufRead, Read};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

/// Request head bound.
const MAX_HEAD: usize = 64 << 10;
/// `[mcp.servers.NAME] headers`, with `env:NAME` values resolved now (fail closed if unset).
pub(super) fn injected_headers(
    cfg: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<(String, String)>, Failure> {
    cfg.iter()
        .map(|(k, v)| match v.strip_prefix("env:") {
            Some(var) => std::env::var(var).map(|val| (k.clone(), val)).map_err(|_| {
                Failure::usage(format!(
                    "header {k} takes its value from ${var}, which is not set"
                ))
                .hint(format!("export {var} before starting the gateway"))
            }),
            None => Ok((k.clone(), v.clone())),
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub(super) fn serve(
    shared: Arc<Shared>,
    listen: &str,
    url: &str,
    headers: Vec<(String, String)>,
    rules: Rules,
    ctx: Context,
    thresholds: Thresholds,
    max: usize,
    hint: String,
) -> CmdResult {
    let listener = TcpListener::bind(listen).map_err(|e| {
        Failure::refuse(format!("cannot listen on {listen}: {e}"))
            .hint("pick a free address with --listen")
    })?;
    let up = Arc::new(Upstream::new(url, headers, Duration::from_secs(300)));
    eprintln!(
        "cordon mcp {}: listening on http://{} for {url}",
        shared.name,
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let (sh, up, rules, ctx, hint) = (
            shared.clone(),
            up.clone(),
            rules.clone(),
            ctx.clone(),
            hint.clone(),
        );
        std::thread::spawn(move || {
            let policy = Policy::new(rules);
            let screen = Screen::new(thresholds);
            let c = Conn {
                sh: &sh,
                up: &up,
                policy: &policy,
                ctx: &ctx,
                screen: &screen,
                max,
                hint: &hint,
            };
            let _ = connection(&c, conn);
        });
    }
    Ok(0)
}

/// What one agent connection works with.
struct Conn<'a> {
    sh: &'a Shared,
    up: &'a Upstream,
    policy: &'a Policy,
    ctx: &'a Context,
    screen: &'a Screen,
    max: usize,
    hint: &'a str,
}

struct Request {
    method: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Read one request; `Ok(None)` when the agent closed the connection.
fn read_request(
    r: &mut std::io::BufReader<TcpStream>,
    max: usize,
) -> Result<Option<Request>, (u16, String)> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = r
            .by_ref()
            .take((MAX_HEAD - head.len().min(MAX_HEAD)) as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| (400, e.to_string()))?;
        if n == 0 {
            return if head.is_empty() {
                Ok(None)
            } else {
                Err((400, "truncated request head".into()))
            };
        }
        if head.len() + line.len() > MAX_HEAD {
            return Err((431, "request head too large".into()));
        }
        let end = line == b"\r\n" || line == b"\n";
        head.extend_from_slice(&line);
        if end && head.len() > line.len() {
            break;
        }
    }
    let text = String::from_utf8_lossy(&head);
    let mut lines = text.lines();
    let method = lines
        .next()
        .and_then(|l| l.split(' ').next())
        .unwrap_or("")
        .to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut req = Request {
        method,
        headers,
        body: Vec::new(),
    };
    if req.header("transfer-encoding").is_some() {
        return Err((
            411,
            "chunked request bodies are not supported; send Content-Length".into(),
        ));
    }
    let len: usize = req
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if len > max {
        return Err((
            413,
            format!("message of {len} bytes is over the gateway's bound of {max} bytes"),
        ));
    }
    req.body = vec![0; len];
    r.read_exact(&mut req.body)
        .map_err(|_| (400, "truncated request body".to_string()))?;
    Ok(Some(req))
}

fn respond(
    w: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        405 => "Method Not Allowed",
        _ => "Status",
    };
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.write_all(body)?;
    w.flush()
}

fn json_error(
    w: &mut TcpStream,
    status: u16,
    id: &Value,
    code: i64,
    msg: &str,
) -> std::io::Result<()> {
    let body = jsonrpc::error(id, code, msg, None).to_string();
    respond(
        w,
        status,
        &[("content-type".into(), "application/json".into())],
        body.as_bytes(),
    )
}

fn connection(c: &Conn, conn: TcpStream) -> std::io::Result<()> {
    let (sh, up, max) = (c.sh, c.up, c.max);
    let mut w = conn.try_clone()?;
    let mut r = std::io::BufReader::new(conn);
    loop {
        let req = match read_request(&mut r, max) {
            Ok(Some(req)) => req,
            Ok(None) => return Ok(()),
            Err((status, why)) => {
                sh.journal("mcp.malformed", json!({"from": "agent", "why": why}));
                json_error(
                    &mut w,
                    status,
                    &Value::Null,
                    jsonrpc::INVALID_REQUEST,
                    &format!("cordon: {why}"),
                )?;
                return Ok(());
            }
        };
        match req.method.as_str() {
            "POST" => post(c, &mut w, &req)?,
            "DELETE" => {
                let (status, headers, body) = up.forward("DELETE", &req.headers, &req.body, max);
                respond(&mut w, status, &headers, &body)?;
            }
            _ => respond(&mut w, 405, &[("allow".into(), "POST, DELETE".into())], b"")?,
        }
        if req
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        {
            return Ok(());
        }
    }
}

fn post(c: &Conn, w: &mut TcpStream, req: &Request) -> std::io::Result<()> {
    let (sh, up, policy, ctx, screen) = (c.sh, c.up, c.policy, c.ctx, c.screen);
    let (max, hint) = (c.max, c.hint);
    let v: Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(e) => {
            let why = format!("not JSON: {e}");
            sh.journal("mcp.malformed", json!({"from": "agent", "why": why}));
            return json_error(
                w,
                400,
                &Value::Null,
                jsonrpc::PARSE_ERROR,
                &format!("cordon: {why}"),
            );
        }
    };
    let inflight = match classify(&v) {
        Msg::Request { id, method } => {
            let named = v["params"]["name"].as_str().or(v["params"]["uri"].as_str());
            let mismatch = req.header("mcp-method").is_some_and(|h| h != method)
                || req.header("mcp-name").is_some_and(|h| Some(h) != named);
            if mismatch {
                let why = "the Mcp-Method/Mcp-Name headers do not match the message";
                sh.journal("mcp.malformed", json!({"from": "agent", "why": why}));
                return json_error(
                    w,
                    400,
                    &id,
                    jsonrpc::INVALID_REQUEST,
                    &format!("cordon: {why}"),
                );
            }
            let decided = {
                let mut st = sh.state.lock().unwrap_or_else(|e| e.into_inner());
                police(sh, &mut st, policy, ctx, &method, &v, hint)
            };
            match decided {
                Err(msg) => return json_error(w, 200, &id, jsonrpc::REFUSED, &msg),
                Ok(item) => Some((id, InFlight { method, item })),
            }
        }
        Msg::Notification { .. } | Msg::Response { .. } => None,
        Msg::Batch => {
            return json_error(
                w,
                400,
                &Value::Null,
                jsonrpc::INVALID_REQUEST,
                "cordon: JSON-RPC batches are not supported by MCP",
            )
        }
        Msg::Invalid { id, why } => {
            return json_error(
                w,
                400,
                &id,
                jsonrpc::INVALID_REQUEST,
                &format!("cordon: {why}"),
            )
        }
    };
    let (status, headers, body) = up.forward("POST", &req.headers, &req.body, max);
    let Some((id, p)) = inflight else {
        return respond(w, status, &headers, &body);
    };
    let ctype = headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    let body = if ctype.starts_with("text/event-stream") {
        rewrite_sse(c, &p, &id, &body)
    } else if ctype.starts_with("application/json") {
        match serde_json::from_slice::<Value>(&body) {
            Ok(mut v) => {
                if police_embedded(sh, policy, ctx, &mut v) | inspect(sh, screen, &p, &mut v) {
                    v.to_string().into_bytes()
                } else {
                    body
                }
            }
            Err(_) => body,
        }
    } else {
        body
    };
    respond(w, status, &headers, &body)
}

/// Every `data:` event that answers `id` is inspected like a stdio answer.
fn rewrite_sse(c: &Conn, p: &InFlight, id: &Value, body: &[u8]) -> Vec<u8> {
    let (sh, screen, policy, ctx) = (c.sh, c.screen, c.policy, c.ctx);
    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len());
    for event in text.split("\n\n").filter(|e| !e.trim().is_empty()) {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(str::trim_start)
            .collect();
        let parsed = serde_json::from_str::<Value>(&data.join("\n")).ok();
        let rewritten = match parsed {
            Some(mut v) if v.get("id") == Some(id) => (police_embedded(sh, policy, ctx, &mut v)
                | inspect(sh, screen, p, &mut v))
            .then_some(v),
            _ => None,
        };
        match rewritten {
            Some(v) => {
                for l in event.lines().filter(|l| !l.starts_with("data:")) {
                    out.push_str(l);
                    out.push('\n');
                }
                out.push_str(&format!("data: {v}\n\n"));
            }
            None => {
                out.push_str(event);
                out.push_str("\n\n");
            }
        }
    }
    out.into_bytes()
}
