//! Protocol revisions, and the 2026-07-28 per-request `_meta` checks.
//!
//! The 2026-07-28 revision drops the `initialize` handshake: every request
//! carries its protocol version and the client's capabilities (and, optionally,
//! its name) in `params._meta`. The gateway checks that what is there is well
//! formed and names a revision it can police, and, over HTTP, that it agrees
//! with the `MCP-Protocol-Version` header a server may route on. Everything
//! else in `_meta` is relayed untouched.
//!
//! ```
//! use cordon_mcp::revision::check_request_meta;
//! use serde_json::json;
//!
//! let ok = json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
//!                           "io.modelcontextprotocol/clientCapabilities": {}}});
//! assert_eq!(check_request_meta(Some(&ok), None).unwrap().as_deref(), Some("2026-07-28"));
//! let future = json!({"_meta": {"io.modelcontextprotocol/protocolVersion": "2031-01-01",
//!                               "io.modelcontextprotocol/clientCapabilities": {}}});
//! assert_eq!(check_request_meta(Some(&future), None).unwrap_err().code, -32022);
//! assert_eq!(check_request_meta(Some(&ok), Some("2025-06-18")).unwrap_err().code, -32020);
//! ```

use serde_json::{json, Value};

/// Revisions cordon knows how to police, newest first.
pub const REVISIONS: &[&str] = &[
    "2026-07-28",
    "2025-11-25",
    "2025-06-18",
    "2025-03-26",
    "2024-11-05",
];
/// Revisions negotiated per request through `_meta` (no handshake).
pub const PER_REQUEST: &[&str] = &["2026-07-28"];

pub const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub const CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";

/// The HTTP header and `_meta` disagree (2026-07-28).
pub const HEADER_MISMATCH: i64 = -32020;
/// The requested revision is not supported (2026-07-28); `data` lists the supported ones.
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

/// Why a request's `_meta` is refused, as a JSON-RPC error.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaError {
    pub code: i64,
    pub message: String,
    pub data: Option<Value>,
}

fn invalid(message: String) -> MetaError {
    MetaError {
        code: crate::jsonrpc::INVALID_REQUEST,
        message,
        data: None,
    }
}

/// Check a request's `params._meta`; the revision it names, if any.
/// `header` is the HTTP `MCP-Protocol-Version`, where there is one.
pub fn check_request_meta(
    params: Option<&Value>,
    header: Option<&str>,
) -> Result<Option<String>, MetaError> {
    let Some(meta) = params.and_then(|p| p.get("_meta")) else {
        return Ok(None);
    };
    let Some(meta) = meta.as_object() else {
        return Err(invalid("cordon: `params._meta` must be an object".into()));
    };
    let version = match meta.get(PROTOCOL_VERSION) {
        None => None,
        Some(Value::String(v)) => Some(v.as_str()),
        Some(_) => {
            return Err(invalid(format!(
                "cordon: `_meta` \"{PROTOCOL_VERSION}\" must be a string"
            )))
        }
    };
    if let Some(info) = meta.get(CLIENT_INFO) {
        if !info.get("name").is_some_and(Value::is_string) {
            return Err(invalid(format!(
                "cordon: `_meta` \"{CLIENT_INFO}\" must be an object with a string \"name\""
            )));
        }
    }
    let Some(version) = version else {
        return Ok(None);
    };
    if !REVISIONS.contains(&version) {
        return Err(MetaError {
            code: UNSUPPORTED_PROTOCOL_VERSION,
            message: format!(
                "cordon: protocol revision {version:?} is not one cordon can police (it knows {})",
                REVISIONS.join(", ")
            ),
            data: Some(json!({"supported": PER_REQUEST, "requested": version})),
        });
    }
    if PER_REQUEST.contains(&version)
        && !meta.get(CLIENT_CAPABILITIES).is_some_and(Value::is_object)
    {
        return Err(invalid(format!(
            "cordon: a {version} request needs `_meta` \"{CLIENT_CAPABILITIES}\" (an object)"
        )));
    }
    if let Some(h) = header.filter(|h| *h != version) {
        return Err(MetaError {
            code: HEADER_MISMATCH,
            message: format!(
                "cordon: the MCP-Protocol-Version header ({h}) does not match `_meta` ({version})"
            ),
            data: None,
        });
    }
    Ok(Some(version.to_string()))
}

/// The revision a server answered `initialize` or `server/discover` with, if
/// cordon does not know it (so cannot police what follows).
pub fn unknown_server_revision(method: &str, result: &Value) -> Option<String> {
    match method {
        "initialize" => {
            let v = result.get("protocolVersion")?;
            match v.as_str() {
                Some(s) if REVISIONS.contains(&s) => None,
                _ => Some(v.to_string()),
            }
        }
        "server/discover" => {
            let vs = result.get("supportedVersions")?;
            let known = vs.as_array().is_some_and(|a| {
                a.iter()
                    .any(|v| v.as_str().is_some_and(|s| REVISIONS.contains(&s)))
            });
            (!known).then(|| vs.to_string())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_shapes() {
        let chk = |p: Value| check_request_meta(Some(&p), None);
        assert_eq!(chk(json!({"name": "x"})), Ok(None));
        assert_eq!(chk(json!({"_meta": {"progressToken": 1}})), Ok(None));
        assert_eq!(chk(json!({"_meta": 5})).unwrap_err().code, -32600);
        assert_eq!(
            chk(json!({"_meta": {PROTOCOL_VERSION: 2026}}))
                .unwrap_err()
                .code,
            -32600
        );
        let no_caps = chk(json!({"_meta": {PROTOCOL_VERSION: "2026-07-28"}})).unwrap_err();
        assert!(
            no_caps.message.contains("clientCapabilities"),
            "{no_caps:?}"
        );
        assert_eq!(
            chk(json!({"_meta": {PROTOCOL_VERSION: "2026-07-28", CLIENT_CAPABILITIES: {}, CLIENT_INFO: "me"}}))
                .unwrap_err()
                .code,
            -32600
        );
        let future = chk(json!({"_meta": {PROTOCOL_VERSION: "2099-01-01"}})).unwrap_err();
        assert_eq!(future.data.unwrap()["supported"], json!(["2026-07-28"]));
        assert_eq!(
            unknown_server_revision("initialize", &json!({"protocolVersion": "2025-06-18"})),
            None
        );
        assert!(
            unknown_server_revision("initialize", &json!({"protocolVersion": "2099-01-01"}))
                .is_some()
        );
        assert!(unknown_server_revision(
            "server/discover",
            &json!({"supportedVersions": ["2099-01-01"]})
        )
        .is_some());
        assert_eq!(
            unknown_server_revision(
                "server/discover",
                &json!({"supportedVersions": ["2099-01-01", "2026-07-28"]})
            ),
            None
        );
    }
}
