//! `p0 logout`: forget the identity, the tenant config and every cached credential (§1.3).

use crate::error::Result;
use crate::p0;
use crate::state::{self, StateDir};

pub fn run() -> Result<u8> {
    let state = StateDir::from_env()?;
    let org = p0::stored_org(&state);
    state::remove_if_exists(&state.identity_path())?;
    state::remove_if_exists(&state.config_path())?;
    state::remove_dir_if_exists(&state.cache_dir())?;
    match org {
        Some(org) => eprintln!("You are now logged out of the {org} organization."),
        None => eprintln!("You were not logged in."),
    }
    Ok(0)
}
