//! One file per subcommand; each takes its parsed arguments and returns the exit code.

mod aws;
mod login;
mod logout;
mod ls;
mod request;
mod run_as;

use crate::cli::{Cli, Command};
use crate::error::Result;

mod completions;

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Login(args) => login::run(args),
        Command::Logout => logout::run(),
        Command::Request(args) => request::run(args),
        Command::Ls(args) => ls::run(args),
        Command::Aws(args) => aws::run(args),
        Command::RunAs(args) => run_as::run(args),
        Command::Completions { shell } => Ok(completions::run(shell)),
    }
}
