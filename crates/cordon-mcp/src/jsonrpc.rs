//! Just enough JSON-RPC 2.0 to route and police messages; the raw JSON is what
//! is forwarded, so fields this module does not know survive.

use serde_json::{json, Value};

/// Parse error.
pub const PARSE_ERROR: i64 = -32700;
/// Not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// cordon refused the request (policy, pinning).
pub const REFUSED: i64 = -32001;
/// The server is gone or answered nonsense.
pub const SERVER_ERROR: i64 = -32603;

/// What a message is, by its shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// `method` and a valid `id`.
    Request { id: Value, method: String },
    /// `method` without `id`.
    Notification { method: String },
    /// `result` or `error` with an `id`.
    Response { id: Value },
    /// A batch (array); older revisions allowed them.
    Batch,
    /// Valid JSON that is not a JSON-RPC message; the reason, and the id if one could be read.
    Invalid { id: Value, why: String },
}

/// An id is a string or an integer (JSON-RPC also allows null for errors).
fn valid_id(v: &Value) -> bool {
    v.is_string() || v.is_i64() || v.is_u64()
}

/// Classify a parsed message.
pub fn classify(v: &Value) -> Kind {
    let Some(o) = v.as_object() else {
        return if v.is_array() {
            Kind::Batch
        } else {
            Kind::Invalid {
                id: Value::Null,
                why: "a message must be a JSON object".into(),
            }
        };
    };
    if o.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Kind::Invalid {
            id: o
                .get("id")
                .filter(|i| valid_id(i))
                .cloned()
                .unwrap_or(Value::Null),
            why: "missing \"jsonrpc\": \"2.0\"".into(),
        };
    }
    let id = o.get("id");
    match (o.get("method"), id) {
        (Some(Value::String(m)), None) => Kind::Notification { method: m.clone() },
        (Some(Value::String(m)), Some(i)) if valid_id(i) => Kind::Request {
            id: i.clone(),
            method: m.clone(),
        },
        (Some(Value::String(_)), Some(_)) => Kind::Invalid {
            id: Value::Null,
            why: "\"id\" must be a string or an integer".into(),
        },
        (Some(_), _) => Kind::Invalid {
            id: id.filter(|i| valid_id(i)).cloned().unwrap_or(Value::Null),
            why: "\"method\" must be a string".into(),
        },
        (None, Some(i)) if o.contains_key("result") || o.contains_key("error") => {
            Kind::Response { id: i.clone() }
        }
        (None, _) => Kind::Invalid {
            id: id.filter(|i| valid_id(i)).cloned().unwrap_or(Value::Null),
            why: "neither a request (\"method\") nor a response (\"result\"/\"error\")".into(),
        },
    }
}

/// An error response.
pub fn error(id: &Value, code: i64, message: &str, data: Option<Value>) -> Value {
    let mut e = json!({"code": code, "message": message});
    if let Some(d) = data {
        e["data"] = d;
    }
    json!({"jsonrpc": "2.0", "id": id, "error": e})
}

/// A stable map key for an id (`"7"` and `7` are different ids).
pub fn id_key(id: &Value) -> String {
    id.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let k = |s: &str| classify(&serde_json::from_str(s).unwrap());
        assert_eq!(
            k(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#),
            Kind::Request {
                id: json!(1),
                method: "tools/list".into()
            }
        );
        assert_eq!(
            k(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Kind::Notification {
                method: "notifications/initialized".into()
            }
        );
        assert_eq!(
            k(r#"{"jsonrpc":"2.0","id":"a","result":{}}"#),
            Kind::Response { id: json!("a") }
        );
        assert!(matches!(
            k(r#"{"jsonrpc":"2.0","id":{"x":1},"method":"m"}"#),
            Kind::Invalid { .. }
        ));
        assert!(
            matches!(k(r#"{"id":1,"method":"m"}"#), Kind::Invalid { id, .. } if id == json!(1))
        );
        assert!(matches!(k("42"), Kind::Invalid { .. }));
        assert_eq!(k("[]"), Kind::Batch);
    }
}
