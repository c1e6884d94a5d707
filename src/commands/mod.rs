//! One file per subcommand; each takes its parsed arguments and returns the exit code.

mod aws;

use crate::cli::{Cli, Command};
use crate::error::{Error, Result};

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Login(_) => Err(Error::NotImplemented("login")),
        Command::Logout => Err(Error::NotImplemented("logout")),
        Command::Request(_) => Err(Error::NotImplemented("request")),
        Command::Ls(_) => Err(Error::NotImplemented("ls")),
        Command::Aws(args) => aws::run(args),
        Command::RunAs(_) => Err(Error::NotImplemented("run-as")),
        Command::Completions { .. } => Err(Error::NotImplemented("completions")),
    }
}
