//! `cordon check` (issue #4; not built yet).
use crate::exit::{CmdResult, Failure};

/// Decide allow / ask / deny for an agent action, with reasons.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn main(_args: Args) -> CmdResult {
    Err(Failure::refuse("`cordon check` is not built yet (issue #4)"))
}
