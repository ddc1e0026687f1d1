//! The client side of Streamable HTTP mode: one MCP server's URL, with the
//! headers cordon adds to every request (credentials the agent never holds).

use serde_json::Value;
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
pub const PASS_DOWN: &[&str] = &["content-type", "mcp-session-id"];

/// A Streamable HTTP MCP server.
pub struct Upstream {
    pub url: String,
    headers: Vec<(String, String)>,
    agent: ureq::Agent,
}

/// Status, headers to pass back, body.
pub type Answer = (u16, Vec<(String, String)>, Vec<u8>);

impl Upstream {
    /// No redirects (a redirect could carry the credentials elsewhere), status codes passed through.
    pub fn new(url: &str, headers: Vec<(String, String)>, timeout: Duration) -> Upstream {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(timeout))
            .build()
            .into();
        Upstream {
            url: url.to_string(),
            headers,
            agent,
        }
    }

    /// Send one request (`POST` or `DELETE`) with the agent's [`PASS_UP`]
    /// headers and cordon's own; the body read up to `max` bytes. A server
    /// that cannot be reached gives 502 with a JSON-RPC error.
    pub fn forward(
        &self,
        method: &str,
        headers: &[(String, String)],
        body: &[u8],
        max: usize,
    ) -> Answer {
        let mut b = match method {
            "DELETE" => ureq::http::Request::delete(&self.url),
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
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let headers = resp
                    .headers()
                    .iter()
                    .filter(|(k, _)| PASS_DOWN.contains(&k.as_str()))
                    .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_string())))
                    .collect();
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(max as u64)
                    .read_to_vec()
                    .unwrap_or_default();
                (status, headers, body)
            }
            Err(e) => {
                let err = crate::jsonrpc::error(
                    &Value::Null,
                    crate::jsonrpc::SERVER_ERROR,
                    &format!(
                        "cordon: the MCP server at {} cannot be reached: {e}",
                        self.url
                    ),
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
}
