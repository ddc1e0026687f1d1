//! `cordon hook` (issue #5; not built yet).
use crate::exit::{CmdResult, Failure};

/// Agent adapters: answer an agent's hook events (e.g. Claude Code).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn main(_args: Args) -> CmdResult {
    Err(Failure::refuse("`cordon hook` is not built yet (issue #5)"))
}
