//! `p0`'s end-to-end tests: one binary, a module per area, one harness. Each test runs the
//! real `p0` against its own `p0-sandbox` (P0, Okta, Firebase, Identity Center; moto as STS)
//! with a temp HOME, and real `aws` CLI / boto3 children.
//!
//! `cargo test --test e2e -- --skip slow::` leaves out the real-time tests (`_slow`).

mod harness;

/// The real-time tests. libtest starts tests in name order and these take up to a minute
/// or more, so the module's name sorts first: they run beside the others instead of after them.
mod _slow;

mod aws_accounts;
mod aws_cache;
mod aws_idc;
mod aws_okta;
mod aws_profiles;
mod chain;
mod child_files;
mod colour;
mod completion;
mod console;
mod credential_process;
mod eks;
mod launch;
mod login;
mod login_kinds;
mod ls;
mod partitions;
mod rds;
mod real_services;
mod reliability;
mod renewals;
mod request;
mod role_picker;
mod run_as;
mod status;
mod subshell;
mod web_identity;
