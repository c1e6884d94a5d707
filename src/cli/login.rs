use super::help;
use clap::Args;

#[derive(Debug, Args)]
#[command(after_help = help::LOGIN_EXAMPLES)]
pub struct LoginArgs {
    /// The organization (default: $P0_ORG, then the one you are logged in to)
    pub org: Option<String>,
    /// Sign in again even if the current session is still valid
    #[arg(long = "force", alias = "refresh", help_heading = help::STALE)]
    pub refresh: bool,
    /// Print the sign-in link instead of opening a browser (also P0_NO_BROWSER=1)
    #[arg(long)]
    pub no_browser: bool,
}
