use super::help;
use super::ChainArgs;
use crate::completion;
use crate::env::read;
use crate::output::exports::ShellKind;
use clap::{Args, Subcommand};
use clap_complete::ArgValueCandidates;

#[derive(Debug, Args)]
#[command(after_help = help::AWS_EXAMPLES)]
pub struct AwsArgs {
    #[command(flatten)]
    pub flags: AwsFlags,

    #[command(subcommand)]
    pub command: AwsCommand,
}

/// The flags of `p0 aws` itself (global to its subcommands), apart from the subcommands so that
/// the quick tree of `p0 aws credential-process` can be built without the others.
#[derive(Debug, Args)]
pub struct AwsFlags {
    /// AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    #[arg(
        long,
        global = true,
        env = read::P0_AWS_ACCOUNT,
        add = ArgValueCandidates::new(completion::accounts)
    )]
    pub account: Option<String>,
    /// Why you need access (sent with the request)
    #[arg(long, global = true, env = read::P0_AWS_REASON)]
    pub reason: Option<String>,
    /// Export syntax of `assume` (default: from $SHELL)
    #[arg(long, global = true, value_enum)]
    pub shell: Option<ShellKind>,
    /// Fetch new credentials even if cached ones are still valid (skip the cache)
    #[arg(
        long = "fresh-credentials",
        alias = "refresh-credentials",
        global = true,
        help_heading = help::STALE
    )]
    pub refresh_credentials: bool,
}

#[derive(Debug, Subcommand)]
pub enum AwsCommand {
    /// IAM roles through Okta SAML
    #[command(after_help = help::ROLE_ASSUME_EXAMPLES)]
    Role {
        #[command(subcommand)]
        command: RoleCommand,
    },
    /// Permission sets through AWS IAM Identity Center
    #[command(after_help = help::PERMISSION_SET_ASSUME_EXAMPLES)]
    PermissionSet {
        #[command(subcommand)]
        command: PermissionSetCommand,
    },
    /// Act as an AWS credential_process (for ~/.aws/config profiles): the credentials as the
    /// JSON AWS SDKs read, on stdout; anything for a human on the terminal only
    #[command(after_help = help::CREDENTIAL_PROCESS_EXAMPLES)]
    CredentialProcess(CredentialProcessArgs),
    /// Tokens for Amazon EKS clusters (kubectl), signed with just-in-time credentials
    #[command(after_help = super::eks::EKS_EXAMPLES)]
    Eks {
        #[command(subcommand)]
        command: super::EksCommand,
    },
    /// IAM authentication tokens for RDS databases, signed with just-in-time credentials
    #[command(after_help = super::rds::GENERATE_DB_AUTH_TOKEN_EXAMPLES)]
    Rds {
        #[command(subcommand)]
        command: super::RdsCommand,
    },
    /// Write profiles into the AWS config file whose credentials come from p0
    #[command(after_help = help::CONFIGURE_EXAMPLES)]
    Configure {
        #[command(subcommand)]
        command: ConfigureCommand,
    },
}

/// `p0 aws [--account A] [--reason TEXT] credential-process --role R`.
#[derive(Debug, Args)]
pub struct CredentialProcessArgs {
    /// The role (Okta SAML) or permission set (Identity Center)
    #[arg(
        long,
        visible_alias = "permission-set",
        add = ArgValueCandidates::new(completion::roles)
    )]
    pub role: String,
    /// Never file a P0 request: fail unless the role is granted already
    #[arg(long)]
    pub no_request: bool,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Subcommand)]
pub enum ConfigureCommand {
    /// Write (or update in place) one profile whose credential_process is this p0
    #[command(after_help = help::CONFIGURE_EXAMPLES)]
    Profile(ConfigureProfileArgs),
    /// Write a profile for every account and role you can request (what `p0 ls` lists)
    #[command(after_help = help::CONFIGURE_EXAMPLES)]
    Populate(PopulateArgs),
}

#[derive(Debug, Args)]
pub struct ConfigureProfileArgs {
    /// The profile's name: `[profile NAME]`, used as `aws --profile NAME`
    pub name: String,
    /// The role (Okta SAML) or permission set (Identity Center)
    #[arg(
        long,
        visible_alias = "permission-set",
        add = ArgValueCandidates::new(completion::roles)
    )]
    pub role: String,
    /// The profile's region
    #[arg(long)]
    pub region: Option<String>,
    /// Print the change as a unified diff on stdout instead of writing it
    #[arg(long)]
    pub dry_run: bool,
    // With --chain-role-arn: a linked pair, NAME (role_arn, source_profile) and NAME-p0-base
    // (credential_process); the AWS CLI and SDKs chain the role themselves.
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Debug, Args)]
pub struct PopulateArgs {
    /// Put this before every profile name
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// The profiles' region
    #[arg(long)]
    pub region: Option<String>,
    /// Print the change as a unified diff on stdout instead of writing it
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Print shell exports for the role's temporary credentials
    #[command(after_help = help::ROLE_ASSUME_EXAMPLES)]
    Assume {
        /// The role name (with its path, if any); without it, a terminal offers the account's
        /// roles to pick from
        #[arg(add = ArgValueCandidates::new(completion::okta_roles))]
        role: Option<String>,
        /// Make a P0 access request first (the default)
        #[arg(long, overrides_with = "no_request")]
        request: bool,
        /// Skip the access request: use access you already have
        #[arg(long)]
        no_request: bool,
        /// Session duration in seconds (DurationSeconds)
        #[arg(long, value_name = "SECONDS")]
        duration: Option<i32>,
        /// Store the credentials as profile NAME of the shared credentials file instead of
        /// printing exports
        #[arg(long, value_name = "NAME")]
        write_profile: Option<String>,
        #[command(flatten)]
        chain: ChainArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum PermissionSetCommand {
    /// Print shell exports for the permission set's temporary credentials
    #[command(after_help = help::PERMISSION_SET_ASSUME_EXAMPLES)]
    Assume {
        /// The permission set name; without it, a terminal offers the account's permission sets
        /// to pick from
        #[arg(add = ArgValueCandidates::new(completion::permission_sets))]
        permission_set: Option<String>,
        /// Store the credentials as profile NAME of the shared credentials file instead of
        /// printing exports
        #[arg(long, value_name = "NAME")]
        write_profile: Option<String>,
        #[command(flatten)]
        chain: ChainArgs,
    },
}
