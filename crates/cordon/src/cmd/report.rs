//! `cordon report` (issue #6; not built yet).
use crate::exit::{CmdResult, Failure};

/// Write a self-contained HTML report of the journal.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn main(_args: Args) -> CmdResult {
    Err(Failure::refuse("`cordon report` is not built yet (issue #6)"))
}
