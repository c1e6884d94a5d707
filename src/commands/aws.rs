//! `p0 aws [--account A] [--reason R] role assume [ROLE]` and `... permission-set assume [PS]`:
//! credentials (cached, or requested and fetched) printed as shell exports (§8), or stored as
//! a profile of the shared credentials file (`--write-profile NAME`). Without a role, a
//! terminal offers the account's roles. `credential-process` and `configure` have their own
//! files.

use super::{block_on, configure, credential_process, eks, rds};
use crate::aws_files;
use crate::cli::{
    AwsArgs, AwsCommand, ConfigureCommand, EksCommand, PermissionSetCommand, RdsCommand,
    RoleCommand,
};
use crate::context::Context;
use crate::error::Result;
use crate::output::{self, exports};
use crate::p0::P0Connection;
use crate::plan::{Plan, Wanted};
use std::io::IsTerminal;

pub fn run(ctx: &Context, args: AwsArgs) -> Result<u8> {
    let wanted = Wanted::aws(&args.flags, &args.command);
    let (words, write_profile) = match args.command {
        AwsCommand::Role {
            command: RoleCommand::Assume { write_profile, .. },
        } => (["role", "assume"], write_profile),
        AwsCommand::PermissionSet {
            command: PermissionSetCommand::Assume { write_profile, .. },
        } => (["permission-set", "assume"], write_profile),
        AwsCommand::CredentialProcess(_) => {
            return credential_process::run(
                ctx,
                wanted.expect("credential-process asks for credentials"),
            )
        }
        AwsCommand::Eks {
            command: EksCommand::GetToken(get_token),
        } => {
            let aws = eks::AwsWanted::of(&args.flags);
            return eks::get_token(ctx, aws, get_token);
        }
        AwsCommand::Eks {
            command: EksCommand::UpdateKubeconfig(update),
        } => {
            let aws = eks::AwsWanted::of(&args.flags);
            return eks::update_kubeconfig(ctx, aws, update);
        }
        AwsCommand::Rds {
            command: RdsCommand::GenerateDbAuthToken(token),
        } => {
            let aws = eks::AwsWanted::of(&args.flags);
            return rds::generate_db_auth_token(ctx, aws, token);
        }
        AwsCommand::Configure { command } => {
            return match command {
                ConfigureCommand::Profile(profile) => {
                    configure::profile(ctx, args.flags.account, args.flags.reason, profile)
                }
                ConfigureCommand::Populate(populate) => {
                    configure::populate(ctx, args.flags.account, args.flags.reason, populate)
                }
            }
        }
    };
    let wanted = wanted.expect("role and permission-set assume ask for credentials");
    if let Some(name) = &write_profile {
        aws_files::check_profile_name(name)?;
    }
    let chain = wanted.chain().clone();
    let p0 = P0Connection::new();
    let offline = Plan::offline(ctx, wanted)?;
    let (plan, credentials) = block_on(async {
        let mut plan = offline.resolve(ctx, &p0).await?;
        if plan.needs_role() {
            plan = plan.choose_role(ctx, &p0).await?;
        }
        let credentials = plan.credentials(ctx, &p0).await?;
        if let Some(name) = &write_profile {
            output::credentials_file::write_credentials(
                &ctx.printer,
                &ctx.cache(),
                name,
                &plan.target(),
                &credentials,
            )
            .await?;
        }
        Ok((plan, credentials))
    })?;
    if write_profile.is_some() {
        // The credentials are in the file: stdout stays empty.
        return Ok(0);
    }

    // The command to evaluate, as the user would type it again.
    let mut command = vec!["p0".to_string(), "aws".into()];
    if let Some(account) = args.flags.account {
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
        exports::shell_kind(args.flags.shell),
        &command,
        std::io::stdout().is_terminal(),
    )?;
    Ok(0)
}
