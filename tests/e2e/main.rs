//! `p0`'s end-to-end tests: one binary, a module per area, one harness. Each test runs the
//! real `p0` against its own `p0-sandbox` (P0, Okta, Firebase, Identity Center; moto as STS)
//! with a temp HOME, and real `aws` CLI / boto3 children.
//!
//! Real-time tests (ones that must let real time pass, such as credentials renewed across
//! their lifetimes) sit in a `mod slow` inside their area's module (`launch::slow::`,
//! `renewals::slow::`, `reliability::deadlines::slow::`): `cargo test --test e2e -- --skip
//! slow::` leaves them all out of a quick run; CI runs them. No other marker is used.

mod harness;

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
mod front;
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
