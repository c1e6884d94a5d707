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
    let (wanted, words) = match args.command {
        AwsCommand::Role {
            command:
                RoleCommand::Assume {
                    role,
                    request: _,
                    no_request,
                    duration,
                    chain,
                },
        } => (
            Wanted {
                role: role.unwrap_or_default(),
                no_request,
                duration,
                family: Some(Backend::OktaSaml),
                chain,
                ..Wanted::default()
            },
            ["role", "assume"],
        ),
        AwsCommand::PermissionSet {
            command:
                PermissionSetCommand::Assume {
                    permission_set,
                    chain,
                },
        } => (
            Wanted {
                role: permission_set.unwrap_or_default(),
                family: Some(Backend::IdentityCenter),
                chain,
                ..Wanted::default()
            },
            ["permission-set", "assume"],
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
    let chain = wanted.chain.clone();
    let (plan, credentials) = block_on(async {
        let p0 = P0Connection::new();
        let mut plan = Plan::through_p0(ctx, &p0, wanted).await?;
        if plan.needs_role() {
            plan = plan.choose_role(ctx, &p0).await?;
        }
        let credentials = plan.provider(&p0).credentials(ctx, plan.reuse).await?;
        Ok((plan, credentials))
    })?;

    // The command to evaluate, as the user would type it again.
    let mut command = vec!["p0".to_string(), "aws".into()];
    if let Some(account) = args.account {
        command.extend(["--account".into(), account]);
    }
    command.extend(words.map(String::from));
    command.extend(plan.role().map(String::from));
    let chain_flags = [
        ("--chain-role-arn", chain.chain_role_arn),
        ("--chain-session-name", chain.chain_session_name),
        ("--chain-external-id", chain.chain_external_id),
    ];
    for (flag, value) in chain_flags {
        command.extend(
            value
                .map(|value| [flag.to_string(), value])
                .into_iter()
                .flatten(),
        );
    }
    exports::print(
        &ctx.printer,
        &credentials,
        exports::shell_kind(args.shell),
        &command,
        std::io::stdout().is_terminal(),
    )?;
    Ok(0)
}
