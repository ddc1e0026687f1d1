//! `cordon scan` (issue #7; not built yet).
use crate::exit::{CmdResult, Failure};

/// Screen untrusted text for prompt injection.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn main(_args: Args) -> CmdResult {
    Err(Failure::refuse("`cordon scan` is not built yet (issue #7)"))
}
