//! `cordon init` (issue #5; not built yet).
use crate::exit::{CmdResult, Failure};

/// Install cordon's hooks into an agent's settings.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn main(_args: Args) -> CmdResult {
    Err(Failure::refuse("`cordon init` is not built yet (issue #5)"))
}
