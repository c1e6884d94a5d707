//! `p0 login [ORG]` (§2.1): find the org, sign in with Okta when the session is not current,
//! check access, and say so on stderr.

use super::block_on;
use crate::accounts;
use crate::cli::LoginArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::p0::{self, LoginOptions, P0Client};
use serde_json::Value;

pub fn run(ctx: &Context, args: LoginArgs) -> Result<u8> {
    block_on(async {
        let options = LoginOptions {
            org: args.org,
            refresh: args.refresh,
        };
        let (session, new_login) = p0::login(ctx, options).await?;
        let client = P0Client::from_session(session).await?;
        // §2.1 step 5: an org that refuses this user's access check is logged out of. The
        // org's account config is fetched meanwhile, so the first run after a login resolves
        // `--account` from the local copy; an org without AWS is no reason to fail a login.
        let cache = ctx.cache();
        let (access, config) = tokio::join!(
            client.get_json::<Value>("account"),
            accounts::fetch_config(&client, &cache, client.org())
        );
        if let Err(e) = config {
            tracing::debug!("no local copy of the AWS account config: {e}");
        }
        match access {
            Ok(_) => {}
            Err(e @ (Error::Api(_) | Error::Http { .. } | Error::InvalidResponse)) => {
                tracing::debug!("access check failed: {e}");
                return Err(p0::log_out_after_refusal(&ctx.state));
            }
            Err(e) => return Err(e),
        }
        let org = client.org();
        ctx.printer.status(&if new_login {
            format!("You are now logged in to the {org} organization, and can use the p0 CLI.")
        } else {
            format!("You are currently logged in to the {org} organization.")
        });
        Ok(0)
    })
}
