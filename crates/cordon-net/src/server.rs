//! The proxy server: accepts on pre-bound listeners, tells SOCKS5 from HTTP
//! by the first byte, applies the policy, connects out and records each attempt.
use crate::pattern::Host;
use crate::policy::{Policy, Refusal};
use crate::relay::{self, Counters, TunnelError};
use crate::resolve::Resolver;
use bytes::Bytes;
use cordon_event::{now_ns, Event, EventSink, Source};
use http_body_util::{combinators::BoxBody, BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderName, HeaderValue, CONNECTION, HOST};
use hyper::http::uri::Authority;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// A destination that was refused, for the end-of-run summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocked {
    /// `host:port` as the client asked for it.
    pub destination: String,
    /// How many attempts were refused.
    pub count: u64,
    pub reason: String,
    /// The exact flag that would allow it, if any flag would.
    pub fix: Option<String>,
}

/// State shared by every connection of one proxy.
pub(crate) struct Shared {
    pub session: String,
    policy: RwLock<Arc<Policy>>,
    resolver: Resolver,
    pub sink: Arc<dyn EventSink>,
    blocked: Mutex<BTreeMap<String, Blocked>>,
    connect_timeout: Duration,
    gate: Option<crate::LiveGate>,
}

impl Shared {
    pub fn new(
        policy: Policy,
        resolver: Resolver,
        session: String,
        sink: Arc<dyn EventSink>,
        connect_timeout: Duration,
        gate: Option<crate::LiveGate>,
    ) -> Self {
        Shared {
            gate,
            session,
            policy: RwLock::new(Arc::new(policy)),
            resolver,
            sink,
            blocked: Mutex::new(BTreeMap::new()),
            connect_timeout,
        }
    }

    pub fn policy(&self) -> Arc<Policy> {
        self.policy
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Add an allow rule for the next connections; journaled.
    pub fn allow(&self, pattern: &str, by: &str) -> Result<(), String> {
        if let Some(gate) = &self.gate {
            (gate.0)(pattern.trim())?;
        }
        {
            let mut guard = self.policy.write().unwrap_or_else(|e| e.into_inner());
            let mut p = (**guard).clone();
            p.allow(pattern, by)?;
            *guard = Arc::new(p);
        }
        self.sink.emit(
            Event::new(Source::Cli, "net.policy", self.session.clone())
                .with(json!({"change": "allow", "pattern": pattern.trim(), "by": by})),
        );
        Ok(())
    }

    pub fn blocked(&self) -> Vec<Blocked> {
        let map = self.blocked.lock().unwrap_or_else(|e| e.into_inner());
        map.values().cloned().collect()
    }
}

/// How one attempt ended.
enum Outcome {
    Pending,
    Allowed(String),
    Refused(Refusal),
    Failed(String),
}

/// One connection attempt; emits its `net.connect` event when dropped, so
/// tunnels cut by shutdown are recorded too.
struct ConnLog {
    shared: Arc<Shared>,
    started: Instant,
    started_ns: u64,
    protocol: &'static str,
    host: String,
    port: u16,
    address: Option<SocketAddr>,
    rule: Option<String>,
    outcome: Outcome,
    /// How an allowed tunnel ended, if not cleanly.
    ended: Option<String>,
    n: Arc<Counters>,
}

impl ConnLog {
    fn new(shared: &Arc<Shared>, protocol: &'static str, host: String, port: u16) -> Self {
        ConnLog {
            shared: shared.clone(),
            started: Instant::now(),
            started_ns: now_ns(),
            protocol,
            host,
            port,
            address: None,
            rule: None,
            outcome: Outcome::Pending,
            ended: None,
            n: Arc::new(Counters::default()),
        }
    }
}

impl ConnLog {
    fn set(&mut self, o: Outcome) {
        self.outcome = o;
    }
}

impl Drop for ConnLog {
    fn drop(&mut self) {
        let (decision, reason, kind, fix) = match &self.outcome {
            Outcome::Allowed(_) | Outcome::Pending => ("allow", None, None, None),
            Outcome::Refused(r) => ("deny", Some(r.reason.clone()), Some(r.kind), r.fix.clone()),
            Outcome::Failed(e) => ("error", Some(e.clone()), None, None),
        };
        let rule = match &self.outcome {
            Outcome::Allowed(r) => Some(r.clone()),
            Outcome::Refused(r) => Some(r.rule.clone()),
            _ => self.rule.clone(),
        };
        let destination = format!("{}:{}", self.host, self.port);
        self.shared.sink.emit(
            Event::new(Source::Proxy, "net.connect", self.shared.session.clone()).with(json!({
                "started_ns": self.started_ns,
                "protocol": self.protocol,
                "host": self.host,
                "port": self.port,
                "address": self.address.map(|a| a.to_string()),
                "decision": decision,
                "rule": rule,
                "refusal": kind,
                "reason": reason,
                "fix": fix,
                "bytes_up": self.n.up.load(Ordering::Relaxed),
                "bytes_down": self.n.down.load(Ordering::Relaxed),
                "duration_ms": self.started.elapsed().as_secs_f64() * 1e3,
                "ended": self.ended,
            })),
        );
        if let Outcome::Refused(r) = &self.outcome {
            let mut map = self
                .shared
                .blocked
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let e = map.entry(destination.clone()).or_insert_with(|| Blocked {
                destination,
                count: 0,
                reason: r.reason.clone(),
                fix: r.fix.clone(),
            });
            e.count += 1;
        }
    }
}

enum OpenError {
    Refused(Refusal),
    Unreachable(String),
}

/// Decide, resolve, check addresses, connect.
async fn open(
    shared: &Shared,
    host: &Host,
    port: u16,
    log: &mut ConnLog,
) -> Result<TcpStream, OpenError> {
    let policy = shared.policy();
    let rule = policy.decide(host, port).map_err(OpenError::Refused)?;
    log.rule = Some(rule.clone());
    let ips = tokio::time::timeout(shared.connect_timeout, shared.resolver.resolve(host, port))
        .await
        .map_err(|_| OpenError::Unreachable(format!("resolving {host} timed out")))?
        .map_err(|e| OpenError::Unreachable(format!("cannot resolve {host}: {e}")))?;
    let mut refusal = None;
    let usable: Vec<IpAddr> = ips
        .into_iter()
        .filter(|ip| match policy.check_address(host, *ip) {
            Ok(()) => true,
            Err(r) => {
                refusal.get_or_insert(r);
                false
            }
        })
        .collect();
    if usable.is_empty() {
        return Err(match refusal {
            Some(r) => OpenError::Refused(r),
            None => OpenError::Unreachable(format!("{host} has no address")),
        });
    }
    let mut last = String::new();
    for ip in usable {
        let addr = SocketAddr::new(ip, port);
        match tokio::time::timeout(shared.connect_timeout, TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                let _ = s.set_nodelay(true);
                log.address = Some(addr);
                log.outcome = Outcome::Allowed(rule);
                return Ok(s);
            }
            Ok(Err(e)) => last = format!("cannot connect to {addr}: {e}"),
            Err(_) => last = format!("connecting to {addr} timed out"),
        }
    }
    Err(OpenError::Unreachable(last))
}

/// Accept connections forever on one listener.
pub(crate) async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        match listener.accept().await {
            Ok((s, _)) => {
                let _ = s.set_nodelay(true);
                tokio::spawn(serve_conn(s, shared.clone()));
            }
            // Out of descriptors or similar: back off instead of spinning.
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// Accept forever on a host loopback forward's listener (see [`crate::forward`]).
pub(crate) async fn forward_loop(
    listener: tokio::net::TcpListener,
    to: crate::forward::Forward,
    shared: Arc<Shared>,
) {
    let to = Arc::new(to);
    loop {
        match listener.accept().await {
            Ok((s, _)) => {
                let _ = s.set_nodelay(true);
                tokio::spawn(serve_forward(s, to.clone(), shared.clone()));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// Relay one connection to the host's loopback service; recorded as `net.connect`.
async fn serve_forward(client: TcpStream, to: Arc<crate::forward::Forward>, shared: Arc<Shared>) {
    let mut log = ConnLog::new(&shared, "forward", to.addr.ip().to_string(), to.addr.port());
    let rule = format!("--allow-domain {}", to.pattern);
    let up = match tokio::time::timeout(shared.connect_timeout, TcpStream::connect(to.addr)).await {
        Ok(Ok(up)) => up,
        Ok(Err(e)) => {
            log.rule = Some(rule);
            log.set(Outcome::Failed(format!(
                "nothing answers at {} on the host: {e}",
                to.addr
            )));
            return;
        }
        Err(_) => {
            log.rule = Some(rule);
            log.set(Outcome::Failed(format!(
                "connecting to {} timed out",
                to.addr
            )));
            return;
        }
    };
    let _ = up.set_nodelay(true);
    log.address = Some(to.addr);
    log.set(Outcome::Allowed(rule));
    let n = log.n.clone();
    let both = async {
        tokio::try_join!(
            relay::pump(&client, &up, &n.up),
            relay::pump(&up, &client, &n.down)
        )
    };
    if let Err(e) = both.await {
        log.ended = Some(e.to_string());
    }
}

async fn serve_conn(s: TcpStream, shared: Arc<Shared>) {
    let mut first = [0u8; 8];
    match s.peek(&mut first).await {
        Ok(n) if n >= 1 && first[0] == 5 => serve_socks(s, shared).await,
        // CONNECT as the first request: handled without hyper (one task, no
        // upgrade hand-off). Later CONNECTs on a kept-alive connection go
        // through hyper below.
        Ok(8) if &first == b"CONNECT " => serve_connect_raw(s, shared).await,
        Ok(n) if n >= 1 => serve_http(s, shared).await,
        _ => {}
    }
}

/// The most bytes of a CONNECT request head read before giving up.
const MAX_HEAD: usize = 16 * 1024;

/// Read a request head (up to the blank line); returns it and any bytes after it.
async fn read_head(s: &mut TcpStream) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buf = Vec::with_capacity(512);
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = buf.split_off(end + 4);
            return Ok((buf, rest));
        }
        if buf.len() >= MAX_HEAD {
            return Err(io::Error::other("request head too large"));
        }
        buf.reserve(1024);
        if s.read_buf(&mut buf).await? == 0 {
            return Err(io::Error::other(
                "closed before the end of the request head",
            ));
        }
    }
}

async fn serve_connect_raw(mut s: TcpStream, shared: Arc<Shared>) {
    let Ok(Ok((head, prefix))) =
        tokio::time::timeout(Duration::from_secs(30), read_head(&mut s)).await
    else {
        return;
    };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut req = httparse::Request::new(&mut headers);
    let authority = match req.parse(&head) {
        Ok(httparse::Status::Complete(_)) => req.path.and_then(|p| p.parse::<Authority>().ok()),
        _ => None,
    };
    match start_connect(&shared, authority).await {
        Connect::Ready(up, host, mut log) => {
            if s.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await
                .is_ok()
            {
                run_tunnel(&s, &up, &prefix, &host, &mut log).await;
            }
        }
        Connect::Answer(resp, log) => {
            let (parts, body) = resp.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            let mut out = format!(
                "HTTP/1.1 {} {}\r\ncontent-length: {}\r\nconnection: close\r\n",
                parts.status.as_u16(),
                parts.status.canonical_reason().unwrap_or(""),
                body.len()
            );
            for (k, v) in &parts.headers {
                out.push_str(&format!("{k}: {}\r\n", v.to_str().unwrap_or("")));
            }
            out.push_str("\r\n");
            let mut bytes = out.into_bytes();
            bytes.extend_from_slice(&body);
            let _ = s.write_all(&bytes).await;
            drop(log);
        }
    }
}

// ---------------------------------------------------------------- HTTP

type Body = BoxBody<Bytes, hyper::Error>;

async fn serve_http(s: TcpStream, shared: Arc<Shared>) {
    let svc = hyper::service::service_fn(move |req| handle_http(req, shared.clone()));
    let _ = hyper::server::conn::http1::Builder::new()
        .preserve_header_case(true)
        .serve_connection(TokioIo::new(s), svc)
        .with_upgrades()
        .await;
}

fn text(status: StatusCode, msg: String) -> Response<Body> {
    let mut r = Response::new(Full::new(Bytes::from(msg)).map_err(|n| match n {}).boxed());
    *r.status_mut() = status;
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

fn refused(log: &mut ConnLog, r: Refusal) -> Response<Body> {
    let mut body = r.message();
    // A running session can be widened from outside: say how, so an agent
    // can pass the exact command on to its user.
    if let Some(pattern) = r
        .fix
        .as_deref()
        .and_then(|f| f.strip_prefix("--allow-domain "))
    {
        if !log.shared.session.is_empty() {
            body.push_str(&format!(
                "cordon: or, while this session runs, from outside the sandbox: cordon allow-domain --session {} {pattern}\n",
                log.shared.session
            ));
        }
    }
    let mut resp = text(StatusCode::FORBIDDEN, body);
    if let Ok(v) = HeaderValue::from_str(r.kind) {
        resp.headers_mut().insert("x-cordon-refusal", v);
    }
    log.outcome = Outcome::Refused(r);
    resp
}

fn failed(log: &mut ConnLog, msg: String) -> Response<Body> {
    log.outcome = Outcome::Failed(msg.clone());
    text(StatusCode::BAD_GATEWAY, format!("cordon: {msg}\n"))
}

async fn handle_http(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Body>, Infallible> {
    if req.method() == Method::CONNECT {
        return Ok(handle_connect(req, shared).await);
    }
    let uri = req.uri().clone();
    let Some(auth) = uri.authority() else {
        return Ok(text(
            StatusCode::BAD_REQUEST,
            "cordon: this is cordon's egress proxy; send proxy requests (http://host/path) or CONNECT\n".into(),
        ));
    };
    if uri.scheme_str() != Some("http") {
        return Ok(text(
            StatusCode::BAD_REQUEST,
            "cordon: only http:// URLs can be forwarded; use CONNECT for https\n".into(),
        ));
    }
    let port = auth.port_u16().unwrap_or(80);
    let mut log = ConnLog::new(&shared, "http", auth.host().to_string(), port);
    let host = match Host::parse(auth.host()) {
        Ok(h) => h,
        Err(e) => return Ok(refused(&mut log, Refusal::new("bad-host", e, None))),
    };
    log.host = host.to_string();
    // The Host header must name what the URI names: it is what the server routes on.
    if let Some(hh) = req.headers().get(HOST) {
        if !same_host(hh, &host, port) {
            let shown = String::from_utf8_lossy(hh.as_bytes()).into_owned();
            return Ok(refused(
                &mut log,
                Refusal::new(
                    "host-mismatch",
                    format!("the Host header `{shown}` does not name the request's host {host}"),
                    None,
                ),
            ));
        }
    }
    let up = match open(&shared, &host, port, &mut log).await {
        Ok(s) => s,
        Err(OpenError::Refused(r)) => return Ok(refused(&mut log, r)),
        Err(OpenError::Unreachable(m)) => return Ok(failed(&mut log, m)),
    };
    let (mut parts, body) = req.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    parts.uri = parts
        .uri
        .path_and_query()
        .map(|pq| pq.as_str())
        .unwrap_or("/")
        .parse()
        .unwrap_or_else(|_| hyper::Uri::from_static("/"));
    parts.version = hyper::Version::HTTP_11;
    if !parts.headers.contains_key(HOST) {
        if let Ok(v) = HeaderValue::from_str(auth.as_ref()) {
            parts.headers.insert(HOST, v);
        }
    }
    let io = TokioIo::new(Counted {
        inner: up,
        n: log.n.clone(),
    });
    let (mut sender, conn) = match hyper::client::conn::http1::Builder::new()
        .preserve_header_case(true)
        .handshake::<_, Incoming>(io)
        .await
    {
        Ok(x) => x,
        Err(e) => return Ok(failed(&mut log, format!("{host}: {e}"))),
    };
    tokio::spawn(async move {
        let _ = conn.await;
    });
    // The response body owns the log: its event is emitted once the body
    // has been relayed (or the client went away).
    Ok(
        match sender.send_request(Request::from_parts(parts, body)).await {
            Ok(resp) => {
                let (mut rp, rb) = resp.into_parts();
                strip_hop_by_hop(&mut rp.headers);
                Response::from_parts(
                    rp,
                    LoggedBody {
                        inner: rb,
                        _log: log,
                    }
                    .boxed(),
                )
            }
            Err(e) => failed(&mut log, format!("{host}: {e}")),
        },
    )
}

/// Does a Host header name `host:port`?
fn same_host(hh: &HeaderValue, host: &Host, port: u16) -> bool {
    let Ok(s) = hh.to_str() else { return false };
    let (h, p) = match s.rsplit_once(':') {
        Some((h, p))
            if !h.ends_with(':') && p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty() =>
        {
            (h, p.parse::<u16>().ok())
        }
        _ => (s, Some(80)),
    };
    p == Some(port) && Host::parse(h).is_ok_and(|h| &h == host)
}

const HOP_BY_HOP: &[&str] = &[
    "connection",
    "proxy-connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-authenticate",
    "te",
    "trailer",
    "upgrade",
];

fn strip_hop_by_hop(h: &mut hyper::HeaderMap) {
    let listed: Vec<HeaderName> = h
        .get_all(CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for n in listed {
        h.remove(n);
    }
    for n in HOP_BY_HOP {
        h.remove(*n);
    }
}

/// The start of a CONNECT: either a connected destination, or the answer.
enum Connect {
    Ready(TcpStream, Host, ConnLog),
    Answer(Response<Body>, Option<ConnLog>),
}

async fn start_connect(shared: &Arc<Shared>, auth: Option<Authority>) -> Connect {
    let Some(auth) = auth else {
        return Connect::Answer(
            text(
                StatusCode::BAD_REQUEST,
                "cordon: CONNECT needs host:port\n".into(),
            ),
            None,
        );
    };
    let port = auth.port_u16().unwrap_or(443);
    let mut log = ConnLog::new(shared, "connect", auth.host().to_string(), port);
    let host = match Host::parse(auth.host()) {
        Ok(h) => h,
        Err(e) => {
            let r = refused(&mut log, Refusal::new("bad-host", e, None));
            return Connect::Answer(r, Some(log));
        }
    };
    log.host = host.to_string();
    match open(shared, &host, port, &mut log).await {
        Ok(up) => Connect::Ready(up, host, log),
        Err(OpenError::Refused(r)) => {
            let resp = refused(&mut log, r);
            Connect::Answer(resp, Some(log))
        }
        Err(OpenError::Unreachable(m)) => {
            let resp = failed(&mut log, m);
            Connect::Answer(resp, Some(log))
        }
    }
}

async fn handle_connect(req: Request<Incoming>, shared: Arc<Shared>) -> Response<Body> {
    let (up, host, mut log) = match start_connect(&shared, req.uri().authority().cloned()).await {
        Connect::Ready(up, host, log) => (up, host, log),
        Connect::Answer(resp, _log) => return resp,
    };
    tokio::spawn(async move {
        let upgraded = match hyper::upgrade::on(req).await {
            Ok(u) => u,
            Err(e) => {
                log.set(Outcome::Failed(format!("upgrade: {e}")));
                return;
            }
        };
        let parts = match upgraded.downcast::<TokioIo<TcpStream>>() {
            Ok(p) => p,
            Err(_) => {
                log.set(Outcome::Failed("internal: unexpected stream type".into()));
                return;
            }
        };
        let client = parts.io.into_inner();
        run_tunnel(&client, &up, &parts.read_buf, &host, &mut log).await;
    });
    Response::new(http_body_util::Empty::new().map_err(|n| match n {}).boxed())
}

async fn run_tunnel(
    client: &TcpStream,
    up: &TcpStream,
    prefix: &[u8],
    host: &Host,
    log: &mut ConnLog,
) {
    let n = log.n.clone();
    match relay::tunnel(client, up, prefix, host, &n).await {
        Ok(()) => {}
        Err(TunnelError::Io(e)) => log.ended = Some(e.to_string()),
        Err(TunnelError::Refused(r)) => {
            log.outcome = Outcome::Refused(r);
        }
    }
}

/// Counts bytes written to and read from the destination.
struct Counted {
    inner: TcpStream,
    n: Arc<Counters>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        let k = buf.filled().len() - before;
        self.n.down.fetch_add(k as u64, Ordering::Relaxed);
        r
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(k)) = &r {
            self.n.up.fetch_add(*k as u64, Ordering::Relaxed);
        }
        r
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A response body that keeps the attempt's log alive until it is relayed.
struct LoggedBody {
    inner: Incoming,
    _log: ConnLog,
}

impl hyper::body::Body for LoggedBody {
    type Data = Bytes;
    type Error = hyper::Error;
    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, hyper::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }
    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
    fn size_hint(&self) -> hyper::body::SizeHint {
        self.inner.size_hint()
    }
}

// ---------------------------------------------------------------- SOCKS5

/// SOCKS5 reply codes (RFC 1928).
const SOCKS_OK: u8 = 0;
const SOCKS_NOT_ALLOWED: u8 = 2;
const SOCKS_HOST_UNREACHABLE: u8 = 4;
const SOCKS_CMD_UNSUPPORTED: u8 = 7;
const SOCKS_ATYP_UNSUPPORTED: u8 = 8;

async fn socks_reply(s: &mut TcpStream, code: u8, bound: Option<SocketAddr>) -> io::Result<()> {
    let mut out = vec![5, code, 0];
    match bound {
        Some(SocketAddr::V6(a)) => {
            out.push(4);
            out.extend(a.ip().octets());
            out.extend(a.port().to_be_bytes());
        }
        Some(SocketAddr::V4(a)) => {
            out.push(1);
            out.extend(a.ip().octets());
            out.extend(a.port().to_be_bytes());
        }
        None => out.extend([1, 0, 0, 0, 0, 0, 0]),
    }
    s.write_all(&out).await
}

/// Read the greeting and request; `None` when the client is gone or broken.
async fn socks_request(s: &mut TcpStream) -> io::Result<Option<(u8, Result<String, u8>, u16)>> {
    let mut hdr = [0u8; 2];
    s.read_exact(&mut hdr).await?;
    let mut methods = vec![0u8; hdr[1] as usize];
    s.read_exact(&mut methods).await?;
    if !methods.contains(&0) {
        s.write_all(&[5, 0xff]).await?;
        return Ok(None);
    }
    s.write_all(&[5, 0]).await?;
    let mut req = [0u8; 4];
    s.read_exact(&mut req).await?;
    if req[0] != 5 {
        return Ok(None);
    }
    let host = match req[3] {
        1 => {
            let mut a = [0u8; 4];
            s.read_exact(&mut a).await?;
            Ok(IpAddr::from(a).to_string())
        }
        4 => {
            let mut a = [0u8; 16];
            s.read_exact(&mut a).await?;
            Ok(IpAddr::from(a).to_string())
        }
        3 => {
            let mut len = [0u8; 1];
            s.read_exact(&mut len).await?;
            let mut name = vec![0u8; len[0] as usize];
            s.read_exact(&mut name).await?;
            Ok(String::from_utf8_lossy(&name).into_owned())
        }
        _ => Err(SOCKS_ATYP_UNSUPPORTED),
    };
    let mut port = [0u8; 2];
    if host.is_ok() {
        s.read_exact(&mut port).await?;
    }
    Ok(Some((req[1], host, u16::from_be_bytes(port))))
}

async fn serve_socks(mut s: TcpStream, shared: Arc<Shared>) {
    let req = tokio::time::timeout(Duration::from_secs(30), socks_request(&mut s)).await;
    let Ok(Ok(Some((cmd, host, port)))) = req else {
        return;
    };
    let host = match host {
        Ok(h) => h,
        Err(code) => {
            let _ = socks_reply(&mut s, code, None).await;
            return;
        }
    };
    let mut log = ConnLog::new(&shared, "socks5", host.clone(), port);
    if cmd != 1 {
        log.outcome = Outcome::Refused(Refusal::new(
            "unsupported",
            format!("SOCKS5 command {cmd} is not supported (only CONNECT)"),
            None,
        ));
        let _ = socks_reply(&mut s, SOCKS_CMD_UNSUPPORTED, None).await;
        return;
    }
    let host = match Host::parse(&host) {
        Ok(h) => h,
        Err(e) => {
            log.outcome = Outcome::Refused(Refusal::new("bad-host", e, None));
            let _ = socks_reply(&mut s, SOCKS_NOT_ALLOWED, None).await;
            return;
        }
    };
    log.host = host.to_string();
    let up = match open(&shared, &host, port, &mut log).await {
        Ok(u) => u,
        Err(OpenError::Refused(r)) => {
            log.outcome = Outcome::Refused(r);
            let _ = socks_reply(&mut s, SOCKS_NOT_ALLOWED, None).await;
            return;
        }
        Err(OpenError::Unreachable(m)) => {
            log.outcome = Outcome::Failed(m);
            let _ = socks_reply(&mut s, SOCKS_HOST_UNREACHABLE, None).await;
            return;
        }
    };
    if socks_reply(&mut s, SOCKS_OK, up.local_addr().ok())
        .await
        .is_err()
    {
        return;
    }
    run_tunnel(&s, &up, &[], &host, &mut log).await;
}
