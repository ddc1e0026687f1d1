//! `cordon allow-domain --session ID PATTERN`: widen a running session's
//! network policy from outside its sandbox (issue #3).
use crate::cmd::netrun::{control_path, valid_session};
use crate::exit::{CmdResult, Failure};
use crate::settings::{managed, validate_allow_pattern, Key, Layer, Place, Sourced};

/// Allow a destination for a running `cordon run` session.
///
/// Takes effect on the session's next connection and is recorded in the
/// journal. Only works from outside the sandbox, as the same user (or root).
/// The session id is printed by `cordon run -v` and is $CORDON_SESSION inside
/// the sandbox.
///
/// Examples:
///   cordon allow-domain --session 19a2b3c4d-2f1 docs.python.org
///   cordon allow-domain --session 19a2b3c4d-2f1 'git.corp.example:8443'
#[derive(clap::Args, Debug)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The running session's id.
    #[arg(long, value_name = "ID")]
    pub session: String,
    /// What to allow: `example.com`, `*.example.com`, `host:PORT`, an IP or CIDR.
    #[arg(value_name = "PATTERN")]
    pub pattern: String,
}

pub fn main(args: Args) -> CmdResult {
    if !valid_session(&args.session) {
        return Err(
            Failure::usage(format!("`{}` is not a session id", args.session))
                .hint("copy the id `cordon run -v` printed"),
        );
    }
    // The one validation every entry point uses (`*`, `*.com`, bad ports...).
    let pattern = Sourced {
        value: args.pattern.clone(),
        layer: Layer::Flag,
        place: Place::Flag("PATTERN"),
    };
    validate_allow_pattern(&pattern, Key::NetAllow)?;
    // The managed ceiling (`live_widening`, `domains`); the session's proxy
    // checks it again.
    let managed = crate::settings::Settings::load_under(Default::default(), managed::installed()?)?;
    managed.admit_destination(&pattern.place, &pattern.value, true)?;
    let path = control_path(&args.session);
    if !path.exists() {
        return Err(
            Failure::usage(format!("no running session `{}`", args.session)).hint(format!(
                "check the id; running sessions have a socket in {}",
                crate::paths::run_dir().display()
            )),
        );
    }
    match cordon_net::control::request_allow(&path, &args.pattern) {
        Ok(Ok(())) => {
            println!(
                "cordon: session {} allows {} from its next connection on",
                args.session,
                args.pattern.trim()
            );
            Ok(0)
        }
        Ok(Err(e)) => Err(Failure::refuse(format!("session {}: {e}", args.session))),
        Err(e) => Err(Failure::refuse(format!(
            "cannot reach session {} at {}: {e}",
            args.session,
            path.display()
        ))
        .hint("the session may have ended")),
    }
}
