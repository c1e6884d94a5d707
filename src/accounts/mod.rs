//! The org's AWS accounts (protocol §4): `GET /o/{org}/integrations/aws/config`, a small local
//! copy of it so a warm run resolves `--account prod` with no network call, and resolution of
//! `--account` / `P0_AWS_ACCOUNT` with P0's own messages.
//!
//! Unlike P0's CLI, which lets the first installed account decide whether `role assume` or
//! `permission-set assume` exists, the backend is chosen per resolved account, so an org that
//! mixes Okta SAML and Identity Center accounts works for both.
//!
//! - `model.rs`: the accounts and resolving `--account`;
//! - `parse.rs`: the one lenient reader of the config's JSON, from a tree or from bytes;
//! - `local_copy.rs`: the local copy, and the fetch that refreshes it in a single flight;
//! - `known.rs`: what local files know for showing and completing (accounts, roles seen).

mod known;
mod local_copy;
mod model;
mod parse;

#[cfg(test)]
mod fuzz;

pub use known::{known_accounts, known_roles, remember_roles, KnownAccount};
pub use local_copy::{
    cached_families, fetch_config, fetch_config_once, local_config_aged, local_copy_version,
    COLD_RUN_CONFIG_MAX_AGE,
};
pub use model::{AccountLogin, AwsConfig, ResolvedAccount};
