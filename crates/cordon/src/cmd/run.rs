//! `cordon run`: contain a command and everything it starts.
use crate::exit::{CmdResult, Failure};

/// Run a command in cordon's sandbox.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The command and its arguments.
    #[arg(last = true, required = true)]
    pub command: Vec<std::ffi::OsString>,
}

/// Internal arguments of the sandbox init.
#[derive(clap::Args, Debug)]
pub struct InitArgs {}

pub fn main(_args: Args) -> CmdResult {
    Err(Failure::refuse("not built yet"))
}

pub fn init_main(_args: InitArgs) -> CmdResult {
    Err(Failure::refuse("internal command"))
}
