//! `p0`: just-in-time AWS credentials from P0 Security, for one command.
//!
//! Data flows one way: arguments -> a plan (`plan`) -> a provider (`providers`) -> credentials
//! -> launch (`launch`) or output (`output`). `main` parses, builds the context every command
//! runs with, and maps the outcome to an exit code.

mod accounts;
mod aws_sdk;
mod backend;
mod cache;
mod cli;
mod commands;
mod context;
mod credentials;
mod device_flow;
mod env;
mod error;
mod http;
mod human;
mod launch;
mod lock;
mod output;
mod p0;
mod plan;
mod providers;
#[cfg(test)]
mod repo_checks;
mod retry;
mod secret;
mod signals;
mod state;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with 0; usage errors to stderr with EX_USAGE, in
            // plain text through the printer, which escapes the argv clap quotes.
            if !e.use_stderr() {
                let _ = e.print();
                return ExitCode::from(0);
            }
            let text = e.render().to_string();
            output::Printer::standard(false).error(&text.trim_end());
            return ExitCode::from(error::exit::USAGE);
        }
    };
    init_diagnostics(cli.debug);
    let options = context::Options {
        quiet: cli.quiet,
        no_browser: matches!(&cli.command, cli::Command::Login(args) if args.no_browser),
        output_is_read_by_a_program: false,
    };
    let printer = output::Printer::standard(cli.quiet);
    let outcome = context::Context::new(&options).and_then(|ctx| commands::run(ctx, cli.command));
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            printer.error(&e);
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
    use std::io::IsTerminal;
    let filter = match env::get(env::read::P0_LOG) {
        Some(filter) => filter,
        None if debug => "p0=debug".to_string(),
        None => return,
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}
