//! `p0 aws [--account A] [--reason TEXT] credential-process --role R`: an AWS
//! `credential_process`. SDKs run it unattended, many times a day, capture its stdout and
//! stderr, and parse stdout whole, so:
//!
//! - stdout gets exactly the JSON (`output::credential_process`), stderr only the final error
//!   line; status lines and sign-in prompts go to the terminal (`main` builds the context
//!   with a terminal-only printer), and without one a needed sign-in fails at once (77);
//! - a warm answer comes from the shared cache with no runtime, no HTTP client and no network
//!   call, and cold ones share one fetch (the cache's single flight), however many SDK
//!   processes ask at once;
//! - it never hands out credentials an SDK would refresh at once: botocore refreshes with 15
//!   minutes left and runs the process again on every call inside that window, so a cached
//!   entry with less than [`SDK_MIN_LIFETIME`] left is renewed first;
//! - a cache miss uses the grant that exists (`RequestPolicy::WhenNotGranted`): a P0 request
//!   is filed only when the backend says the role is not granted, so an hourly renewal by an
//!   SDK does not ask an approver again while access holds.

use super::block_on;
use crate::context::Context;
use crate::credentials::AwsCredentials;
use crate::error::Result;
use crate::output;
use crate::p0::P0Connection;
use crate::plan::{Offline, Plan, Wanted};
use std::sync::Arc;
use std::time::Duration;

/// botocore's advisory refresh window (its mandatory one is 10 minutes; the Go v2 and JS v3
/// SDKs refresh with 5 minutes left, the Rust SDK seconds before expiry).
const BOTOCORE_REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Credentials handed to an SDK have at least this long left: the widest SDK window plus a
/// minute, for the clock of the calls in between.
pub const SDK_MIN_LIFETIME: Duration = Duration::from_secs(BOTOCORE_REFRESH_WINDOW.as_secs() + 60);

pub fn run(ctx: &Context, wanted: Wanted) -> Result<u8> {
    let p0 = P0Connection::new();
    let offline = Plan::offline(ctx, wanted)?;
    let credentials = match warm(ctx, &offline, &p0) {
        Some(credentials) => credentials,
        None => block_on(async {
            let mut plan = offline
                .resolve(ctx, &p0)
                .await?
                .for_sdk_caller(SDK_MIN_LIFETIME);
            plan.credentials(ctx, &p0).await
        })?,
    };
    output::credential_process::print(&credentials)?;
    Ok(0)
}

/// Warm: the plan from local files and the credentials from the cache, synchronously.
fn warm(ctx: &Context, offline: &Offline, p0: &Arc<P0Connection>) -> Option<AwsCredentials> {
    let plan = offline.local()?.for_sdk_caller(SDK_MIN_LIFETIME);
    plan.warm(ctx, p0)
}

/// The warm-path front end's `credential-process` (`crate::front`): a warm answer printed as
/// [`run`] prints it, with its exit code; `None`, having printed nothing, when the whole
/// program must answer.
pub fn answer_if_warm(ctx: &Context, wanted: Wanted) -> Option<u8> {
    let p0 = P0Connection::new();
    let offline = Plan::offline(ctx, wanted).ok()?;
    let credentials = warm(ctx, &offline, &p0)?;
    ctx.release_warnings();
    Some(match output::credential_process::print(&credentials) {
        Ok(()) => 0,
        // Part of the answer may be out: the whole program must not print it again.
        Err(e) => {
            ctx.printer.error(&e);
            e.exit_code()
        }
    })
}
