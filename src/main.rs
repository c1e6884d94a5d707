//! `p0`: just-in-time AWS credentials from P0 Security, for one command.
//!
//! Data flows one way: CLI arguments -> a resolved plan (org, account, backend, role) ->
//! credentials -> launch. `main` only parses, sets up diagnostics and maps errors to exit codes.

mod accounts;
mod aws_sdk;
mod backends;
mod cli;
mod commands;
mod credentials;
mod device_flow;
mod env;
mod error;
mod exports;
mod http;
mod launch;
mod lock;
mod p0;
#[cfg(test)]
mod repo_checks;
mod secret;
mod signals;
mod sso_config;
mod state;
mod terminal;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with EX_USAGE.
            let code = if e.use_stderr() {
                error::exit::USAGE
            } else {
                0
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_diagnostics(cli.debug);
    match commands::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Parses the command line. `p0 aws --help` lists only the subcommand family that fits the
/// org's accounts when their config is known locally (never asking the network for help).
fn parse() -> Result<cli::Cli, clap::Error> {
    let mut command = cli::Cli::command();
    if std::env::args_os().nth(1).is_some_and(|a| a == "aws") {
        let families = state::StateDir::from_env()
            .ok()
            .and_then(|state| accounts::cached_families(&state));
        command = cli::fit_aws_families(command, families);
    }
    let matches = command.try_get_matches()?;
    cli::Cli::from_arg_matches(&matches)
}

/// Diagnostics go to stderr only, and only when asked for (`--debug` or `P0_LOG`).
fn init_diagnostics(debug: bool) {
    let filter = match env::get(env::read::P0_LOG) {
        Some(filter) => filter,
        None if debug => "p0=debug".to_string(),
        None => return,
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(terminal::stderr_is_terminal())
        .with_target(false)
        .init();
}
