//! `p0 aws [--account A] [--reason R] role assume ROLE` and `... permission-set assume PS`:
//! credentials (cached, or requested and fetched) printed as shell exports (§8).

use crate::accounts::BackendKind;
use crate::cli::{AwsArgs, AwsCommand, PermissionSetCommand, RoleCommand};
use crate::credentials::{self, Want};
use crate::error::{Error, Result};
use crate::{exports, terminal};

pub fn run(args: AwsArgs) -> Result<u8> {
    crate::p0::block_on(assume(args))
}

async fn assume(args: AwsArgs) -> Result<u8> {
    let (want, subcommand) = match args.command {
        AwsCommand::Role {
            command:
                RoleCommand::Assume {
                    role,
                    request: _,
                    no_request,
                    duration,
                },
        } => (
            Want {
                role: role.clone(),
                request: !no_request,
                duration,
                family: Some(BackendKind::OktaSaml),
                ..Want::default()
            },
            ["role".to_string(), "assume".into(), role],
        ),
        AwsCommand::PermissionSet {
            command: PermissionSetCommand::Assume { permission_set },
        } => (
            Want {
                role: permission_set.clone(),
                request: true,
                family: Some(BackendKind::Idc),
                ..Want::default()
            },
            [
                "permission-set".to_string(),
                "assume".into(),
                permission_set,
            ],
        ),
        AwsCommand::CredentialProcess { .. } => {
            return Err(Error::NotImplemented("aws credential-process"))
        }
    };
    let want = Want {
        account: args.account.clone(),
        reason: args.reason,
        reuse: credentials::Reuse::configured(args.refresh_credentials),
        ..want
    };
    let (_account, credentials) = credentials::obtain(&want).await?;

    // The command to evaluate, as the user would type it again.
    let mut command = vec!["p0".to_string(), "aws".into()];
    if let Some(account) = args.account {
        command.extend(["--account".into(), account]);
    }
    command.extend(subcommand);
    exports::print(
        &credentials,
        exports::shell_kind(args.shell),
        &command,
        terminal::stdout_is_terminal(),
    )
    .map_err(|e| Error::io("writing the exports", e))?;
    Ok(0)
}
