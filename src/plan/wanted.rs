//! Each command's arguments become one [`Wanted`] here, and nowhere else: what the command asks
//! of P0 (the account, the role, the request, the chained role).

use crate::backend::Backend;
use crate::cli::{AwsCommand, AwsFlags, ChainArgs, PermissionSetCommand, RoleCommand, RunAsArgs};

/// What a command asks for through P0, from its flags.
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    /// `--account` / `P0_AWS_ACCOUNT` as typed; `None` when only one account is installed.
    pub(super) account: Option<String>,
    /// `None` when the user gave none: a terminal then offers the account's roles
    /// ([`super::Plan::choose_role`]).
    pub(super) role: Option<String>,
    pub(super) reason: Option<String>,
    pub(super) no_request: bool,
    pub(super) duration: Option<i32>,
    /// The family the command is for (`role assume`, `permission-set assume`); `None` lets
    /// the account decide (`run-as`).
    pub(super) family: Option<Backend>,
    /// `--refresh-credentials`: skip the cache.
    pub(super) refresh_credentials: bool,
    /// `--chain-role-arn` and its companions.
    pub(super) chain: ChainArgs,
}

impl Wanted {
    /// `p0 run-as` (and `p0 console`, through its run-as arguments) through P0.
    pub fn run_as(args: &RunAsArgs) -> Wanted {
        Wanted {
            account: args.account.clone(),
            role: args.role.clone(),
            reason: args.reason.clone(),
            no_request: args.no_request,
            refresh_credentials: args.refresh_credentials,
            duration: args.duration,
            chain: args.chain.clone(),
            family: None,
        }
    }

    /// `p0 aws ... role assume`, `permission-set assume` and `credential-process`; `None` for
    /// the commands that make no plan (`configure`).
    pub fn aws(flags: &AwsFlags, command: &AwsCommand) -> Option<Wanted> {
        let asked = |role: &Option<String>, family, chain: &ChainArgs| Wanted {
            account: flags.account.clone(),
            role: role.clone(),
            reason: flags.reason.clone(),
            refresh_credentials: flags.refresh_credentials,
            family,
            chain: chain.clone(),
            no_request: false,
            duration: None,
        };
        Some(match command {
            AwsCommand::Role {
                command:
                    RoleCommand::Assume {
                        role,
                        no_request,
                        duration,
                        chain,
                        ..
                    },
            } => Wanted {
                no_request: *no_request,
                duration: *duration,
                ..asked(role, Some(Backend::OktaSaml), chain)
            },
            AwsCommand::PermissionSet {
                command:
                    PermissionSetCommand::Assume {
                        permission_set,
                        chain,
                        ..
                    },
            } => asked(permission_set, Some(Backend::IdentityCenter), chain),
            AwsCommand::CredentialProcess(process) => Wanted {
                no_request: process.no_request,
                ..asked(&Some(process.role.clone()), None, &process.chain)
            },
            // They make their plan from their own flags (`eks::credentials`).
            AwsCommand::Configure { .. } | AwsCommand::Eks { .. } | AwsCommand::Rds { .. } => {
                return None
            }
        })
    }

    /// The chained role asked for, if any.
    pub fn chain(&self) -> &ChainArgs {
        &self.chain
    }
}
