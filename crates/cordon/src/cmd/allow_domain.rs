//! `cordon allow-domain` (issue #3; not built yet).
use crate::exit::{CmdResult, Failure};

/// Allow a domain for a running session (from outside the sandbox).
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn main(_args: Args) -> CmdResult {
    Err(Failure::refuse("`cordon allow-domain` is not built yet (issue #3)"))
}
