use crate::env::read;
use clap::{Args, ValueEnum};
use std::ffi::OsString;

#[derive(Debug, Args)]
#[command(
    about = "Run one command with just-in-time AWS credentials in its environment",
    override_usage = "p0 run-as [--account A] --role R [--reason TEXT] [--no-request] [--region REGION] [--] COMMAND [ARGS...]"
)]
pub struct RunAsArgs {
    /// AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    #[arg(long, env = read::P0_AWS_ACCOUNT)]
    pub account: Option<String>,
    /// IAM role (Okta SAML accounts) or permission set (Identity Center accounts)
    #[arg(long, visible_alias = "permission-set", env = read::P0_AWS_ROLE)]
    pub role: String,
    /// Why you need access (sent with the request)
    #[arg(long, env = read::P0_AWS_REASON)]
    pub reason: Option<String>,
    /// Skip the P0 access request: use access you already have
    #[arg(long)]
    pub no_request: bool,
    /// AWS region for the command (AWS_REGION and AWS_DEFAULT_REGION)
    #[arg(long)]
    pub region: Option<String>,
    /// Fetch new credentials even if cached ones are still valid
    #[arg(long)]
    pub refresh_credentials: bool,

    /// Keep the command supplied with fresh credentials through a local credential endpoint
    #[arg(long, conflicts_with = "restart")]
    pub refresh: bool,
    /// Restart the command with fresh credentials shortly before they expire
    #[arg(long)]
    pub restart: bool,
    /// With --restart: how long before expiry to restart (seconds)
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        requires = "restart"
    )]
    pub restart_margin: u64,
    /// With --restart: the signal that asks the command to stop
    #[arg(long, value_enum, default_value_t = RestartSignal::Term, requires = "restart")]
    pub restart_signal: RestartSignal,
    /// With --restart: seconds to wait after the signal before SIGKILL
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 10,
        requires = "restart"
    )]
    pub restart_grace: u64,

    /// Use AWS IAM Identity Center directly, without P0 (implied by --sso-start-url/--sso-region)
    #[arg(long)]
    pub sso: bool,
    /// Direct Identity Center start URL (default: $AWS_DEFAULT_SSO_START_URL, then ~/.aws/config);
    /// a value that is not a URL is a regex that filters the start URLs in ~/.aws/config
    #[arg(long)]
    pub sso_start_url: Option<String>,
    /// Direct Identity Center region (default: $AWS_DEFAULT_SSO_REGION, then ~/.aws/config)
    #[arg(long)]
    pub sso_region: Option<String>,
    /// Direct Identity Center: log in again even if the cached token is valid
    #[arg(long)]
    pub force_refresh: bool,

    /// The command to run and its arguments
    #[arg(required = true, trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RestartSignal {
    Term,
    Int,
    Hup,
    Quit,
    Usr1,
    Usr2,
}
