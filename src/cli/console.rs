use super::help;
use super::{ChainArgs, RestartSignal, RunAsArgs};
use crate::completion;
use crate::env::read;
use clap::Args;
use clap_complete::ArgValueCandidates;
use std::path::PathBuf;

/// `p0 console`: the AWS Management Console for a role, signed in with just-in-time
/// credentials through the partition's sign-in federation endpoint.
#[derive(Debug, Args)]
#[command(
    about = "Open the AWS console as a role, with just-in-time credentials",
    long_about = "Open the AWS Management Console as a role, with just-in-time credentials.\n\n\
        The credentials come as for `p0 run-as` (the P0 request and its approval first, cached \
        credentials when still valid); AWS sign-in turns them into a sign-in URL, valid for 15 \
        minutes. That URL is a credential: anyone holding it can sign in as the role.",
    override_usage = "p0 console [--account A] [--role R] [--reason TEXT] [--no-request]\n       [--region REGION] [--service NAME | --destination URL]\n       [--duration SECONDS] [--url] [--no-browser]",
    after_help = help::console_after_help(),
)]
pub struct ConsoleArgs {
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
    /// The console's region (default: $AWS_REGION, then $AWS_DEFAULT_REGION)
    #[arg(long)]
    pub region: Option<String>,
    /// Open this service's console page
    #[arg(long, value_name = "NAME", value_parser = clap::builder::PossibleValuesParser::new(SERVICE_NAMES), conflicts_with = "destination")]
    pub service: Option<String>,
    /// Open this console URL (of the role's partition) instead of the console's home
    #[arg(long, value_name = "URL")]
    pub destination: Option<String>,
    /// How long the console session lasts, 900 to 43200 seconds (SessionDuration; not for a
    /// chained role). Default: as AWS sign-in decides
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<u32>,
    /// Print only the sign-in URL on stdout (for scripts) instead of opening a browser
    #[arg(long, conflicts_with = "no_browser")]
    pub url: bool,
    /// Print the sign-in URL on stderr instead of opening a browser (also P0_NO_BROWSER=1)
    #[arg(long)]
    pub no_browser: bool,
    #[command(flatten)]
    pub chain: ChainArgs,

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

    /// Web identity, without P0: assume this role with AssumeRoleWithWebIdentity (default:
    /// $AWS_ROLE_ARN)
    #[arg(long, value_name = "ARN", conflicts_with_all = WITHOUT_P0, help_heading = help::WEB_IDENTITY)]
    pub role_arn: Option<String>,
    /// Web identity: the file holding the OIDC token (default: $AWS_WEB_IDENTITY_TOKEN_FILE)
    #[arg(long, value_name = "FILE", conflicts_with_all = WITHOUT_P0, help_heading = help::WEB_IDENTITY)]
    pub web_identity_token_file: Option<PathBuf>,
    /// Web identity: the session name (default: $AWS_ROLE_SESSION_NAME, else p0)
    #[arg(long, value_name = "NAME", help_heading = help::WEB_IDENTITY)]
    pub role_session_name: Option<String>,
}

/// As for `run-as`: flags of P0 or direct Identity Center that web identity has no use for.
const WITHOUT_P0: [&str; 5] = [
    "no_request",
    "sso",
    "sso_start_url",
    "sso_region",
    "force_refresh",
];

/// The names `--service` takes (the console paths are in `commands::console`).
pub const SERVICE_NAMES: &[&str] = &[
    "billing",
    "cloudformation",
    "cloudtrail",
    "cloudwatch",
    "dynamodb",
    "ec2",
    "ecr",
    "ecs",
    "eks",
    "iam",
    "kms",
    "lambda",
    "logs",
    "organizations",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "vpc",
];

impl ConsoleArgs {
    /// The credential source flags as `run-as` has them, so the console takes the same plan
    /// (`Plan::offline_run_as`): its `--duration` is the console session's, not STS's, and it runs
    /// no command.
    pub fn credential_args(&self) -> RunAsArgs {
        RunAsArgs {
            account: self.account.clone(),
            role: self.role.clone(),
            reason: self.reason.clone(),
            no_request: self.no_request,
            region: self.region.clone(),
            duration: None,
            chain: self.chain.clone(),
            refresh: false,
            restart: false,
            restart_margin: 0,
            restart_signal: RestartSignal::Term,
            restart_grace: 0,
            refresh_credentials: self.refresh_credentials,
            sso: self.sso,
            sso_start_url: self.sso_start_url.clone(),
            sso_region: self.sso_region.clone(),
            force_refresh: self.force_refresh,
            role_arn: self.role_arn.clone(),
            web_identity_token_file: self.web_identity_token_file.clone(),
            role_session_name: self.role_session_name.clone(),
            command: Vec::new(),
        }
    }
}
