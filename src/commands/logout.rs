//! `p0 logout`: forget the identity, the tenant config and every cached credential (§1.3),
//! and any temporary file a killed `p0` left behind with a secret in it.

use crate::context::Context;
use crate::error::Result;
use crate::p0;
use crate::state;

pub fn run(ctx: &Context) -> Result<u8> {
    let state = &ctx.state;
    // Logging out of state that cannot be trusted is still logging out.
    let org = p0::stored_org(state).ok().flatten();
    state::remove_if_exists(&state.identity_path())?;
    state::remove_if_exists(&state.config_path())?;
    state::remove_dir_if_exists(&state.cache_dir())?;
    state::remove_temporaries(state.root(), std::time::Duration::ZERO);
    match org {
        Some(org) => ctx.printer.status(&format!(
            "You are now logged out of the {org} organization."
        )),
        None => ctx.printer.status("You were not logged in."),
    }
    Ok(0)
}
