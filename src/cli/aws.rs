use super::ChainArgs;
use crate::env::read;
use crate::output::exports::ShellKind;
use clap::{Args, Subcommand};

#[derive(Debug, Args)]
pub struct AwsArgs {
    /// AWS account id or label (default: $P0_AWS_ACCOUNT, or the only installed account)
    #[arg(long, global = true, env = read::P0_AWS_ACCOUNT)]
    pub account: Option<String>,
    /// Why you need access (sent with the request)
    #[arg(long, global = true, env = read::P0_AWS_REASON)]
    pub reason: Option<String>,
    /// Export syntax (default: from $SHELL)
    #[arg(long, global = true, value_enum)]
    pub shell: Option<ShellKind>,
    /// Fetch new credentials even if cached ones are still valid
    #[arg(long, global = true)]
    pub refresh_credentials: bool,

    #[command(subcommand)]
    pub command: AwsCommand,
}

#[derive(Debug, Subcommand)]
pub enum AwsCommand {
    /// IAM roles through Okta SAML
    Role {
        #[command(subcommand)]
        command: RoleCommand,
    },
    /// Permission sets through AWS IAM Identity Center
    PermissionSet {
        #[command(subcommand)]
        command: PermissionSetCommand,
    },
    /// Act as an AWS credential_process (for ~/.aws/config profiles)
    CredentialProcess {
        /// The role (Okta SAML) or permission set (Identity Center)
        #[arg(long, visible_alias = "permission-set")]
        role: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum RoleCommand {
    /// Print shell exports for the role's temporary credentials
    Assume {
        /// The role name (with its path, if any); without it, a terminal offers the account's
        /// roles to pick from
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
        #[command(flatten)]
        chain: ChainArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum PermissionSetCommand {
    /// Print shell exports for the permission set's temporary credentials
    Assume {
        /// The permission set name; without it, a terminal offers the account's permission sets
        /// to pick from
        permission_set: Option<String>,
        #[command(flatten)]
        chain: ChainArgs,
    },
}
