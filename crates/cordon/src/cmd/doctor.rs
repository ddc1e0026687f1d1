//! `cordon doctor`: what this kernel supports and which protections are active.
use crate::exit::CmdResult;

/// Explain what this machine supports, which protections `cordon run` will apply, and what would degrade.
#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn main(_args: Args) -> CmdResult {
    Ok(0)
}
