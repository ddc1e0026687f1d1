//! `cordon mcp`: a gateway between an agent and one MCP server.
//!
//! The agent's MCP config runs cordon instead of the server; cordon starts the
//! server inside its sandbox (`cordon run`, per-server flags from
//! `[mcp.servers.NAME]`) and relays newline-delimited JSON-RPC both ways:
//!
//! ```text
//! $ cordon mcp --name fs -- npx -y @modelcontextprotocol/server-filesystem .
//! ```
//!
//! | message | cordon |
//! | --- | --- |
//! | `tools/call`, `resources/read`, `prompts/get`, `resources/subscribe`, `completion/complete`, any method cordon does not know | decided as `mcp__NAME__tool` by the decision engine; deny and ask are answered with a JSON-RPC error that says why and how to allow |
//! | 2026-07-28 per-request `_meta` | checked (known revision, capabilities, client info, agreement with the HTTP header) |
//! | `initialize` result, `tools/list`, `prompts/list`, `resources/list` | every item hashed and pinned on first sight (`<data dir>/mcp/NAME.json`); a changed or new item later is removed from the list and refused until `cordon mcp approve NAME`; descriptions screened for poisoning |
//! | results | ANSI escapes stripped, text screened for injection; flagged text taints the session and a warning is added |
//! | anything malformed | a JSON-RPC error (or, from the server, dropped), never a crash |
//!
//! With `--upstream URL --listen ADDR` the same runs for a Streamable HTTP
//! server (`gateway/http.rs`), with per-server credential headers from config.
//!
//! Everything is journaled with source `mcp`. See docs/MCP.md.

mod approve;
mod gateway;
mod screen;
mod shared_taint;

use crate::exit::{CmdResult, Failure};
use std::ffi::OsString;
use std::path::PathBuf;

/// MCP gateway: run an MCP server in cordon's sandbox and police what passes.
#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, after_long_help = EXAMPLES)]
pub struct Args {
    #[command(subcommand)]
    sub: Option<Sub>,
    #[command(flatten)]
    gw: GatewayArgs,
}

#[derive(clap::Subcommand, Debug)]
enum Sub {
    /// Review and approve what changed in a server's tools, prompts, resources or instructions.
    ///
    /// Shows a diff of every blocked item against its pin; on a terminal asks
    /// before approving, elsewhere needs --yes.
    Approve(approve::Args),
}

#[derive(clap::Args, Debug)]
pub(crate) struct GatewayArgs {
    /// The server's name: in rules (`mcp__NAME__tool`), pins and the journal
    /// [default: the command's file name].
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    /// Extra config file, layered over the user's ([permissions] rules, [mcp.servers.NAME]).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The server's workspace (writable in its sandbox) [default: [mcp.servers.NAME] workspace, else the current directory].
    #[arg(long, value_name = "DIR")]
    workspace: Option<PathBuf>,
    /// Do not write the journal (the gateway and the server's sandbox both run unaudited).
    #[arg(long)]
    no_journal: bool,
    /// Largest message accepted from either side, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = cordon_mcp::frame::MAX_FRAME)]
    max_message: usize,
    /// Streamable HTTP mode: the server's URL (`https://host/mcp`); no command then.
    #[arg(
        long,
        value_name = "URL",
        requires = "listen",
        conflicts_with = "command"
    )]
    upstream: Option<String>,
    /// Streamable HTTP mode: where the agent connects (`127.0.0.1:8931`).
    #[arg(long, value_name = "ADDR", requires = "upstream")]
    listen: Option<String>,
    /// Streamable HTTP mode: allow --listen on an address other than loopback.
    /// The gateway speaks plain HTTP: anyone who reaches it can use the
    /// server's tools with the credentials cordon adds.
    #[arg(long, requires = "listen")]
    insecure_listen: bool,
    /// Streamable HTTP mode: serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, value_name = "FILE", requires_all = ["listen", "tls_key"])]
    tls_cert: Option<PathBuf>,
    /// Streamable HTTP mode: the PEM private key of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Streamable HTTP mode with TLS: accept only clients with a certificate
    /// issued by a CA in this PEM file (mutual TLS). With it, --listen may be
    /// any address.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_client_ca: Option<PathBuf>,
    /// The server's command line.
    #[arg(last = true, value_name = "SERVER_COMMAND")]
    command: Vec<OsString>,
}

const EXAMPLES: &str = r#"Examples:
  # In the agent's MCP config, instead of the server's own command:
  {"mcpServers": {"fs": {"command": "cordon",
    "args": ["mcp", "--name", "fs", "--", "npx", "-y", "@modelcontextprotocol/server-filesystem", "."]}}}

  # Allow a server's tools without asking (~/.config/cordon/config.toml):
  [permissions]
  allow = ["mcp__fs__read_text_file", "mcp__fs__list_directory"]
  deny = ["mcp__fs__write_file"]

  # Its sandbox:
  [mcp.servers.github]
  workspace = "~/src/app"
  env = ["GITHUB_TOKEN"]
  allow_domain = ["api.github.com"]

  # A Streamable HTTP server, its credential added by cordon ([mcp.servers.gh] headers):
  # (loopback only, unless clients need certificates: --tls-cert, --tls-key, --tls-client-ca)
  $ cordon mcp --name gh --upstream https://api.example.com/mcp --listen 127.0.0.1:8931

  # Share taint with the Claude Code hook of a named session (headless runs):
  $ export CORDON_HOOK_SESSION=$(uuidgen); claude -p --session-id "$CORDON_HOOK_SESSION" "..."

  # After a server changed a tool's description (calls to it are refused until then):
  $ cordon mcp approve fs

Exit status: the server's (through `cordon run`), 2 for bad usage or config, 125 when the
sandbox or the journal cannot be set up, or --listen is not loopback without client certificates. See docs/MCP.md."#;

pub fn main(args: Args) -> CmdResult {
    match args.sub {
        Some(Sub::Approve(a)) => approve::main(a),
        None if args.gw.command.is_empty() && args.gw.upstream.is_none() => Err(Failure::usage(
            "`cordon mcp` needs the server's command after `--`",
        )
        .hint("cordon mcp --name NAME -- SERVER_COMMAND [ARGS...]")),
        None => gateway::main(args.gw),
    }
}

/// Server names become file names and rule names: letters, digits, `-`, `_`.
fn check_name(name: &str) -> Result<(), Failure> {
    let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if name.is_empty() || name.len() > 64 || !name.chars().all(ok) || name.contains("__") {
        return Err(Failure::usage(format!(
            "{name:?} is not a valid MCP server name"
        ))
        .hint("use letters, digits, '-' and single '_', at most 64 (it appears in rules as mcp__NAME__tool)"));
    }
    Ok(())
}

/// Where a server's pins live.
fn pins_path(name: &str) -> PathBuf {
    crate::paths::data_dir()
        .join("mcp")
        .join(format!("{name}.json"))
}
