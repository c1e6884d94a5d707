//! The command line, defined once: parsing, `--help` and shell completions all come from these
//! clap definitions. Command bodies live in `crate::commands`.

mod aws;
mod chain;
mod docs;
pub mod help;
mod login;
mod request;
mod run_as;
mod status;

pub use aws::{
    AwsArgs, AwsCommand, ConfigureCommand, ConfigureProfileArgs, CredentialProcessArgs,
    PermissionSetCommand, PopulateArgs, RoleCommand,
};
pub use chain::ChainArgs;
pub use docs::{CompletionShell, ManArgs};
pub use login::LoginArgs;
pub use request::{LsArgs, RequestArgs};
pub use run_as::{RestartSignal, RunAsArgs};
pub use status::StatusArgs;

use crate::backend::{Backend, Families};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "p0",
    version,
    about = "Just-in-time AWS credentials from P0 Security, for one command",
    long_about = None,
    propagate_version = true,
    max_term_width = 80,
    after_help = help::root_after_help()
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
    #[command(after_help = help::LOGOUT_EXAMPLES)]
    Logout,
    /// Request access through P0
    Request(RequestArgs),
    /// List what you can request
    Ls(LsArgs),
    /// AWS credentials as shell exports, profiles or credential_process
    Aws(AwsArgs),
    /// Run one command with just-in-time AWS credentials in its environment
    RunAs(RunAsArgs),
    /// Show the session, sign-ins, cached credentials and locks (no network call)
    Status(StatusArgs),
    /// Print a shell completion script
    #[command(after_help = help::COMPLETIONS_EXAMPLES)]
    Completions {
        /// The shell to complete for
        shell: CompletionShell,
    },
    /// Print the manual page (roff), generated from these same definitions
    Man(ManArgs),
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
    use clap::{CommandFactory, Parser};

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

    fn help_of(path: &[&str]) -> String {
        let mut command = Cli::command();
        command.build();
        let mut sub = &mut command;
        for name in path {
            sub = sub.find_subcommand_mut(name).unwrap();
        }
        sub.render_long_help().to_string()
    }

    #[test]
    fn the_old_flag_names_still_parse_but_are_not_shown() {
        let parse = |args: &[&str]| Cli::try_parse_from(args).unwrap().command;
        for flag in ["--fresh-credentials", "--refresh-credentials"] {
            let Command::RunAs(args) = parse(&["p0", "run-as", "--role", "A", flag, "--", "x"])
            else {
                panic!("run-as")
            };
            assert!(args.refresh_credentials && !args.refresh, "{flag}");
            let Command::Aws(args) = parse(&["p0", "aws", flag, "role", "assume", "A"]) else {
                panic!("aws")
            };
            assert!(args.refresh_credentials, "{flag}");
        }
        for flag in ["--force", "--refresh"] {
            let Command::Login(args) = parse(&["p0", "login", flag]) else {
                panic!("login")
            };
            assert!(args.refresh, "{flag}");
        }
        let run_as = help_of(&["run-as"]);
        assert!(run_as.contains("--fresh-credentials"), "{run_as}");
        assert!(!run_as.contains("--refresh-credentials"), "{run_as}");
        let login = help_of(&["login"]);
        assert!(
            login.contains("--force") && !login.contains("--refresh"),
            "{login}"
        );
    }

    #[test]
    fn help_groups_the_flags_by_what_they_are_for() {
        let run_as = help_of(&["run-as"]);
        let section = |heading: &str| {
            // Its lines, up to the next heading (a line not indented).
            let start = run_as.find(&format!("{heading}:\n")).expect(heading);
            run_as[start..]
                .lines()
                .skip(1)
                .take_while(|line| line.is_empty() || line.starts_with(' '))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let long_run = section(help::LONG_RUN);
        for flag in [
            "--refresh",
            "--restart",
            "--restart-margin",
            "--restart-grace",
        ] {
            assert!(long_run.contains(flag), "{flag} not under {long_run}");
        }
        let stale = section(help::STALE);
        for flag in ["--fresh-credentials", "--force-refresh"] {
            assert!(stale.contains(flag), "{flag} not under {stale}");
        }
    }

    /// Every command (and every group of commands) shows at least one example.
    #[test]
    fn every_command_has_an_example() {
        fn visit(command: &clap::Command, path: &str) {
            if command.get_name() == "help" {
                return;
            }
            let after = command
                .get_after_help()
                .map(ToString::to_string)
                .unwrap_or_default();
            assert!(after.contains("Examples:\n  "), "{path} has no example");
            for sub in command.get_subcommands() {
                visit(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        let mut command = Cli::command();
        command.build();
        visit(&command, "p0");
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
