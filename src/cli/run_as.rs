use super::help;
use super::ChainArgs;
use crate::completion;
use crate::env::read;
use clap::{Args, ValueEnum};
use clap_complete::ArgValueCandidates;
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Debug, Args)]
#[command(
    about = "Run one command with just-in-time AWS credentials in its environment",
    long_about = "Run one command with just-in-time AWS credentials in its environment.\n\n\
        With no command, start $SHELL (else /bin/sh) with the credentials; `exit` returns.",
    override_usage = "p0 run-as [--account A] [--role R] [--reason TEXT] [--no-request]\n       [--region REGION] [--chain-role-arn ARN] [--] [COMMAND [ARGS...]]\n       p0 run-as --role-arn ARN --web-identity-token-file FILE\n       [--role-session-name NAME] [--] [COMMAND [ARGS...]]",
    after_help = help::run_as_after_help(),
)]
pub struct RunAsArgs {
    /// AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    #[arg(long, env = read::P0_AWS_ACCOUNT, add = ArgValueCandidates::new(completion::accounts))]
    pub account: Option<String>,
    /// IAM role (Okta SAML accounts) or permission set (Identity Center accounts); without it,
    /// a terminal offers the account's roles to pick from
    #[arg(
        long,
        visible_alias = "permission-set",
        env = read::P0_AWS_ROLE,
        add = ArgValueCandidates::new(completion::roles)
    )]
    pub role: Option<String>,
    /// Why you need access (sent with the request)
    #[arg(long, env = read::P0_AWS_REASON)]
    pub reason: Option<String>,
    /// Skip the P0 access request: use access you already have
    #[arg(long)]
    pub no_request: bool,
    /// AWS region for the command (AWS_REGION and AWS_DEFAULT_REGION)
    #[arg(long)]
    pub region: Option<String>,
    /// Session duration in seconds (DurationSeconds) for Okta SAML and web identity
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<i32>,
    #[command(flatten)]
    pub chain: ChainArgs,

    /// Keep the command supplied with fresh credentials through a local credential endpoint
    #[arg(long, conflicts_with = "restart", help_heading = help::LONG_RUN)]
    pub refresh: bool,
    /// Restart the command with fresh credentials shortly before they expire
    #[arg(long, help_heading = help::LONG_RUN)]
    pub restart: bool,
    /// With --restart: how long before expiry to restart (seconds)
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        requires = "restart",
        help_heading = help::LONG_RUN
    )]
    pub restart_margin: u64,
    /// With --restart: the signal that asks the command to stop
    #[arg(
        long,
        value_enum,
        value_name = "SIGNAL",
        default_value_t = RestartSignal::Term,
        requires = "restart",
        help_heading = help::LONG_RUN
    )]
    pub restart_signal: RestartSignal,
    /// With --restart: seconds to wait after the signal before SIGKILL
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 10,
        requires = "restart",
        help_heading = help::LONG_RUN
    )]
    pub restart_grace: u64,

    /// Fetch new credentials even if cached ones are still valid (skip the cache)
    #[arg(
        long = "fresh-credentials",
        alias = "refresh-credentials",
        help_heading = help::STALE
    )]
    pub refresh_credentials: bool,

    /// Use AWS IAM Identity Center directly, without P0 (implied by --sso-start-url/--sso-region)
    #[arg(long, help_heading = help::DIRECT_IDC)]
    pub sso: bool,
    /// Direct Identity Center start URL (default: $AWS_DEFAULT_SSO_START_URL, then ~/.aws/config);
    /// a value that is not a URL is a regex that filters the start URLs in ~/.aws/config
    #[arg(long, value_name = "URL", help_heading = help::DIRECT_IDC)]
    pub sso_start_url: Option<String>,
    /// Direct Identity Center region (default: $AWS_DEFAULT_SSO_REGION, then ~/.aws/config)
    #[arg(long, value_name = "REGION", help_heading = help::DIRECT_IDC)]
    pub sso_region: Option<String>,
    /// Direct Identity Center: sign in to Identity Center again even if the cached token is valid
    #[arg(long, help_heading = help::STALE)]
    pub force_refresh: bool,

    /// Web identity, without P0 (CI jobs with an OIDC token): assume this role with
    /// AssumeRoleWithWebIdentity (default: $AWS_ROLE_ARN)
    #[arg(long, value_name = "ARN", conflicts_with_all = WITHOUT_P0, help_heading = help::WEB_IDENTITY)]
    pub role_arn: Option<String>,
    /// Web identity: the file holding the OIDC token, read again at every renewal
    /// (default: $AWS_WEB_IDENTITY_TOKEN_FILE)
    #[arg(long, value_name = "FILE", conflicts_with_all = WITHOUT_P0, help_heading = help::WEB_IDENTITY)]
    pub web_identity_token_file: Option<PathBuf>,
    /// Web identity: the session name (default: $AWS_ROLE_SESSION_NAME, else p0)
    #[arg(long, value_name = "NAME", help_heading = help::WEB_IDENTITY)]
    pub role_session_name: Option<String>,

    /// The command to run and its arguments (none: start $SHELL with the credentials). A word
    /// starting with `-` is an option of p0's until `--`.
    #[arg(trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,
}

/// Flags of P0 or direct Identity Center that web identity has no use for. (`--account`,
/// `--role` and `--reason` may come from the environment, which clap counts as given: the plan
/// refuses them only when typed.)
const WITHOUT_P0: [&str; 5] = [
    "no_request",
    "sso",
    "sso_start_url",
    "sso_region",
    "force_refresh",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RestartSignal {
    Term,
    Int,
    Hup,
    Quit,
    Usr1,
    Usr2,
}
