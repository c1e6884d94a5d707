//! The command line, defined once: parsing, `--help` and shell completions all come from these
//! clap definitions. Command bodies live in `crate::commands`.

mod aws;
mod chain;
mod login;
mod request;
mod run_as;

pub use aws::{AwsArgs, AwsCommand, PermissionSetCommand, RoleCommand};
pub use chain::ChainArgs;
pub use login::LoginArgs;
pub use request::{LsArgs, RequestArgs};
pub use run_as::{RestartSignal, RunAsArgs};

use crate::backend::{Backend, Families};
use clap::{Parser, Subcommand};
use clap_complete::Shell;

#[derive(Debug, Parser)]
#[command(
    name = "p0",
    version,
    about = "Just-in-time AWS credentials from P0 Security, for one command",
    long_about = None,
    propagate_version = true,
    after_help = crate::error::exit::help()
)]
pub struct Cli {
    /// Print diagnostics on stderr (never secrets)
    #[arg(long, global = true)]
    pub debug: bool,
    /// Print no status lines (warnings, prompts and errors still appear)
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in to a P0 organization (Okta device authorization)
    Login(LoginArgs),
    /// Forget the stored identity, tenant config and cached credentials
    Logout,
    /// Request access through P0
    Request(RequestArgs),
    /// List what you can request
    Ls(LsArgs),
    /// Get AWS credentials as shell exports
    Aws(AwsArgs),
    /// Run one command with just-in-time AWS credentials in its environment
    #[command(after_help = crate::error::exit::help())]
    RunAs(RunAsArgs),
    /// Print a shell completion script
    Completions {
        /// The shell to complete for
        shell: Shell,
    },
}

/// Hides the `p0 aws` families none of the org's accounts uses; `None` when unknown (all
/// shown). Hidden subcommands still parse: the account decides at run time.
pub fn fit_aws_families(command: clap::Command, families: Option<Families>) -> clap::Command {
    let Some(families) = families else {
        return command;
    };
    command.mut_subcommand("aws", |mut aws| {
        for backend in Backend::ALL {
            aws = aws.mut_subcommand(backend.subcommand(), |sub| {
                sub.hide(!families.contains(backend))
            });
        }
        aws
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    fn aws_help(families: Option<Families>) -> String {
        let mut command = fit_aws_families(Cli::command(), families);
        command.build();
        let aws = command.find_subcommand_mut("aws").unwrap();
        aws.render_help().to_string()
    }

    #[test]
    fn aws_help_lists_the_family_that_fits_the_org() {
        let okta_only = aws_help(Some(Families::from_iter([Backend::OktaSaml])));
        assert!(
            okta_only.contains("role") && !okta_only.contains("permission-set"),
            "{okta_only}"
        );
        let idc_only = aws_help(Some(Families::from_iter([Backend::IdentityCenter])));
        assert!(
            idc_only.contains("permission-set") && !idc_only.contains("  role"),
            "{idc_only}"
        );
        let unknown = aws_help(None);
        assert!(unknown.contains("role") && unknown.contains("permission-set"));
    }
}
