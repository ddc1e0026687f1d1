//! `cordon mcp` (issue #8; not built yet).
use crate::exit::{CmdResult, Failure};

/// MCP gateway: contain and police an MCP server.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn main(_args: Args) -> CmdResult {
    Err(Failure::refuse("`cordon mcp` is not built yet (issue #8)"))
}
