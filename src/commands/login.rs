//! `p0 login [ORG]` (§2.1): find the org, sign in with Okta when the session is not current,
//! check access, and say so on stderr.

use crate::cli::LoginArgs;
use crate::error::{Error, Result};
use crate::p0::{self, LoginOptions, P0Client};
use crate::state::StateDir;
use crate::terminal;
use serde_json::Value;

pub fn run(args: LoginArgs) -> Result<u8> {
    p0::block_on(async {
        let state = StateDir::from_env()?;
        let options = LoginOptions {
            org: args.org,
            refresh: args.refresh,
            no_browser: terminal::browser_disabled(args.no_browser),
        };
        let (session, new_login) = p0::login(state.clone(), options).await?;
        let client = P0Client::from_session(session).await?;
        // §2.1 step 5: an org that refuses this user's access check is logged out of.
        match client.get_json::<Value>("account").await {
            Ok(_) => {}
            Err(e @ (Error::Api(_) | Error::Http { .. } | Error::InvalidResponse)) => {
                tracing::debug!("access check failed: {e}");
                return Err(p0::log_out_after_refusal(&state));
            }
            Err(e) => return Err(e),
        }
        if new_login {
            eprintln!(
                "You are now logged in to the {} organization, and can use the p0 CLI.",
                client.org()
            );
        } else {
            eprintln!(
                "You are currently logged in to the {} organization.",
                client.org()
            );
        }
        Ok(0)
    })
}
