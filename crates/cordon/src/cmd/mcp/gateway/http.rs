//! Streamable HTTP mode: the agent talks HTTP to cordon, cordon to the server.
//!
//! One thread per agent connection (at most [`MAX_CONNECTIONS`]), HTTP/1.1
//! with `Content-Length` request bodies. A POST carries one JSON-RPC message:
//! it is decided like a stdio one, sent on to the upstream with the per-server
//! headers from config (credentials the agent never sees), and the answer is
//! pinned, screened and rewritten like a stdio answer: a JSON body whole, an
//! SSE stream event by event as it arrives (relayed to the agent in chunked
//! encoding, so progress and server requests are not held back). GET, the
//! server's standing stream, is relayed the same way; server requests on
//! either stream (sampling, elicitation) are decided, and a refused one is
//! answered to the server by cordon instead of reaching the agent.
//! `Mcp-Method` and `Mcp-Name` headers, where present, must agree with the
//! body (a server may route on them). A request whose `Origin` is not a
//! loopback origin is refused (DNS rebinding: a web page must not drive the
//! gateway and its credentials). DELETE is passed on.

use super::*;
use cordon_mcp::sse;
use cordon_mcp::upstream::{Opened, Upstream};
use std::io::{BufRead, Read};
use std::net::{TcpListener, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// An agent connection: plain TCP, or TLS over it.
trait Duplex: Read + Write + Send {}
impl<T: Read + Write + Send> Duplex for T {}

/// Request head bound.
const MAX_HEAD: usize = 64 << 10;
/// How long an agent connection may sit idle (no request to read, or an
/// answer it does not take).
const IDLE: Duration = Duration::from_secs(120);
/// Agent connections served at once; more get 503 (each holds a thread).
const MAX_CONNECTIONS: usize = 256;

/// How the listening side is protected.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Listening {
    /// Plain HTTP.
    Plain,
    /// HTTPS: the gateway proves itself, any client may connect.
    Tls,
    /// HTTPS with client certificates (`--tls-client-ca`).
    MutualTls,
}

/// Where the gateway may listen: loopback only, unless clients must prove
/// themselves (mutual TLS) or the user accepts that anyone who reaches the
/// port can use the server's tools (`--insecure-listen`).
pub(super) fn check_listen(listen: &str, how: Listening, insecure: bool) -> Result<(), Failure> {
    let addrs: Vec<std::net::SocketAddr> = listen
        .to_socket_addrs()
        .map_err(|e| {
            Failure::usage(format!("--listen {listen}: {e}"))
                .hint("give an address and port, like 127.0.0.1:8931")
        })?
        .collect();
    if insecure || how == Listening::MutualTls || addrs.iter().all(|a| a.ip().is_loopback()) {
        return Ok(());
    }
    let speaks = match how {
        Listening::Plain => "speaks plain HTTP, so anyone who can reach it",
        _ => {
            "does not check who connects (TLS without --tls-client-ca), so anyone who can reach it"
        }
    };
    Err(Failure::refuse(format!(
        "--listen {listen} is not a loopback address: the gateway {speaks} could call this server's tools with the credentials cordon adds"
    ))
    .hint("listen on 127.0.0.1 (or [::1]), require client certificates with --tls-cert, --tls-key and --tls-client-ca, or pass --insecure-listen to accept that"))
}

/// Is an `Origin` header a page served from this machine's loopback?
fn loopback_origin(origin: &str) -> bool {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| loopback_host(rest.split('/').next().unwrap_or("")))
}

/// Is `host[:port]` (a `Host` header, an origin's authority) this machine's loopback?
fn loopback_host(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

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
    engine: PolicyBuilder,
    ctx: Context,
    max: usize,
    hint: String,
    tls: Option<Arc<cordon_mcp::tls::ServerConfig>>,
) -> CmdResult {
    let listener = TcpListener::bind(listen).map_err(|e| {
        Failure::refuse(format!("cannot listen on {listen}: {e}"))
            .hint("pick a free address with --listen")
    })?;
    let up = Arc::new(Upstream::new(url, headers, Duration::from_secs(300)));
    eprintln!(
        "cordon mcp {}: listening on {}://{} for {url}",
        shared.name,
        if tls.is_some() { "https" } else { "http" },
        listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    let loopback_only = listener.local_addr().is_ok_and(|a| a.ip().is_loopback());
    let open = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        let Ok(mut conn) = conn else { continue };
        // Answers go out in several writes (head, then each event): without
        // this, Nagle's algorithm and the agent's delayed ACK add ~40 ms each.
        let _ = conn.set_nodelay(true);
        // An agent that neither sends nor reads for this long is gone: its
        // thread (one of MAX_CONNECTIONS) is not held for ever.
        let _ = conn.set_read_timeout(Some(IDLE));
        let _ = conn.set_write_timeout(Some(IDLE));
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            shared.journal(
                "mcp.malformed",
                json!({"from": "agent", "why": "too many connections"}),
            );
            if tls.is_some() {
                // No handshake for it: a plain-text answer would mean nothing to a TLS client.
                continue;
            }
            let _ = json_error(
                &mut conn,
                503,
                &Value::Null,
                jsonrpc::SERVER_ERROR,
                &format!("cordon: more than {MAX_CONNECTIONS} connections at once; retry later"),
            );
            // Closing with the request unread would reset the connection before
            // the agent reads the answer: end our side, then drain briefly.
            let _ = conn.shutdown(std::net::Shutdown::Write);
            let _ = conn.set_read_timeout(Some(Duration::from_millis(50)));
            let _ = std::io::copy(&mut conn.take(MAX_HEAD as u64), &mut std::io::sink());
            continue;
        }
        let open = open.clone();
        let tls = tls.clone();
        let (sh, up, engine, ctx, hint) = (
            shared.clone(),
            up.clone(),
            engine.clone(),
            ctx.clone(),
            hint.clone(),
        );
        // Where a crash while deciding writes its refusal: the plain socket
        // (TLS records cannot be written from a signal handler).
        let crash_fd = tls.is_none().then(|| conn.as_raw_fd());
        let spawned = std::thread::Builder::new()
            .stack_size(crate::fatal::ISOLATED_STACK)
            .spawn(move || {
                let screen = engine.screen();
                let policy = engine.into_policy();
                let c = Conn {
                    sh: &sh,
                    up: &up,
                    policy: &policy,
                    ctx: &ctx,
                    screen: &screen,
                    max,
                    hint: &hint,
                    loopback_only,
                    crash_fd,
                };
                // The TLS handshake happens here, on the first read, off the accept loop.
                let stream: Option<Box<dyn Duplex>> = match tls {
                    None => Some(Box::new(conn)),
                    Some(cfg) => cordon_mcp::tls::ServerConnection::new(cfg).ok().map(|tc| {
                        Box::new(cordon_mcp::tls::StreamOwned::new(tc, conn)) as Box<dyn Duplex>
                    }),
                };
                if let Some(stream) = stream {
                    let _ = connection(&c, stream);
                }
                open.fetch_sub(1, Ordering::SeqCst);
            });
        if spawned.is_err() {
            shared.journal(
                "mcp.malformed",
                json!({"from": "agent", "why": "cannot start a connection thread"}),
            );
        }
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
    /// Listening on loopback: a `Host` that names anything else is refused.
    loopback_only: bool,
    /// The plain socket, for the refusal written if deciding crashes.
    crash_fd: Option<std::os::fd::RawFd>,
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
fn read_request(r: &mut impl BufRead, max: usize) -> Result<Option<Request>, (u16, String)> {
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
    w: &mut dyn Write,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        403 => "Forbidden",
        405 => "Method Not Allowed",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
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

/// A whole response as bytes (for the refusal written if deciding crashes).
fn response_bytes(status: u16, headers: &[(String, String)], body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = respond(&mut out, status, headers, body);
    out
}

fn json_error(
    w: &mut dyn Write,
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

fn connection(c: &Conn, conn: Box<dyn Duplex>) -> std::io::Result<()> {
    let (sh, up, max) = (c.sh, c.up, c.max);
    let mut r = std::io::BufReader::new(conn);
    loop {
        let req = read_request(&mut r, max);
        let w: &mut dyn Write = r.get_mut();
        let req = match req {
            Ok(Some(req)) => req,
            Ok(None) => return Ok(()),
            Err((status, why)) => {
                sh.journal("mcp.malformed", json!({"from": "agent", "why": why}));
                json_error(
                    w,
                    status,
                    &Value::Null,
                    jsonrpc::INVALID_REQUEST,
                    &format!("cordon: {why}"),
                )?;
                return Ok(());
            }
        };
        // DNS rebinding: a web page whose name now resolves to 127.0.0.1 must
        // not drive the gateway and the credentials it adds. Its requests carry
        // its own name in `Host` (and in `Origin`, where the browser sends one).
        let foreign_host = req
            .header("host")
            .filter(|h| c.loopback_only && !loopback_host(h))
            .map(|h| format!("a request for the host {h:?} (the gateway listens on loopback)"));
        let foreign_origin = req
            .header("origin")
            .filter(|o| !loopback_origin(o))
            .map(|o| format!("a request from the web origin {o:?} (only pages served from this machine's loopback may use the gateway)"));
        if let Some(why) = foreign_host.or(foreign_origin) {
            sh.journal("mcp.malformed", json!({"from": "agent", "why": why}));
            json_error(
                w,
                403,
                &Value::Null,
                jsonrpc::INVALID_REQUEST,
                &format!("cordon: refused {why}"),
            )?;
            return Ok(());
        }
        match req.method.as_str() {
            "POST" => post(c, w, &req)?,
            "GET" => match up.open("GET", &req.headers, b"") {
                Ok(o) if o.status == 200 && o.is_sse() => stream(c, w, &req, o, None)?,
                Ok(o) => relay_whole(w, o, max, up)?,
                Err((status, headers, body)) => respond(w, status, &headers, &body)?,
            },
            "DELETE" => {
                let (status, headers, body) = up.forward("DELETE", &req.headers, &req.body, max);
                respond(w, status, &headers, &body)?;
            }
            _ => respond(w, 405, &[("allow".into(), "GET, POST, DELETE".into())], b"")?,
        }
        if req
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"))
        {
            return Ok(());
        }
    }
}

fn post(c: &Conn, w: &mut dyn Write, req: &Request) -> std::io::Result<()> {
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
                || req.header("mcp-name").is_some_and(|h| {
                    cordon_mcp::upstream::decode_header_value(h).as_deref() != named
                });
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
            if let Err(e) = meta_ok(sh, &v, req.header("mcp-protocol-version")) {
                let body = jsonrpc::error(&id, e.code, &e.message, e.data).to_string();
                let json = [("content-type".to_string(), "application/json".to_string())];
                return respond(w, 400, &json, body.as_bytes());
            }
            let on_crash = response_bytes(
                200,
                &[("content-type".into(), "application/json".into())],
                super::refusal_on_crash(sh, &id).trim_ascii(),
            );
            let decided = crate::fatal::refusing(c.crash_fd.unwrap_or(-1), &on_crash, || {
                let mut st = sh.state.lock().unwrap_or_else(|e| e.into_inner());
                police(sh, &mut st, policy, ctx, &method, &v, hint)
            });
            match decided {
                Err(msg) => return json_error(w, 200, &id, jsonrpc::REFUSED, &msg),
                Ok(item) => Some((id, InFlight::new(method, item, &v))),
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
    let o = match up.open("POST", &req.headers, &req.body) {
        Ok(o) => o,
        Err((status, headers, body)) => return respond(w, status, &headers, &body),
    };
    if o.is_sse() {
        return stream(c, w, req, o, inflight);
    }
    let json = o
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/json"));
    let Some((_, p)) = inflight.filter(|_| json) else {
        return relay_whole(w, o, max, up);
    };
    let (status, headers, body) = read_whole(o, max, up);
    let body = match serde_json::from_slice::<Value>(&body) {
        Ok(mut v) if status == 200 => {
            if police_response(sh, policy, ctx, screen, &p, &mut v) {
                v.to_string().into_bytes()
            } else {
                body
            }
        }
        _ => body,
    };
    respond(w, status, &headers, &body)
}

/// An upstream answer read whole (bounded); over the bound or broken is a 502.
fn read_whole(o: Opened, max: usize, up: &Upstream) -> cordon_mcp::upstream::Answer {
    let mut body = Vec::new();
    match o.body.take(max as u64 + 1).read_to_end(&mut body) {
        Ok(n) if n <= max => (o.status, o.headers, body),
        r => {
            let why = match r {
                Err(e) => format!("broke off its answer: {e}"),
                Ok(_) => format!("answered with more than the bound of {max} bytes"),
            };
            let err = jsonrpc::error(
                &Value::Null,
                jsonrpc::SERVER_ERROR,
                &format!("cordon: the MCP server at {} {why}", up.url),
                None,
            );
            (
                502,
                vec![("content-type".into(), "application/json".into())],
                err.to_string().into_bytes(),
            )
        }
    }
}

/// Pass a non-stream answer on unchanged.
fn relay_whole(w: &mut dyn Write, o: Opened, max: usize, up: &Upstream) -> std::io::Result<()> {
    let (status, headers, body) = read_whole(o, max, up);
    respond(w, status, &headers, &body)
}

/// One chunk of a chunked body; an empty one ends it.
fn chunk(w: &mut dyn Write, bytes: &[u8]) -> std::io::Result<()> {
    let mut out = format!("{:x}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
    w.write_all(&out)?;
    w.flush()
}

/// Relay an SSE answer (to the POST of `expect`, or the GET stream) event by
/// event, each message policed before the next is read.
fn stream(
    c: &Conn,
    w: &mut dyn Write,
    req: &Request,
    o: Opened,
    expect: Option<(Value, InFlight)>,
) -> std::io::Result<()> {
    let sh = c.sh;
    let mut head = format!(
        "HTTP/1.1 {} OK\r\ntransfer-encoding: chunked\r\ncache-control: no-cache\r\n",
        o.status
    );
    for (k, v) in &o.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    w.write_all(head.as_bytes())?;
    w.flush()?;
    let mut r = BufReader::with_capacity(64 << 10, o.body);
    let mut answered = false;
    let mut dropped = false;
    loop {
        match sse::read_event(&mut r, c.max) {
            Ok(Some(ev)) => match police_event(c, req, expect.as_ref(), &ev, &mut answered) {
                Some(out) => chunk(w, &out.to_bytes())?,
                None => dropped = true,
            },
            Ok(None) => break,
            Err(e) => {
                malformed(
                    sh,
                    "server",
                    &format!("its event stream broke: {e}"),
                    0,
                    Value::Null,
                );
                dropped = true;
                break;
            }
        }
    }
    // A clean end without the answer may be resumed (GET with Last-Event-ID);
    // after a dropped event or a broken stream the agent is told instead of left waiting.
    if let Some((id, _)) = expect.filter(|_| dropped && !answered) {
        let err = jsonrpc::error(
            &id,
            jsonrpc::SERVER_ERROR,
            &format!(
                "cordon: MCP server {} sent a malformed event stream before answering (see the gateway's warning)",
                sh.name
            ),
            None,
        );
        chunk(w, &sse::Event::message(&err.to_string()).to_bytes())?;
    }
    chunk(w, b"")
}

/// Police one event; `None` drops it.
fn police_event(
    c: &Conn,
    req: &Request,
    expect: Option<&(Value, InFlight)>,
    ev: &sse::Event,
    answered: &mut bool,
) -> Option<sse::Event> {
    let (sh, policy, ctx, screen) = (c.sh, c.policy, c.ctx, c.screen);
    // Comments, `retry:`, and priming events (an id, empty data) carry no message.
    let Some(data) = ev.data().filter(|d| !d.trim().is_empty()) else {
        return Some(ev.clone());
    };
    let mut v: Value = match serde_json::from_str(&data) {
        Ok(v) => v,
        Err(e) => {
            malformed(
                sh,
                "server",
                &format!("an event that is not JSON: {e}"),
                0,
                Value::Null,
            );
            return None;
        }
    };
    match classify(&v) {
        Msg::Response { id } => {
            let p = match expect {
                Some((want, p)) if *want == id => {
                    *answered = true;
                    p.clone()
                }
                // An answer to another request (a resumed stream): inspected by its shape.
                _ => InFlight::by_shape(&v),
            };
            let changed = police_response(sh, policy, ctx, screen, &p, &mut v);
            Some(if changed {
                ev.with_data(&v.to_string())
            } else {
                ev.clone()
            })
        }
        Msg::Request { id, method } => match decide_server_request(sh, policy, ctx, &method, &v) {
            Ok(()) => Some(ev.clone()),
            Err(msg) => {
                // The agent never sees it; the server gets cordon's refusal as the answer.
                let mut headers = vec![
                    ("content-type".to_string(), "application/json".to_string()),
                    (
                        "accept".to_string(),
                        "application/json, text/event-stream".to_string(),
                    ),
                ];
                for h in ["mcp-session-id", "mcp-protocol-version"] {
                    if let Some(val) = req.header(h) {
                        headers.push((h.to_string(), val.to_string()));
                    }
                }
                let err = jsonrpc::error(&id, jsonrpc::REFUSED, &msg, None).to_string();
                c.up.forward("POST", &headers, err.as_bytes(), c.max);
                None
            }
        },
        Msg::Notification { .. } => Some(ev.clone()),
        Msg::Batch => {
            malformed(sh, "server", "JSON-RPC batch", 0, Value::Null);
            None
        }
        Msg::Invalid { why, .. } => {
            malformed(sh, "server", &why, 0, Value::Null);
            None
        }
    }
}
