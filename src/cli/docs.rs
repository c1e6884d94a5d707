use super::help;
use clap::{Args, ValueEnum};

/// The shells `p0 completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
    /// Flags and subcommands only: no account or role values
    Nushell,
}

#[derive(Debug, Args)]
#[command(after_help = help::MAN_EXAMPLES)]
pub struct ManArgs {
    /// Write every page (p0.1, p0-run-as.1, ...) into this directory instead of printing p0.1
    #[arg(long, value_name = "DIR")]
    pub dir: Option<std::path::PathBuf>,
}
