//! `p0 run-as --account A --role R` with no command: the user's shell (`$SHELL`, else
//! `/bin/sh`) with the credentials, as aws-vault does. It is an ordinary run-as child: `p0`
//! becomes it (or supervises it under `--refresh`), `P0_RUN_AS` marks it (for prompts, and for
//! nesting), and `exit` returns with the shell's exit code.

use crate::cli::RunAsArgs;
use crate::env;
use crate::error::{Error, Result};
use crate::launch;
use crate::output::Printer;
use std::io::IsTerminal;

/// The shell when `$SHELL` is unset or empty.
const DEFAULT_SHELL: &str = "/bin/sh";

/// Whether `args` asks for a subshell (no command given).
pub fn wanted(args: &RunAsArgs) -> bool {
    args.command.is_empty()
}

/// `--restart` would stop and start the shell again before the credentials expire, throwing
/// away whatever the user had in it (history, variables, a half-typed command, the running
/// job): refused, with the flag that does suit a long-lived shell.
pub fn check_mode(args: &RunAsArgs) -> Result<()> {
    if args.restart {
        return Err(Error::Usage(
            "--restart needs a command: restarting an interactive shell would lose its\n\
             state. For a subshell that outlives its credentials use --refresh (its AWS\n\
             tools then renew through a local endpoint)."
                .into(),
        ));
    }
    Ok(())
}

/// The shell to start.
pub fn shell() -> launch::Command {
    let program = env::get_os(env::read::SHELL).unwrap_or_else(|| DEFAULT_SHELL.into());
    launch::Command {
        program,
        args: Vec::new(),
    }
}

/// One line on stderr, when a human is at the terminal, before the shell starts.
pub fn announce(printer: &Printer, shell: &launch::Command, account: &str, role: &str) {
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return;
    }
    printer.status(&format!(
        "p0: starting {} with {account}/{role}; exit to return",
        shell.program.to_string_lossy()
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_restart_refusal_fits_80_columns() {
        let Error::Usage(text) = check_mode_restart() else {
            panic!("a usage error")
        };
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{text}");
        assert!(text.contains("--refresh"));
    }

    fn check_mode_restart() -> Error {
        use clap::Parser;
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: RunAsArgs,
        }
        let wrapper = Wrapper::try_parse_from(["p0", "--role", "Admin", "--restart"]).unwrap();
        assert!(wanted(&wrapper.args));
        check_mode(&wrapper.args).unwrap_err()
    }
}
