//! The command line, defined once: parsing, `--help` and shell completions all come from these
//! clap definitions. Command bodies live in `crate::commands`.

mod aws;
mod chain;
mod console;
mod docs;
mod eks;
pub mod help;
mod login;
mod rds;
mod request;
mod run_as;
mod status;
pub mod warm;

pub use aws::{
    AwsArgs, AwsCommand, AwsFlags, ConfigureCommand, ConfigureProfileArgs, CredentialProcessArgs,
    PermissionSetCommand, PopulateArgs, RoleCommand,
};
pub use chain::ChainArgs;
pub use console::ConsoleArgs;
#[cfg(test)]
pub use console::SERVICE_NAMES as CONSOLE_SERVICES;
pub use docs::{CompletionShell, ManArgs};
pub use eks::{EksCommand, GetTokenArgs, SourceArgs, UpdateKubeconfigArgs};
pub use login::LoginArgs;
pub use rds::{DbArch, DbAuthTokenArgs, RdsCommand};
pub use request::{LsArgs, RequestArgs};
pub use run_as::{RestartSignal, RunAsArgs};
pub use status::StatusArgs;

use crate::backend::{Backend, Families};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsStr;

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
    /// Open the AWS console as a role, with just-in-time credentials
    Console(ConsoleArgs),
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

/// A tree with only the subcommand `first` (argv\[1\]) names, when it is `run-as` or `aws`,
/// and the global flags. Their warm runs must cost about an exec, and building clap's whole
/// tree (every subcommand, every flag and help text) costs more than the rest of such a run.
/// The quick tree parses what the whole tree parses for that subcommand, since the
/// subcommand is built by the same derive. Its errors, `--help` included, mean nothing: the
/// caller parses again with [`Cli::command`], which alone decides what is printed.
///
/// `words` are the arguments after the program's name. `p0 aws` gets only its
/// `credential-process` subcommand when the words after `aws`
/// holds that word (an SDK runs it many times a day), and only `eks get-token` when they hold
/// both (kubectl runs it for every expired token); the other `aws` subcommands are most
/// of the `aws` tree. Where the word is not the subcommand (a flag's value), this narrow tree
/// refuses the line and the whole tree parses it.
pub fn quick_command<W: AsRef<OsStr>>(words: &[W]) -> Option<clap::Command> {
    let (first, rest) = words.split_first()?;
    let has = |name: &str| rest.iter().any(|word| word.as_ref() == name);
    let sub = match first.as_ref().to_str()? {
        "run-as" => RunAsArgs::augment_args(clap::Command::new("run-as")),
        "aws" if has(CREDENTIAL_PROCESS) => AwsFlags::augment_args(clap::Command::new("aws"))
            .subcommand(CredentialProcessArgs::augment_args(clap::Command::new(
                CREDENTIAL_PROCESS,
            )))
            .subcommand_required(true),
        // `p0 aws eks get-token`: kubectl runs it whenever its token is older than 14 minutes.
        "aws" if has(EKS) && has(GET_TOKEN) => AwsFlags::augment_args(clap::Command::new("aws"))
            .subcommand(
                clap::Command::new(EKS)
                    .subcommand(GetTokenArgs::augment_args(clap::Command::new(GET_TOKEN)))
                    .subcommand_required(true),
            )
            .subcommand_required(true),
        "aws" => AwsArgs::augment_args(clap::Command::new("aws")),
        _ => return None,
    };
    Some(global_flags(clap::Command::new("p0")).subcommand(sub))
}

/// The name clap derives for [`AwsCommand::CredentialProcess`] (a test checks it).
const CREDENTIAL_PROCESS: &str = "credential-process";
/// The names clap derives for [`AwsCommand::Eks`] and [`EksCommand::GetToken`].
const EKS: &str = "eks";
const GET_TOKEN: &str = "get-token";

/// [`Cli`]'s own flags (a test checks they match the derived ones).
fn global_flags(command: clap::Command) -> clap::Command {
    use clap::{Arg, ArgAction};
    command
        .arg(
            Arg::new("debug")
                .long("debug")
                .global(true)
                .action(ArgAction::SetTrue),
        )
        .arg(
            Arg::new("quiet")
                .long("quiet")
                .short('q')
                .global(true)
                .action(ArgAction::SetTrue),
        )
}

/// `p0 --version --verbose` (or `-vV`): the version, the git commit it was built from and the
/// target triple, for bug reports. Clap's `--version` stops parsing where it stands, so the
/// verbose form is recognised here, before clap: only when the words are nothing but these two
/// flags, in either order (`main` prints it; the README's Install section documents it).
pub fn verbose_version<W: AsRef<OsStr>>(words: &[W]) -> Option<&'static str> {
    let (mut version, mut verbose) = (false, false);
    for word in words {
        match word.as_ref().to_str()? {
            "--version" | "-V" => version = true,
            "--verbose" | "-v" => verbose = true,
            "-vV" | "-Vv" => (version, verbose) = (true, true),
            _ => return None,
        }
    }
    (version && verbose).then_some(VERBOSE_VERSION)
}

const VERBOSE_VERSION: &str = concat!(
    "p0 ",
    env!("CARGO_PKG_VERSION"),
    "\ncommit: ",
    env!("P0_BUILD_COMMIT"),
    "\ntarget: ",
    env!("P0_BUILD_TARGET"),
    "\n"
);

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
    use clap::{CommandFactory, FromArgMatches, Parser};

    #[test]
    fn the_verbose_version_names_the_commit_and_target() {
        let text = verbose_version(&["--version", "--verbose"]).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], concat!("p0 ", env!("CARGO_PKG_VERSION")));
        let commit = lines[1].strip_prefix("commit: ").unwrap();
        assert!(
            commit == "unknown"
                || (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
            "{commit}"
        );
        assert!(
            lines[2].starts_with("target: ") && lines[2].contains("-"),
            "{text}"
        );
        for words in [&["--verbose", "--version"][..], &["-vV"], &["-V", "-v"]] {
            assert_eq!(verbose_version(words), Some(text), "{words:?}");
        }
        for words in [
            &["--version"][..],
            &["--verbose"],
            &["run-as", "--version", "--verbose"],
            &[],
        ] {
            assert_eq!(verbose_version(words), None, "{words:?}");
        }
        // The plain form is clap's: the name and version alone.
        let plain = Cli::try_parse_from(["p0", "--version"]).unwrap_err();
        assert_eq!(plain.kind(), clap::error::ErrorKind::DisplayVersion);
        assert_eq!(
            plain.to_string(),
            concat!("p0 ", env!("CARGO_PKG_VERSION"), "\n")
        );
    }

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_quick_tree_has_the_global_flags_of_the_whole_one() {
        let shape = |command: &clap::Command| {
            command
                .get_arguments()
                .filter(|a| a.is_global_set())
                .map(|a| {
                    let long = a.get_long().map(str::to_string);
                    (a.get_id().to_string(), long, a.get_short())
                })
                .collect::<Vec<_>>()
        };
        let quick = quick_command(&["run-as"]).unwrap();
        assert_eq!(shape(&quick), shape(&Cli::command()));
        assert_eq!(shape(&quick).len(), 2);
        assert!(quick_command(&["login"]).is_none());
        assert!(quick_command::<&str>(&[]).is_none());
        // A global flag first: the whole tree parses it.
        assert!(quick_command(&["--debug"]).is_none());
    }

    /// Whatever the quick tree accepts, the whole tree parses to the same thing; whatever it
    /// refuses (help, mistakes) is left to the whole tree.
    #[test]
    fn the_quick_tree_parses_as_the_whole_one() {
        let accepted = [
            &[
                "p0",
                "run-as",
                "--account",
                "prod",
                "--role",
                "Admin",
                "--",
                "true",
            ][..],
            &[
                "p0",
                "run-as",
                "--debug",
                "--role",
                "R",
                "--refresh",
                "--",
                "sh",
                "-c",
                "x",
            ],
            &[
                "p0",
                "run-as",
                "-q",
                "--role",
                "R",
                "--sso",
                "--account",
                "1",
            ],
            &[
                "p0",
                "run-as",
                "--role",
                "R",
                "--fresh-credentials",
                "--region",
                "eu-west-1",
            ],
            &[
                "p0",
                "aws",
                "--account",
                "prod",
                "credential-process",
                "--role",
                "Admin",
            ],
            &[
                "p0",
                "aws",
                "--reason=why",
                "--fresh-credentials",
                "--shell",
                "fish",
                "credential-process",
                "--permission-set",
                "Dev",
                "--no-request",
                "-q",
                "--account",
                "dev",
                "--chain-role-arn",
                "arn:aws:iam::1:role/x",
                "--chain-session-name",
                "s",
            ],
            &["p0", "aws", "credential-process", "--role", "A", "--debug"],
            &["p0", "aws", "role", "assume", "Admin", "--debug"],
            &[
                "p0",
                "aws",
                "permission-set",
                "assume",
                "Dev",
                "--account",
                "dev",
            ],
            &["p0", "aws", "configure", "populate", "--dry-run"],
        ];
        for argv in accepted {
            let quick = quick_command(&argv[1..])
                .unwrap()
                .try_get_matches_from(argv)
                .unwrap_or_else(|e| panic!("{argv:?}: {e}"));
            let quick = Cli::from_arg_matches(&quick).unwrap();
            let whole = Cli::try_parse_from(argv).unwrap();
            assert_eq!(format!("{quick:?}"), format!("{whole:?}"), "{argv:?}");
        }
        let refused = [
            &["p0", "run-as", "--help"][..],
            &["p0", "run-as", "--version"],
            &["p0", "aws"],
            &["p0", "aws", "--help"],
            &["p0", "run-as", "--rol", "R"],
            &["p0", "aws", "credential-process", "--help"],
            &["p0", "aws", "credential-process"],
            &[
                "p0",
                "aws",
                "credential-process",
                "--role",
                "A",
                "--chain-external-id",
                "x",
            ],
            // The word as a flag's value: the narrow tree refuses, the whole one parses.
            &[
                "p0",
                "aws",
                "--reason",
                "credential-process",
                "role",
                "assume",
            ],
        ];
        for argv in refused {
            let quick = quick_command(&argv[1..]).unwrap();
            assert!(quick.try_get_matches_from(argv).is_err(), "{argv:?}");
        }
        assert!(Cli::try_parse_from([
            "p0",
            "aws",
            "--reason",
            "credential-process",
            "role",
            "assume"
        ])
        .is_ok());
    }

    /// The narrow `p0 aws credential-process` tree is the whole tree's, less the other
    /// subcommands: the same name, the same flags at both levels.
    #[test]
    fn the_narrow_aws_tree_has_the_whole_ones_flags() {
        let shape = |command: &clap::Command| {
            // `--version` is the whole tree's alone (propagated to every subcommand): the
            // quick tree refuses it and the whole one answers. The global flags are checked
            // above.
            let mut args = command
                .get_arguments()
                .filter(|a| !["version", "debug", "quiet"].contains(&a.get_id().as_str()))
                .map(|a| format!("{a:?}"))
                .collect::<Vec<_>>();
            args.sort();
            args
        };
        let mut whole = Cli::command();
        whole.build();
        let whole_aws = whole.find_subcommand("aws").unwrap();
        let whole_process = whole_aws.find_subcommand(CREDENTIAL_PROCESS).unwrap();
        let mut quick = quick_command(&["aws", CREDENTIAL_PROCESS]).unwrap();
        quick.build();
        let quick_aws = quick.find_subcommand("aws").unwrap();
        let quick_process = quick_aws.find_subcommand(CREDENTIAL_PROCESS).unwrap();
        let names = |command: &clap::Command| {
            command
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(quick_aws), [CREDENTIAL_PROCESS, "help"]);
        assert_eq!(shape(quick_aws), shape(whole_aws));
        assert_eq!(shape(quick_process), shape(whole_process));

        let whole_eks = whole_aws.find_subcommand(EKS).unwrap();
        let whole_token = whole_eks.find_subcommand(GET_TOKEN).unwrap();
        let mut quick = quick_command(&["aws", EKS, GET_TOKEN]).unwrap();
        quick.build();
        let quick_aws = quick.find_subcommand("aws").unwrap();
        assert_eq!(names(quick_aws), [EKS, "help"]);
        let quick_token = quick_aws
            .find_subcommand(EKS)
            .unwrap()
            .find_subcommand(GET_TOKEN)
            .unwrap();
        assert_eq!(shape(quick_aws), shape(whole_aws));
        assert_eq!(shape(quick_token), shape(whole_token));
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
            assert!(args.flags.refresh_credentials, "{flag}");
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
