//! `cordon audit` (issue #6; not built yet).
use crate::exit::{CmdResult, Failure};

/// Inspect and verify the tamper-evident audit journal.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn main(_args: Args) -> CmdResult {
    Err(Failure::refuse("`cordon audit` is not built yet (issue #6)"))
}
