//! `p0 completions SHELL`: completion scripts derived from the same clap definitions that
//! parse the command line, so they cannot drift from the real flags.

use crate::cli::Cli;
use clap::CommandFactory;
use clap_complete::Shell;

pub fn run(shell: Shell) -> crate::error::Result<u8> {
    crate::output::stdout(&script(shell))?;
    Ok(0)
}

pub fn script(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "p0", &mut out);
    String::from_utf8(out).expect("completion scripts are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The scripts shipped in completions/ are the generated ones (regenerate with
    /// `scripts/completions` after changing a flag).
    #[test]
    fn shipped_completions_match_the_cli() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
        for (shell, file) in [
            (Shell::Bash, "p0.bash"),
            (Shell::Zsh, "_p0"),
            (Shell::Fish, "p0.fish"),
            (Shell::PowerShell, "_p0.ps1"),
        ] {
            let shipped = std::fs::read_to_string(dir.join(file))
                .unwrap_or_else(|e| panic!("completions/{file}: {e}; run scripts/completions"));
            assert!(
                shipped == script(shell),
                "completions/{file} is stale; run scripts/completions"
            );
        }
    }

    #[test]
    fn every_subcommand_is_completed() {
        let bash = script(Shell::Bash);
        for word in [
            "login",
            "logout",
            "request",
            "run-as",
            "permission-set",
            "credential-process",
        ] {
            assert!(bash.contains(word), "{word} missing from bash completions");
        }
    }
}
