//! `p0 aws [--account A] [--reason R] role assume ROLE` and `... permission-set assume PS`:
//! credentials (cached, or requested and fetched) printed as shell exports (§8).

use super::block_on;
use crate::backend::Backend;
use crate::cli::{AwsArgs, AwsCommand, PermissionSetCommand, RoleCommand};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::exports;
use crate::p0::P0Connection;
use crate::plan::{Plan, Wanted};
use std::io::IsTerminal;

pub fn run(ctx: &Context, args: AwsArgs) -> Result<u8> {
    let (wanted, subcommand) = match args.command {
        AwsCommand::Role {
            command:
                RoleCommand::Assume {
                    role,
                    request: _,
                    no_request,
                    duration,
                },
        } => (
            Wanted {
                role: role.clone(),
                no_request,
                duration,
                family: Some(Backend::OktaSaml),
                ..Wanted::default()
            },
            vec!["role".to_string(), "assume".into(), role],
        ),
        AwsCommand::PermissionSet {
            command: PermissionSetCommand::Assume { permission_set },
        } => (
            Wanted {
                role: permission_set.clone(),
                family: Some(Backend::IdentityCenter),
                ..Wanted::default()
            },
            vec![
                "permission-set".to_string(),
                "assume".into(),
                permission_set,
            ],
        ),
        AwsCommand::CredentialProcess { .. } => {
            return Err(Error::NotImplemented("aws credential-process"))
        }
    };
    let wanted = Wanted {
        account: args.account.clone(),
        reason: args.reason,
        refresh_credentials: args.refresh_credentials,
        ..wanted
    };
    let credentials = block_on(async {
        let p0 = P0Connection::new();
        let plan = Plan::through_p0(ctx, &p0, wanted).await?;
        plan.provider(&p0).credentials(ctx, plan.reuse).await
    })?;

    // The command to evaluate, as the user would type it again.
    let mut command = vec!["p0".to_string(), "aws".into()];
    if let Some(account) = args.account {
        command.extend(["--account".into(), account]);
    }
    command.extend(subcommand);
    exports::print(
        &ctx.printer,
        &credentials,
        exports::shell_kind(args.shell),
        &command,
        std::io::stdout().is_terminal(),
    )?;
    Ok(0)
}
