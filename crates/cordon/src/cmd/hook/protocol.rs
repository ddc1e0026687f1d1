//! Claude Code's hook protocol: what arrives on stdin and what we answer on stdout.
//!
//! Input (every event): `session_id`, `transcript_path`, `cwd`, `permission_mode`,
//! `hook_event_name`, then per event:
//!
//! | event | extra fields | cordon answers |
//! | --- | --- | --- |
//! | `PreToolUse` | `tool_name`, `tool_input`, `tool_use_id` | `hookSpecificOutput.permissionDecision` allow / ask / deny + `permissionDecisionReason` |
//! | `PostToolUse` | + `tool_response` | `hookSpecificOutput.additionalContext` quoting a suspicious span, `systemMessage` for the user |
//! | `PermissionRequest` | `tool_name`, `tool_input`, `permission_suggestions` (Claude Code is about to ask the user) | `hookSpecificOutput.decision` `{"behavior": "deny", "message"}` when cordon denies the call; otherwise nothing, and the user is asked |
//! | `PostToolUseFailure` | `tool_name`, `tool_input`, `tool_use_id`, `error` | nothing (journaled) |
//! | `UserPromptSubmit` | `prompt` | nothing (journaled) |
//! | `SessionStart` | `source` (startup, resume, clear, compact) | a tainted session is reminded in `hookSpecificOutput.additionalContext` (journaled) |
//! | `SessionEnd` | `reason` | nothing (journaled) |
//!
//! Exit codes follow the hooks reference: 0 means "read my JSON on stdout";
//! 2 is a blocking error whose stderr goes to Claude (PreToolUse: the call is
//! blocked; UserPromptSubmit: the prompt is blocked; PostToolUse: Claude reads
//! it; SessionStart/SessionEnd: the user reads it); any other code is a
//! non-blocking error, which cordon never uses for a failure of its own.
//! Unknown input fields are ignored, since Claude Code adds fields over time.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The fields every event carries.
#[derive(Debug, Clone, Deserialize)]
pub struct Common {
    pub session_id: String,
    pub hook_event_name: String,
    #[serde(default)]
    pub cwd: Option<String>,
    #[serde(default)]
    pub transcript_path: Option<String>,
    #[serde(default)]
    pub permission_mode: Option<String>,
}

/// A tool call, before (`tool_response` absent) or after it ran.
#[derive(Debug, Clone, Deserialize)]
pub struct ToolCall {
    pub tool_name: String,
    pub tool_input: Value,
    #[serde(default)]
    pub tool_use_id: Option<String>,
    #[serde(default)]
    pub tool_response: Option<Value>,
    #[serde(default)]
    pub error: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Prompt {
    pub prompt: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SessionStart {
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub model: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SessionEnd {
    #[serde(default)]
    pub reason: Option<String>,
}

/// One decoded event.
#[derive(Debug, Clone)]
pub enum Event {
    PreToolUse(ToolCall),
    PermissionRequest(ToolCall),
    PostToolUse(ToolCall),
    PostToolUseFailure(ToolCall),
    UserPromptSubmit(Prompt),
    SessionStart(SessionStart),
    SessionEnd(SessionEnd),
}

/// The events cordon handles, as named in settings.json and on stdin.
pub const EVENTS: &[&str] = &[
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "PostToolUseFailure",
    "UserPromptSubmit",
    "SessionStart",
    "SessionEnd",
];

/// Why an input could not be decoded; `event` is known when the envelope was readable.
#[derive(Debug, Clone)]
pub struct InputError {
    pub event: Option<String>,
    pub msg: String,
}

impl InputError {
    fn new(event: Option<&str>, msg: impl Into<String>) -> Self {
        InputError {
            event: event.map(str::to_string),
            msg: msg.into(),
        }
    }
}

/// Decode one event from stdin's bytes.
pub fn decode(bytes: &[u8]) -> Result<(Common, Event), InputError> {
    let v: Value = serde_json::from_slice(bytes).map_err(|e| {
        InputError::new(
            None,
            format!(
                "hook input is not JSON ({e}); expected one Claude Code hook event object on stdin"
            ),
        )
    })?;
    if !v.is_object() {
        return Err(InputError::new(None, "hook input is JSON but not an object; expected one Claude Code hook event object on stdin"));
    }
    let name = v.get("hook_event_name").and_then(Value::as_str);
    let common: Common =
        Common::deserialize(&v).map_err(|e| InputError::new(name, format!("hook input: {e}")))?;
    let ev = common.hook_event_name.as_str();
    let field_err = |e: serde_json::Error| InputError::new(Some(ev), format!("{ev} event: {e}"));
    let event = match ev {
        "PreToolUse" => Event::PreToolUse(ToolCall::deserialize(&v).map_err(field_err)?),
        "PermissionRequest" => {
            Event::PermissionRequest(ToolCall::deserialize(&v).map_err(field_err)?)
        }
        "PostToolUse" => {
            let call = ToolCall::deserialize(&v).map_err(field_err)?;
            if call.tool_response.is_none() {
                return Err(InputError::new(Some(ev), "PostToolUse event: missing field `tool_response`"));
            }
            Event::PostToolUse(call)
        }
        "PostToolUseFailure" => {
            Event::PostToolUseFailure(ToolCall::deserialize(&v).map_err(field_err)?)
        }
        "UserPromptSubmit" => Event::UserPromptSubmit(Prompt::deserialize(&v).map_err(field_err)?),
        "SessionStart" => Event::SessionStart(SessionStart::deserialize(&v).map_err(field_err)?),
        "SessionEnd" => Event::SessionEnd(SessionEnd::deserialize(&v).map_err(field_err)?),
        other => {
            return Err(InputError::new(
                Some(other),
                format!(
                    "hook event `{other}` is not one cordon handles ({}); remove it from the hooks that call `cordon hook claude`",
                    EVENTS.join(", ")
                ),
            ))
        }
    };
    Ok((common, event))
}

/// `permissionDecision` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    Allow,
    Ask,
    Deny,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Allow => "allow",
            Permission::Ask => "ask",
            Permission::Deny => "deny",
        }
    }
}

/// The event-specific part of an answer.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "hookEventName")]
pub enum Specific {
    #[serde(rename_all = "camelCase")]
    PreToolUse {
        permission_decision: Permission,
        permission_decision_reason: String,
    },
    PermissionRequest {
        decision: RequestDecision,
    },
    #[serde(rename_all = "camelCase")]
    PostToolUse {
        additional_context: String,
    },
    #[serde(rename_all = "camelCase")]
    SessionStart {
        additional_context: String,
    },
}

/// A `PermissionRequest` answer: cordon only ever denies there (an allow
/// would answer the user's own question for them).
#[derive(Debug, Clone, Serialize)]
pub struct RequestDecision {
    pub behavior: Permission,
    /// Shown to the model.
    pub message: String,
}

/// One answer on stdout. Empty fields are left out, so `{}` means "no opinion".
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    /// Shown to the user (not the model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hook_specific_output: Option<Specific>,
}

impl Answer {
    /// A PreToolUse decision.
    pub fn permission(p: Permission, reason: impl Into<String>) -> Self {
        Answer {
            system_message: None,
            hook_specific_output: Some(Specific::PreToolUse {
                permission_decision: p,
                permission_decision_reason: reason.into(),
            }),
        }
    }

    /// A PermissionRequest refused on the user's behalf.
    pub fn request_denied(message: impl Into<String>) -> Self {
        Answer {
            system_message: None,
            hook_specific_output: Some(Specific::PermissionRequest {
                decision: RequestDecision {
                    behavior: Permission::Deny,
                    message: message.into(),
                },
            }),
        }
    }

    /// A PostToolUse note to the model.
    pub fn context(text: impl Into<String>) -> Self {
        Answer {
            system_message: None,
            hook_specific_output: Some(Specific::PostToolUse {
                additional_context: text.into(),
            }),
        }
    }

    pub fn to_json(&self) -> String {
        // Serializing plain structs of strings cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_tool_use_answer_matches_the_documented_shape() {
        let a = Answer::permission(Permission::Deny, "no");
        let v: Value = serde_json::from_str(&a.to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"hookSpecificOutput": {"hookEventName": "PreToolUse",
                "permissionDecision": "deny", "permissionDecisionReason": "no"}})
        );
        let c = Answer::context("careful");
        let v: Value = serde_json::from_str(&c.to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"hookSpecificOutput": {"hookEventName": "PostToolUse",
                "additionalContext": "careful"}})
        );
        assert_eq!(Answer::default().to_json(), "{}");
        let r = Answer::request_denied("no");
        let v: Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"hookSpecificOutput": {"hookEventName": "PermissionRequest",
                "decision": {"behavior": "deny", "message": "no"}}})
        );
    }

    #[test]
    fn decode_names_the_missing_field() {
        let e = decode(br#"{"session_id":"s","hook_event_name":"PreToolUse","tool_input":{}}"#)
            .unwrap_err();
        assert_eq!(e.event.as_deref(), Some("PreToolUse"));
        assert!(e.msg.contains("tool_name"), "{}", e.msg);
        let e = decode(b"not json").unwrap_err();
        assert!(e.event.is_none());
        let e = decode(br#"{"hook_event_name":"PreToolUse"}"#).unwrap_err();
        assert!(e.msg.contains("session_id"), "{}", e.msg);
        assert_eq!(e.event.as_deref(), Some("PreToolUse"));
    }
}
