//! The client side of Streamable HTTP mode: one MCP server's URL, with the
//! headers cordon adds to every request (credentials the agent never holds).
//!
//! Answers are opened as streams ([`Upstream::open`]): an SSE answer (or the
//! standing GET stream) is read event by event by the caller, never buffered
//! whole.

use serde_json::Value;
use std::io::Read;
use std::time::Duration;

/// Headers passed from the agent to the server (lower case).
pub const PASS_UP: &[&str] = &[
    "accept",
    "content-type",
    "mcp-session-id",
    "mcp-protocol-version",
    "mcp-method",
    "mcp-name",
    "last-event-id",
];
/// Headers passed from the server back to the agent (lower case).
pub const PASS_DOWN: &[&str] = &["content-type", "mcp-session-id", "mcp-protocol-version"];

/// The value of an `Mcp-Name` header: verbatim, or the UTF-8 inside the
/// `=?base64?...?=` wrapping clients use for names that are not plain ASCII.
/// A malformed wrapping is `None` (it matches no name).
///
/// ```
/// use cordon_mcp::upstream::decode_header_value;
/// assert_eq!(decode_header_value("echo").as_deref(), Some("echo"));
/// assert_eq!(decode_header_value("=?base64?w6ljaG8=?=").as_deref(), Some("\u{e9}cho"));
/// assert_eq!(decode_header_value("=?base64?!!?="), None);
/// ```
pub fn decode_header_value(v: &str) -> Option<String> {
    use base64::Engine;
    let Some(payload) = v
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    else {
        return Some(v.to_string());
    };
    let engine = base64::engine::general_purpose::STANDARD;
    let bytes = engine.decode(payload).ok()?;
    // Only the canonical encoding (what a client emits) is accepted.
    if engine.encode(&bytes) != payload {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// A Streamable HTTP MCP server.
pub struct Upstream {
    pub url: String,
    headers: Vec<(String, String)>,
    agent: ureq::Agent,
}

/// Status, headers to pass back, body.
pub type Answer = (u16, Vec<(String, String)>, Vec<u8>);

/// An answer whose body is still to be read.
pub struct Opened {
    pub status: u16,
    /// The [`PASS_DOWN`] headers.
    pub headers: Vec<(String, String)>,
    pub body: Box<dyn Read + Send>,
}

impl Opened {
    /// A header passed down, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    /// Is the body a `text/event-stream`?
    pub fn is_sse(&self) -> bool {
        self.header("content-type")
            .is_some_and(|c| c.starts_with("text/event-stream"))
    }
}

impl Upstream {
    /// No redirects (a redirect could carry the credentials elsewhere), status
    /// codes passed through. `wait` bounds connecting and waiting for the
    /// answer's head; a body (an SSE stream) may then last as long as the
    /// server keeps it open.
    pub fn new(url: &str, headers: Vec<(String, String)>, wait: Duration) -> Upstream {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(wait))
            .timeout_recv_response(Some(wait))
            .build()
            .into();
        Upstream {
            url: url.to_string(),
            headers,
            agent,
        }
    }

    /// Send one request (`POST`, `GET` or `DELETE`) with the agent's
    /// [`PASS_UP`] headers and cordon's own. A server that cannot be reached
    /// gives `Err` with a 502 answer carrying a JSON-RPC error.
    pub fn open(
        &self,
        method: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Opened, Answer> {
        let mut b = match method {
            "DELETE" => ureq::http::Request::delete(&self.url),
            "GET" => ureq::http::Request::get(&self.url),
            _ => ureq::http::Request::post(&self.url),
        };
        for (k, v) in headers {
            if PASS_UP.contains(&k.as_str()) {
                b = b.header(k, v);
            }
        }
        for (k, v) in &self.headers {
            b = b.header(k, v);
        }
        let result = b
            .body(body.to_vec())
            .map_err(|e| e.to_string())
            .and_then(|r| self.agent.run(r).map_err(|e| e.to_string()));
        match result {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let headers = resp
                    .headers()
                    .iter()
                    .filter(|(k, _)| PASS_DOWN.contains(&k.as_str()))
                    .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
                    .collect();
                Ok(Opened {
                    status,
                    headers,
                    body: Box::new(resp.into_body().into_reader()),
                })
            }
            Err(e) => Err(unreachable(&self.url, &format!("cannot be reached: {e}"))),
        }
    }

    /// [`Upstream::open`], the body read whole up to `max` bytes (a longer one is an error).
    pub fn forward(
        &self,
        method: &str,
        headers: &[(String, String)],
        body: &[u8],
        max: usize,
    ) -> Answer {
        match self.open(method, headers, body) {
            Ok(o) => {
                let mut buf = Vec::new();
                let read = o.body.take(max as u64 + 1).read_to_end(&mut buf);
                if read.is_err() || buf.len() > max {
                    let why = match read {
                        Err(e) => format!("its answer broke off: {e}"),
                        Ok(_) => format!("its answer is over the bound of {max} bytes"),
                    };
                    return unreachable(&self.url, &why);
                }
                (o.status, o.headers, buf)
            }
            Err(a) => a,
        }
    }
}

/// 502 with a JSON-RPC error naming the server and why.
fn unreachable(url: &str, why: &str) -> Answer {
    let err = crate::jsonrpc::error(
        &Value::Null,
        crate::jsonrpc::SERVER_ERROR,
        &format!("cordon: the MCP server at {url} {why}"),
        None,
    );
    (
        502,
        vec![("content-type".into(), "application/json".into())],
        err.to_string().into_bytes(),
    )
}
