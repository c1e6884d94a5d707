//! `p0`: just-in-time AWS credentials from P0 Security, for one command.
//!
//! The library behind the two programs: `p0` (`src/main.rs`, every command: [`main`]) and the
//! release's warm-path front end (`src/bin/p0-warm.rs`: [`front::main`]). Nothing here is a
//! public API beyond those two entry points.
//!
//! Data flows one way: arguments -> a plan (`plan`) -> a provider (`providers`) -> credentials
//! -> launch (`launch`) or output (`output`). `main` parses, builds the context every command
//! runs with, and maps the outcome to an exit code.

mod accounts;
mod aws_files;
mod aws_sdk;
mod backend;
mod cache;
mod cli;
mod commands;
mod completion;
mod context;
mod credentials;
mod device_flow;
mod env;
mod error;
pub mod front;
#[cfg(test)]
mod fuzzing;
mod http;
mod human;
mod kubeconfig;
mod launch;
mod layout;
mod lock;
mod output;
mod p0;
mod partition;
mod plan;
mod presign;
mod providers;
#[cfg(test)]
mod repo_checks;
mod retry;
mod secret;
mod signals;
mod state;

use clap::{CommandFactory, FromArgMatches};
use std::process::ExitCode;

/// The boxed future of an object-safe async trait's method (`providers::Provider`,
/// `launch::CredentialSource`): defined once, at the root, as `launch` knows nothing of
/// providers.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// `p0`: every command.
pub fn main() -> ExitCode {
    // A shell's completion script asking for candidates (`COMPLETE=bash p0 -- p0 run-as ...`):
    // answered from local files alone, then exit. Nothing may be printed before this.
    clap_complete::CompleteEnv::with_factory(completion_command)
        .var(env::read::COMPLETE)
        .bin("p0")
        .completer("p0")
        .complete();
    // `p0 --version --verbose`: the build, for bug reports (plain `--version` is clap's).
    let words: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if let Some(text) = cli::verbose_version(&words) {
        return match output::stdout(text) {
            Ok(()) => ExitCode::from(0),
            Err(e) => ExitCode::from(e.exit_code()),
        };
    }
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
        no_browser: matches!(&cli.command, cli::Command::Login(args) if args.no_browser)
            || matches!(&cli.command, cli::Command::Console(args) if args.no_browser || args.url),
        // An SDK running `p0 aws credential-process` reads its stdout and stderr.
        output_is_read_by_a_program: matches!(
            &cli.command,
            cli::Command::Aws(args) if matches!(args.command, cli::AwsCommand::CredentialProcess(_))
        ),
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

/// Parses the command line: with only the subcommand it names when that is one whose warm runs
/// must be quick, else (and for anything that tree refuses: help, mistakes) with the whole
/// tree. `p0 aws --help` lists only the subcommand family that fits the org's accounts when
/// their config is known locally (never asking the network for help).
fn parse() -> Result<cli::Cli, clap::Error> {
    let words: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if let Some(quick) = cli::quick_command(&words) {
        if let Ok(cli) = quick
            .try_get_matches()
            .and_then(|matches| cli::Cli::from_arg_matches(&matches))
        {
            return Ok(cli);
        }
    }
    let mut command = cli::Cli::command();
    if words.first().is_some_and(|a| a == "aws") {
        let families = state::StateDir::from_env()
            .ok()
            .and_then(|state| accounts::cached_families(&state));
        command = cli::fit_aws_families(command, families);
    }
    let matches = command.try_get_matches()?;
    cli::Cli::from_arg_matches(&matches)
}

/// The command line as completion sees it: the `p0 aws` families that fit the org.
fn completion_command() -> clap::Command {
    let families = state::StateDir::from_env()
        .ok()
        .and_then(|state| accounts::cached_families(&state));
    cli::fit_aws_families(cli::Cli::command(), families)
}

/// Diagnostics go to stderr only, and only when asked for (`--debug` or `P0_LOG`); coloured
/// only on a terminal, and never with `NO_COLOR`.
///
/// Whatever the filter says, other crates get through only up to [`THIRD_PARTY_CAP`]: their
/// debug and trace output is what they parse and send, and that holds secrets p0 never logs
/// itself (html5ever prints the Okta page it tokenizes, SAML assertion and all; the AWS SDK
/// and hyper print requests with Identity Center tokens and device codes). So no `P0_LOG` a
/// user can write, `trace` or `html5ever=trace` alike, shows one.
fn init_diagnostics(debug: bool) {
    use std::io::IsTerminal;
    use tracing_subscriber::layer::{Layer, SubscriberExt};
    use tracing_subscriber::util::SubscriberInitExt;
    let filter = match env::get(env::read::P0_LOG) {
        Some(filter) => filter,
        None if debug => "p0=debug".to_string(),
        None => return,
    };
    let cap = tracing_subscriber::filter::filter_fn(|metadata| {
        is_ours(metadata.target()) || *metadata.level() <= THIRD_PARTY_CAP
    });
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && env::get(env::read::NO_COLOR).is_none())
        .with_target(false)
        .with_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_filter(cap);
    tracing_subscriber::registry().with(layer).init();
}

/// The most verbose level another crate's diagnostics are shown at.
const THIRD_PARTY_CAP: tracing::Level = tracing::Level::INFO;

/// Whether a diagnostic comes from p0's own code (which logs no secrets: they are `Secret`s,
/// URLs are redacted, JSON errors described without values).
fn is_ours(target: &str) -> bool {
    target == "p0" || target.starts_with("p0::")
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_our_own_targets_are_ours() {
        assert!(super::is_ours("p0"));
        assert!(super::is_ours("p0::providers::okta_saml"));
        for theirs in ["html5ever::tokenizer", "aws_smithy_runtime", "p0x", "hyper"] {
            assert!(!super::is_ours(theirs), "{theirs}");
        }
    }
}
