//! The command line as the warm-path front end reads it (`crate::front`), without clap: only
//! the forms a warm `run-as`, `aws credential-process` or `aws eks get-token` takes. Whatever it does not accept
//! (other commands, flags a warm run never takes, help, mistakes, a value that looks like a
//! flag, a flag given twice) it leaves to the whole program, which parses with clap and answers
//! as always. So it may refuse more than clap, never accept differently: a test parses every
//! form it accepts with the whole tree and compares the results.

use super::{
    AwsArgs, AwsCommand, AwsFlags, ChainArgs, Cli, Command, CredentialProcessArgs, EksCommand,
    GetTokenArgs, RestartSignal, RunAsArgs, SourceArgs,
};
use crate::env::read;
use std::ffi::{OsStr, OsString};

/// `words` are the arguments after the program's name; `env` reads the environment (the
/// variables clap takes a flag's default from).
pub fn parse(words: &[OsString], env: impl Fn(&str) -> Option<OsString>) -> Option<Cli> {
    let mut words = Words {
        rest: words,
        quiet: false,
    };
    let command = match words.next_str()? {
        "run-as" => Command::RunAs(run_as(&mut words, &env)?),
        "aws" => Command::Aws(credential_process(&mut words, &env)?),
        _ => return None,
    };
    Some(Cli {
        debug: false,
        quiet: words.quiet,
        command,
    })
}

/// `run-as [--account A] [--role R] [--reason TEXT] [--region REGION] [chain flags] [--]
/// COMMAND [ARGS...]`, the command required (a subshell is not a warm run's).
fn run_as(words: &mut Words, env: &impl Fn(&str) -> Option<OsString>) -> Option<RunAsArgs> {
    let mut flags = Flags::default();
    let command = loop {
        let word = words.peek()?;
        if word == "--" {
            words.rest = &words.rest[1..];
            break words.rest.to_vec();
        }
        if !word.to_str()?.starts_with('-') {
            // clap's trailing_var_arg: the first value starts the command, which takes the rest.
            break words.rest.to_vec();
        }
        let (name, value) = words.flag()?;
        match name {
            "--account" => set(&mut flags.account, value?)?,
            "--role" | "--permission-set" => set(&mut flags.role, value?)?,
            "--reason" => set(&mut flags.reason, value?)?,
            "--region" => set(&mut flags.region, value?)?,
            "--chain-role-arn" => set(&mut flags.chain.chain_role_arn, value?)?,
            "--chain-session-name" => set(&mut flags.chain.chain_session_name, value?)?,
            "--chain-external-id" => set(&mut flags.chain.chain_external_id, value?)?,
            "--quiet" if value.is_none() => {}
            _ => return None,
        }
    };
    if command.is_empty() || !flags.chain_is_whole() {
        return None;
    }
    Some(RunAsArgs {
        account: flags.account.or(from_env(env, read::P0_AWS_ACCOUNT)?),
        role: flags.role.or(from_env(env, read::P0_AWS_ROLE)?),
        reason: flags.reason.or(from_env(env, read::P0_AWS_REASON)?),
        no_request: false,
        region: flags.region,
        duration: None,
        chain: flags.chain,
        refresh: false,
        restart: false,
        restart_margin: 300,
        restart_signal: RestartSignal::Term,
        restart_grace: 10,
        refresh_credentials: false,
        sso: false,
        sso_start_url: None,
        sso_region: None,
        force_refresh: false,
        role_arn: None,
        web_identity_token_file: None,
        role_session_name: None,
        command,
    })
}

/// `aws [--account A] [--reason TEXT] credential-process --role R [--no-request] [chain
/// flags]`, or `aws ... eks get-token --cluster-name C [--region REGION] [--role R]
/// [--no-request] [chain flags]`, `aws`'s own flags before or after the subcommand (they are
/// global to it).
fn credential_process(
    words: &mut Words,
    env: &impl Fn(&str) -> Option<OsString>,
) -> Option<AwsArgs> {
    #[derive(PartialEq)]
    enum Sub {
        None,
        CredentialProcess,
        Eks,
        GetToken,
    }
    let mut flags = Flags::default();
    let mut sub = Sub::None;
    let mut no_request = false;
    let mut cluster_name = None;
    while let Some(word) = words.peek() {
        let next = match (&sub, word.to_str()) {
            (Sub::None, Some("credential-process")) => Some(Sub::CredentialProcess),
            (Sub::None, Some("eks")) => Some(Sub::Eks),
            (Sub::Eks, Some("get-token")) => Some(Sub::GetToken),
            _ => None,
        };
        if let Some(next) = next {
            sub = next;
            words.rest = &words.rest[1..];
            continue;
        }
        let (name, value) = words.flag()?;
        let in_sub = matches!(sub, Sub::CredentialProcess | Sub::GetToken);
        match (name, in_sub) {
            ("--account", _) if sub != Sub::Eks => set(&mut flags.account, value?)?,
            ("--reason", _) if sub != Sub::Eks => set(&mut flags.reason, value?)?,
            ("--quiet", _) if value.is_none() => {}
            ("--role" | "--permission-set", true) => set(&mut flags.role, value?)?,
            ("--no-request", true) if value.is_none() && !no_request => no_request = true,
            ("--chain-role-arn", true) => set(&mut flags.chain.chain_role_arn, value?)?,
            ("--chain-session-name", true) => set(&mut flags.chain.chain_session_name, value?)?,
            ("--chain-external-id", true) => set(&mut flags.chain.chain_external_id, value?)?,
            ("--cluster-name", true) if sub == Sub::GetToken => set(&mut cluster_name, value?)?,
            ("--region", true) if sub == Sub::GetToken => set(&mut flags.region, value?)?,
            _ => return None,
        }
    }
    if !flags.chain_is_whole() {
        return None;
    }
    let aws_flags = AwsFlags {
        account: flags.account.or(from_env(env, read::P0_AWS_ACCOUNT)?),
        reason: flags.reason.or(from_env(env, read::P0_AWS_REASON)?),
        shell: None,
        refresh_credentials: false,
    };
    let command = match sub {
        Sub::CredentialProcess => AwsCommand::CredentialProcess(CredentialProcessArgs {
            role: flags.role?,
            no_request,
            chain: flags.chain,
        }),
        Sub::GetToken => AwsCommand::Eks {
            command: EksCommand::GetToken(GetTokenArgs {
                cluster_name: cluster_name?,
                region: flags.region,
                source: SourceArgs {
                    role: flags.role.or(from_env(env, read::P0_AWS_ROLE)?),
                    no_request,
                    chain: flags.chain,
                    ..SourceArgs::default()
                },
            }),
        },
        Sub::None | Sub::Eks => return None,
    };
    Some(AwsArgs {
        flags: aws_flags,
        command,
    })
}

#[derive(Default)]
struct Flags {
    account: Option<String>,
    role: Option<String>,
    reason: Option<String>,
    region: Option<String>,
    chain: ChainArgs,
}

impl Flags {
    /// clap requires `--chain-role-arn` beside the other chain flags.
    fn chain_is_whole(&self) -> bool {
        self.chain.chain_role_arn.is_some()
            || (self.chain.chain_session_name.is_none() && self.chain.chain_external_id.is_none())
    }
}

/// Sets a flag's value once: a second one is clap's to refuse.
fn set(slot: &mut Option<String>, value: String) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// A flag's default from the environment: `Some(None)` when unset, `None` (leave it to clap)
/// when set but empty or not UTF-8, whose handling is clap's.
fn from_env(env: &impl Fn(&str) -> Option<OsString>, name: &str) -> Option<Option<String>> {
    match env(name) {
        None => Some(None),
        Some(value) if value.is_empty() => None,
        Some(value) => value.into_string().ok().map(Some),
    }
}

struct Words<'a> {
    rest: &'a [OsString],
    quiet: bool,
}

impl<'a> Words<'a> {
    fn peek(&self) -> Option<&'a OsStr> {
        self.rest.first().map(OsString::as_os_str)
    }

    fn next_str(&mut self) -> Option<&'a str> {
        let (first, rest) = self.rest.split_first()?;
        self.rest = rest;
        first.to_str()
    }

    /// The next flag: its name and its value, from `--name=value` or the next word. `None`
    /// for anything that is not a long flag (or `-q`) with a plain value; the value is `None`
    /// when there is none (the flag is last, or the next word starts with `-`), which a flag
    /// that needs one turns into a refusal. `-q`/`--quiet` (global, once) is taken here.
    fn flag(&mut self) -> Option<(&'a str, Option<String>)> {
        let word = self.next_str()?;
        if word == "-q" || word == "--quiet" {
            if self.quiet {
                return None;
            }
            self.quiet = true;
            return Some(("--quiet", None));
        }
        if !word.starts_with("--") || word == "--" {
            return None;
        }
        if let Some((name, value)) = word.split_once('=') {
            return plain(value).then(|| (name, Some(value.to_string())));
        }
        let value = match self.peek().and_then(OsStr::to_str) {
            Some(next) if plain(next) && word != "--no-request" => {
                self.rest = &self.rest[1..];
                Some(next.to_string())
            }
            _ => None,
        };
        Some((word, value))
    }
}

/// A value clap takes as it stands: not empty and not starting with `-`.
fn plain(value: &str) -> bool {
    !value.is_empty() && !value.starts_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};

    fn words(line: &[&str]) -> Vec<OsString> {
        line.iter().map(OsString::from).collect()
    }

    /// What the whole tree (clap) parses the same words to. Its flags' environment defaults are
    /// taken off (the tests must not depend on, or change, the process environment): the
    /// environment's part is checked on its own below.
    fn clap_parse(line: &[&str]) -> Option<String> {
        let without_env = |command: clap::Command, ids: &[&'static str]| {
            ids.iter()
                .fold(command, |c, id| c.mut_arg(*id, |a| a.env(None)))
        };
        let command = Cli::command()
            .mut_subcommand("run-as", |c| without_env(c, &["account", "role", "reason"]))
            .mut_subcommand("aws", |c| {
                without_env(c, &["account", "reason"]).mut_subcommand("eks", |eks| {
                    eks.mut_subcommand("get-token", |g| without_env(g, &["role"]))
                })
            });
        let mut all = vec!["p0"];
        all.extend_from_slice(line);
        let matches = command.try_get_matches_from(all).ok()?;
        Cli::from_arg_matches(&matches)
            .ok()
            .map(|cli| format!("{cli:?}"))
    }

    fn warm_parse(line: &[&str], env: &[(&str, &str)]) -> Option<String> {
        let lookup = |name: &str| {
            env.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        };
        parse(&words(line), lookup).map(|cli| format!("{cli:?}"))
    }

    /// Every accepted form parses as clap parses it; the forms a warm run takes are accepted.
    #[test]
    fn what_it_accepts_clap_parses_alike() {
        let accepted: &[&[&str]] = &[
            &[
                "run-as",
                "--account",
                "prod",
                "--role",
                "Admin",
                "--",
                "true",
            ],
            &[
                "run-as",
                "--account=prod",
                "--role=Admin",
                "aws",
                "s3",
                "ls",
            ],
            &[
                "run-as",
                "-q",
                "--permission-set",
                "Admin",
                "--",
                "aws",
                "--debug",
            ],
            &["run-as", "--role", "Admin", "--quiet", "sh", "-c", "exit 3"],
            &[
                "run-as",
                "--reason",
                "ticket 12",
                "--region",
                "eu-west-1",
                "--",
                "env",
            ],
            &[
                "run-as",
                "--role",
                "Admin",
                "--chain-role-arn",
                "arn:aws:iam::1:role/x",
                "--chain-session-name",
                "me",
                "--",
                "true",
            ],
            &["run-as", "--", "--role", "x"],
            &["aws", "credential-process", "--role", "Admin"],
            &[
                "aws",
                "--account",
                "prod",
                "credential-process",
                "--role=Admin",
            ],
            &[
                "aws",
                "credential-process",
                "--role",
                "Admin",
                "--account",
                "prod",
                "-q",
            ],
            &[
                "aws",
                "-q",
                "credential-process",
                "--permission-set",
                "Dev",
                "--no-request",
            ],
            &[
                "aws",
                "--reason",
                "why",
                "credential-process",
                "--chain-role-arn",
                "arn:aws:iam::1:role/x",
                "--chain-external-id",
                "id",
                "--role",
                "Admin",
            ],
            &["aws", "eks", "get-token", "--cluster-name", "c1"],
            &[
                "aws",
                "--account",
                "prod",
                "eks",
                "get-token",
                "--cluster-name=c1",
                "--role",
                "R",
            ],
            &[
                "aws",
                "eks",
                "get-token",
                "--region",
                "eu-west-1",
                "--cluster-name",
                "c1",
                "--no-request",
                "--reason",
                "why",
                "-q",
            ],
        ];
        for line in accepted {
            let warm = warm_parse(line, &[]);
            assert!(warm.is_some(), "{line:?}");
            assert_eq!(warm, clap_parse(line), "{line:?}");
        }
    }

    /// A flag's environment default, as clap's `env = ...` gives it: the flag wins over the
    /// variable, and a variable set but empty is left to clap.
    #[test]
    fn flags_default_to_the_environment_as_clap_has_them() {
        let env = [(read::P0_AWS_ACCOUNT, "prod"), (read::P0_AWS_ROLE, "Admin")];
        let cases: &[(&[&str], &[&str])] = &[
            (
                &["run-as", "--", "true"],
                &[
                    "run-as",
                    "--account",
                    "prod",
                    "--role",
                    "Admin",
                    "--",
                    "true",
                ],
            ),
            (
                &["run-as", "--account", "dev", "--", "true"],
                &[
                    "run-as",
                    "--account",
                    "dev",
                    "--role",
                    "Admin",
                    "--",
                    "true",
                ],
            ),
            (
                &["aws", "credential-process", "--role", "Dev"],
                &[
                    "aws",
                    "--account",
                    "prod",
                    "credential-process",
                    "--role",
                    "Dev",
                ],
            ),
        ];
        for (line, as_flags) in cases {
            assert_eq!(warm_parse(line, &env), clap_parse(as_flags), "{line:?}");
        }
        assert_eq!(
            warm_parse(&["aws", "eks", "get-token", "--cluster-name", "c"], &env),
            clap_parse(&[
                "aws",
                "--account",
                "prod",
                "eks",
                "get-token",
                "--cluster-name",
                "c",
                "--role",
                "Admin"
            ])
        );
        let reason = [(read::P0_AWS_REASON, "on call")];
        assert_eq!(
            warm_parse(&["aws", "credential-process", "--role", "R"], &reason),
            clap_parse(&[
                "aws",
                "--reason",
                "on call",
                "credential-process",
                "--role",
                "R"
            ])
        );
        let empty = [(read::P0_AWS_ACCOUNT, "")];
        assert_eq!(warm_parse(&["run-as", "--", "true"], &empty), None);
    }

    /// Forms a warm run does not take, and mistakes: the whole program's.
    #[test]
    fn what_it_refuses_is_left_to_clap() {
        let refused: &[&[&str]] = &[
            &[],
            &["login"],
            &["--quiet", "run-as", "--", "true"],
            &["run-as", "--role", "Admin"],
            &["run-as", "--role", "Admin", "--"],
            &["run-as", "--refresh", "--", "true"],
            &["run-as", "--help"],
            &["run-as", "--debug", "--", "true"],
            &["run-as", "--role", "--", "true"],
            &["run-as", "--role", "-x", "--", "true"],
            &["run-as", "--role=", "--", "true"],
            &["run-as", "--role", "a", "--role", "b", "--", "true"],
            &["run-as", "-q", "-q", "--", "true"],
            &["run-as", "--quiet=yes", "--", "true"],
            &["run-as", "--chain-session-name", "me", "--", "true"],
            &["run-as", "--sso", "--", "true"],
            &["run-as", "-r", "Admin", "--", "true"],
            &["aws", "credential-process"],
            &["aws", "--role", "Admin", "credential-process"],
            &[
                "aws",
                "credential-process",
                "--role",
                "Admin",
                "--shell",
                "bash",
            ],
            &[
                "aws",
                "credential-process",
                "--role",
                "Admin",
                "--fresh-credentials",
            ],
            &[
                "aws",
                "credential-process",
                "--role",
                "Admin",
                "--no-request=x",
            ],
            &[
                "aws",
                "credential-process",
                "--role",
                "Admin",
                "--no-request",
                "--no-request",
            ],
            &["aws", "credential-process", "--role", "Admin", "extra"],
            &["aws", "credential-process", "--role", "Admin", "--"],
            &["aws", "role", "assume", "Admin"],
            &["aws", "eks", "get-token"],
            &[
                "aws",
                "eks",
                "--account",
                "prod",
                "get-token",
                "--cluster-name",
                "c",
            ],
            &[
                "aws",
                "eks",
                "get-token",
                "--cluster-name",
                "c",
                "--duration",
                "900",
            ],
            &["aws", "eks", "update-kubeconfig", "--cluster-name", "c"],
            &[
                "aws",
                "credential-process",
                "--role",
                "R",
                "--region",
                "us-east-1",
            ],
            &[
                "aws",
                "credential-process",
                "--role",
                "R",
                "--cluster-name",
                "c",
            ],
        ];
        for line in refused {
            assert_eq!(warm_parse(line, &[]), None, "{line:?}");
        }
    }

    /// Random lines from the words these forms are made of: whatever is accepted, clap parses
    /// alike (the lines above make sure the forms are accepted at all).
    mod fuzz {
        use super::{clap_parse, warm_parse};
        use crate::fuzzing::config;
        use proptest::prelude::*;

        const VOCABULARY: &[&str] = &[
            "--account",
            "--account=prod",
            "prod",
            "--role",
            "--permission-set=Dev",
            "Admin",
            "--reason",
            "--region",
            "us-east-1",
            "--chain-role-arn",
            "arn:aws:iam::1:role/x",
            "--chain-session-name",
            "--chain-external-id",
            "--no-request",
            "credential-process",
            "-q",
            "--quiet",
            "--",
            "true",
            "-x",
            "--debug",
            "",
            "eks",
            "get-token",
            "--cluster-name",
            "c1",
        ];

        proptest! {
            #![proptest_config(ProptestConfig { cases: 4000, ..config() })]
            #[test]
            fn random_lines_parse_as_clap_parses_them(
                head in prop::sample::select(&["run-as", "aws"][..]),
                words in prop::collection::vec(prop::sample::select(VOCABULARY), 0..9),
            ) {
                let mut line = vec![head];
                line.extend(words);
                if let Some(warm) = warm_parse(&line, &[]) {
                    prop_assert_eq!(Some(warm), clap_parse(&line), "{:?}", line);
                }
            }
        }
    }
}
