//! The account a command names, resolved the way a plan through P0 resolves it
//! ([`Offline::resolve`](super::Offline::resolve)), for a command that needs the account but
//! no credentials (`p0 aws configure profile`).

use crate::accounts::{self, ResolvedAccount};
use crate::backend::Backend;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::p0::{self, P0Connection};

/// The installed account `wanted_account` names (an id or a label; `None`: the only
/// installed one, of `family` when given), for the logged-in org.
///
/// As a plan's: the local copy of the org's account config answers when it knows the account
/// and is younger than [`accounts::COLD_RUN_CONFIG_MAX_AGE`]; otherwise the config is fetched
/// from P0 through [`accounts::fetch_config_once`], so a burst of `p0` processes makes one
/// call, and a copy another process wrote meanwhile is used instead of fetching again. When
/// that fetch fails, a local copy that knows the account still answers.
pub async fn resolve_account(
    ctx: &Context,
    p0: &P0Connection,
    wanted_account: Option<&str>,
    family: Option<Backend>,
) -> Result<ResolvedAccount> {
    let org = p0::stored_org(&ctx.state)?.ok_or(Error::NotLoggedIn)?;
    let cache = ctx.cache();
    // Read before the copy itself: which write the single flight should not fetch again for.
    let seen = accounts::local_copy_version(&cache, &org);
    let local = accounts::local_config_aged(&cache, &org)?
        .and_then(|(config, age)| Some((config.resolve(wanted_account, family).ok()?, age)));
    if let Some((account, age)) = &local {
        if *age < accounts::COLD_RUN_CONFIG_MAX_AGE {
            return Ok(account.clone());
        }
    }
    match accounts::fetch_config_once(ctx, p0, &org, seen).await {
        Ok(config) => config.resolve(wanted_account, family),
        Err(e) => match local {
            Some((account, _)) => {
                tracing::debug!("fetching the account config failed ({e}); using the local copy");
                Ok(account)
            }
            None => Err(e),
        },
    }
}
