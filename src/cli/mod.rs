//! The command line, defined once: parsing, `--help` and shell completions all come from these
//! clap definitions. Command bodies live in `crate::commands`.

mod aws;
mod login;
mod request;
mod run_as;

pub use aws::{AwsArgs, AwsCommand, PermissionSetCommand, RoleCommand, ShellKind};
pub use login::LoginArgs;
pub use request::{LsArgs, RequestArgs};
pub use run_as::{RestartSignal, RunAsArgs};

use clap::{Parser, Subcommand};
use clap_complete::Shell;

#[derive(Debug, Parser)]
#[command(
    name = "p0",
    version,
    about = "Just-in-time AWS credentials from P0 Security, for one command",
    long_about = None,
    propagate_version = true,
    after_help = EXIT_CODES_HELP
)]
pub struct Cli {
    /// Print diagnostics on stderr (never secrets)
    #[arg(long, global = true)]
    pub debug: bool,

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
    #[command(after_help = EXIT_CODES_HELP)]
    RunAs(RunAsArgs),
    /// Print a shell completion script
    Completions {
        /// The shell to complete for
        shell: Shell,
    },
}

/// Hides the `p0 aws` family (`role` or `permission-set`) that none of the org's accounts
/// uses; `families` is `(okta_saml, identity_center)`, `None` when unknown (both shown).
/// Hidden subcommands still parse: the account decides at run time.
pub fn fit_aws_families(command: clap::Command, families: Option<(bool, bool)>) -> clap::Command {
    let Some((okta, idc)) = families else {
        return command;
    };
    command.mut_subcommand("aws", |aws| {
        aws.mut_subcommand("role", |role| role.hide(!okta))
            .mut_subcommand("permission-set", |ps| ps.hide(!idc))
    })
}

/// The exit code table, shown in `--help` and kept identical to the README's.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0     success (run-as: the command's own exit code passes through)
  1     failure; the request errored, expired or was revoked
  2     the access request was denied
  4     the access request did not complete in time
  64    usage error
  69    Okta, Identity Center or STS did not produce credentials
  75    another p0 process held the credential lock too long
  77    a login is needed and there is no terminal to ask on (run `p0 login`)
  126   the command is not executable
  127   the command was not found
  128+n the command (or p0) was killed by signal n; 130 is Ctrl-C";

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    fn aws_help(families: Option<(bool, bool)>) -> String {
        let mut command = fit_aws_families(Cli::command(), families);
        command.build();
        let aws = command.find_subcommand_mut("aws").unwrap();
        aws.render_help().to_string()
    }

    #[test]
    fn aws_help_lists_the_family_that_fits_the_org() {
        let okta_only = aws_help(Some((true, false)));
        assert!(
            okta_only.contains("role") && !okta_only.contains("permission-set"),
            "{okta_only}"
        );
        let idc_only = aws_help(Some((false, true)));
        assert!(
            idc_only.contains("permission-set") && !idc_only.contains("  role"),
            "{idc_only}"
        );
        let unknown = aws_help(None);
        assert!(unknown.contains("role") && unknown.contains("permission-set"));
    }
}
