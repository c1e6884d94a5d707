//! `p0 aws eks ...`: tokens for Amazon EKS clusters (kubectl's exec plugin), and the flags
//! that choose where the signing credentials come from, shared with
//! `p0 aws rds generate-db-auth-token --hostname ...`.

use super::help;
use super::ChainArgs;
use crate::completion;
use crate::env::read;
use clap::{Args, Subcommand};
use clap_complete::ArgValueCandidates;
use std::path::PathBuf;

pub const EKS_EXAMPLES: &str = "\
Examples:
  p0 aws --account prod eks get-token --cluster-name demo --role Admin
  p0 aws --account prod eks update-kubeconfig --cluster-name demo --role Admin";

pub const GET_TOKEN_EXAMPLES: &str = "\
Examples:
  p0 aws --account prod eks get-token --cluster-name demo --role Admin
  # ~/.kube/config (p0 aws eks update-kubeconfig writes it for you)
  users:
  - name: demo
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        command: p0
        args: [aws, --account, prod, eks, get-token,
               --cluster-name, demo, --role, Admin, --region, us-west-2]
        interactiveMode: IfAvailable";

#[derive(Debug, Subcommand)]
pub enum EksCommand {
    /// Print a token for an EKS cluster as the ExecCredential kubectl reads (as
    /// `aws eks get-token`), signed with just-in-time credentials
    #[command(after_help = GET_TOKEN_EXAMPLES)]
    GetToken(GetTokenArgs),
    /// Write the cluster, user and context of an EKS cluster into a kubeconfig (as
    /// `aws eks update-kubeconfig`), with `p0 aws eks get-token` as the user's exec plugin
    #[command(after_help = UPDATE_KUBECONFIG_EXAMPLES)]
    UpdateKubeconfig(UpdateKubeconfigArgs),
}

pub const UPDATE_KUBECONFIG_EXAMPLES: &str = "\
Examples:
  p0 aws --account prod eks update-kubeconfig --cluster-name demo --role Admin \\
      --region us-west-2 --alias demo
  kubectl --context demo get pods";

/// `p0 aws [--account A] eks update-kubeconfig --cluster-name C --role R [--alias] ...`.
#[derive(Debug, Args)]
pub struct UpdateKubeconfigArgs {
    /// The cluster's name
    #[arg(long, value_name = "NAME")]
    pub cluster_name: String,
    /// The cluster's region (default: $AWS_REGION, then $AWS_DEFAULT_REGION, else us-east-1)
    #[arg(long)]
    pub region: Option<String>,
    /// The context's name (default: the cluster's ARN)
    #[arg(long)]
    pub alias: Option<String>,
    /// The kubeconfig to write (default: the first file of $KUBECONFIG, else ~/.kube/config)
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// IAM role (Okta SAML accounts) or permission set (Identity Center accounts)
    #[arg(
        long,
        visible_alias = "permission-set",
        env = read::P0_AWS_ROLE,
        add = ArgValueCandidates::new(completion::roles)
    )]
    pub role: Option<String>,
    /// Skip the P0 access request: use access you already have
    #[arg(long)]
    pub no_request: bool,
}

/// `p0 aws [--account A] eks get-token --cluster-name C [credential source flags]`.
#[derive(Debug, Args)]
pub struct GetTokenArgs {
    /// The cluster's name (signed into the token as `x-k8s-aws-id`)
    #[arg(long, value_name = "NAME")]
    pub cluster_name: String,
    /// The region of the STS endpoint the token is presigned for (default: $AWS_REGION, then
    /// $AWS_DEFAULT_REGION, else us-east-1)
    #[arg(long)]
    pub region: Option<String>,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// Where the signing credentials come from: the credential sources of `p0 run-as` (P0's
/// account and role, Identity Center directly, web identity, then perhaps a chained role).
/// `--account`, `--reason` and `--fresh-credentials` are `p0 aws`'s own.
#[derive(Debug, Clone, Default, Args)]
pub struct SourceArgs {
    /// IAM role (Okta SAML accounts) or permission set (Identity Center accounts)
    #[arg(
        long,
        visible_alias = "permission-set",
        env = read::P0_AWS_ROLE,
        add = ArgValueCandidates::new(completion::roles)
    )]
    pub role: Option<String>,
    /// Skip the P0 access request: use access you already have
    #[arg(long)]
    pub no_request: bool,
    /// Session duration in seconds (DurationSeconds) for Okta SAML and web identity
    #[arg(long, value_name = "SECONDS")]
    pub duration: Option<i32>,
    #[command(flatten)]
    pub chain: ChainArgs,

    /// Use AWS IAM Identity Center directly, without P0 (implied by --sso-start-url/--sso-region)
    #[arg(long, help_heading = help::DIRECT_IDC)]
    pub sso: bool,
    /// Direct Identity Center start URL (default: $AWS_DEFAULT_SSO_START_URL, then ~/.aws/config)
    #[arg(long, value_name = "URL", help_heading = help::DIRECT_IDC)]
    pub sso_start_url: Option<String>,
    /// Direct Identity Center region (default: $AWS_DEFAULT_SSO_REGION, then ~/.aws/config)
    #[arg(long, value_name = "REGION", help_heading = help::DIRECT_IDC)]
    pub sso_region: Option<String>,
    /// Direct Identity Center: sign in to Identity Center again even if the cached token is valid
    #[arg(long, help_heading = help::STALE)]
    pub force_refresh: bool,

    /// Web identity, without P0 (CI jobs with an OIDC token): assume this role with
    /// AssumeRoleWithWebIdentity (default: $AWS_ROLE_ARN). Not the AWS CLI's `--role-arn`,
    /// which is p0's --chain-role-arn
    #[arg(long, value_name = "ARN", help_heading = help::WEB_IDENTITY)]
    pub role_arn: Option<String>,
    /// Web identity: the file holding the OIDC token (default: $AWS_WEB_IDENTITY_TOKEN_FILE)
    #[arg(long, value_name = "FILE", help_heading = help::WEB_IDENTITY)]
    pub web_identity_token_file: Option<PathBuf>,
    /// Web identity: the session name (default: $AWS_ROLE_SESSION_NAME, else p0)
    #[arg(long, value_name = "NAME", help_heading = help::WEB_IDENTITY)]
    pub role_session_name: Option<String>,
}
