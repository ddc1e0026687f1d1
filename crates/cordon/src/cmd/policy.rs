//! `cordon policy` (issue #4; not built yet).
use crate::exit::{CmdResult, Failure};

/// Manage decision rules (import Claude Code settings).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn main(_args: Args) -> CmdResult {
    Err(Failure::refuse("`cordon policy` is not built yet (issue #4)"))
}
