use super::help;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = help::STATUS_EXAMPLES)]
pub struct StatusArgs {
    /// Print the status as JSON on stdout
    #[arg(long)]
    pub json: bool,
    /// Also verify the P0 session with the server (one authenticated call); exit non-zero
    /// when it is not usable
    #[arg(long)]
    pub check: bool,
}
