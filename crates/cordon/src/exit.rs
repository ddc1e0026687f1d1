//! Exit codes and the one error type every subcommand returns.
//!
//! | code | meaning |
//! | --- | --- |
//! | the command's own | `cordon run` passes the contained command's status through |
//! | 128+N | the contained command was killed by signal N |
//! | 2 | bad usage, malformed config or input |
//! | 125 | cordon itself failed, or refused to run with weaker protection |
//! | 126 | the command was found but cannot be executed |
//! | 127 | the command was not found |

use std::fmt;

pub const USAGE: u8 = 2;
pub const REFUSED: u8 = 125;

/// A failure that ends the command: printed as one line `cordon: MSG (fix: HINT)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub code: u8,
    pub msg: String,
    pub hint: Option<String>,
}

impl Failure {
    /// Bad usage or malformed config/input (exit 2).
    pub fn usage(msg: impl Into<String>) -> Self {
        Failure {
            code: USAGE,
            msg: msg.into(),
            hint: None,
        }
    }
    /// Cordon cannot set a protection up, or fails itself (exit 125).
    pub fn refuse(msg: impl Into<String>) -> Self {
        Failure {
            code: REFUSED,
            msg: msg.into(),
            hint: None,
        }
    }
    /// Any other code.
    pub fn with_code(code: u8, msg: impl Into<String>) -> Self {
        Failure {
            code,
            msg: msg.into(),
            hint: None,
        }
    }
    /// What the user can do about it.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.msg)?;
        if let Some(h) = &self.hint {
            write!(f, " (fix: {h})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// The result every subcommand returns: `Ok(code)` is the process's exit status.
pub type CmdResult = Result<u8, Failure>;
