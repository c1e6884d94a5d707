//! The P0 access request as a step in front of a provider (§3.4): file the request, wait for
//! its approval, then let the provider fetch, telling it that access was just granted (Okta may
//! take a moment to show a new role). A renewal turns it around: the provider first, using the
//! grant that already exists, and a new request only when the backend says the role is not
//! granted (any more), so a long run does not ask an approver again every hour. And once such a
//! request has failed (denied, not decided in time, ...), no other is filed until the backend
//! grants the role again: a renewal retried every minute must not become a request every
//! minute in an approver's queue.

use super::{BoxFuture, Fetch, Provider};
use crate::cache::CacheKey;
use crate::context::Context;
use crate::credentials::{AwsCredentials, Target};
use crate::error::{Error, Result};
use crate::p0::P0Connection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// When to file the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestPolicy {
    /// Always, before the provider runs (a command the user just typed).
    Before,
    /// Only when the provider says the role is not granted (a renewal).
    WhenNotGranted,
}

pub struct AccessRequested<P> {
    inner: P,
    p0: Arc<P0Connection>,
    /// The words after `request` in P0's argv (§3.5).
    args: Vec<String>,
    policy: RequestPolicy,
    /// A request filed because the role was not granted failed, and the backend has not
    /// granted it since (`WhenNotGranted` only).
    request_failed: AtomicBool,
}

impl<P: Provider> AccessRequested<P> {
    pub fn new(
        inner: P,
        p0: Arc<P0Connection>,
        args: Vec<String>,
        policy: RequestPolicy,
    ) -> AccessRequested<P> {
        AccessRequested {
            inner,
            p0,
            args,
            policy,
            request_failed: AtomicBool::new(false),
        }
    }

    async fn request_then_fetch(&self, ctx: &Context) -> Result<AwsCredentials> {
        self.inner.check_unattended(ctx)?;
        // What the provider can do before the approval (Okta's token exchange) runs while P0
        // is reached (a bearer renewal, if any) and the request is made.
        let request = async {
            let client = self.p0.client(ctx).await?;
            client.request_access(self.args.clone()).await
        };
        let (grant, ()) = tokio::join!(request, self.inner.prepare(ctx));
        let grant = grant?;
        tracing::debug!(
            "P0 request {}: newly granted: {}",
            grant.request_id.as_deref().unwrap_or("(existing access)"),
            grant.newly_granted
        );
        // P0 says the user holds it now, newly or not: Okta may not show it yet either way
        // (standing or pre-existing access granted a moment ago), so the provider may wait
        // for it, as P0's CLI waits after every request.
        let fetch = Fetch { just_granted: true };
        self.inner.fetch(ctx, fetch).await
    }
}

impl<P: Provider> Provider for AccessRequested<P> {
    fn cache_key(&self) -> CacheKey {
        self.inner.cache_key()
    }

    fn target(&self) -> Target {
        self.inner.target()
    }

    fn check_unattended(&self, ctx: &Context) -> Result<()> {
        self.inner.check_unattended(ctx)
    }

    fn prepare<'a>(&'a self, ctx: &'a Context) -> BoxFuture<'a, ()> {
        self.inner.prepare(ctx)
    }

    fn fetch<'a>(
        &'a self,
        ctx: &'a Context,
        _fetch: Fetch,
    ) -> BoxFuture<'a, Result<AwsCredentials>> {
        Box::pin(async move {
            match self.policy {
                RequestPolicy::Before => self.request_then_fetch(ctx).await,
                RequestPolicy::WhenNotGranted => {
                    match self.inner.fetch(ctx, Fetch::default()).await {
                        Err(e) if e.means_not_granted() => {
                            if self.request_failed.load(Ordering::SeqCst) {
                                tracing::debug!(
                                    "{e}; P0 refused the last request, not asking again"
                                );
                                return Err(e);
                            }
                            tracing::debug!("{e}; asking P0 for access again");
                            let result = self.request_then_fetch(ctx).await;
                            let filed_in_vain = result.as_ref().is_err_and(request_filed_in_vain);
                            self.request_failed.store(filed_in_vain, Ordering::SeqCst);
                            result
                        }
                        other => {
                            if other.is_ok() {
                                self.request_failed.store(false, Ordering::SeqCst);
                            }
                            other
                        }
                    }
                }
            }
        })
    }
}

/// Whether the request reached P0 and came to nothing (denied, failed, ended, or undecided in
/// time; or its fate is unknown): asking again would put another request in an approver's
/// queue. A request that could not be sent at all may be tried again.
fn request_filed_in_vain(error: &Error) -> bool {
    matches!(
        error,
        Error::RequestDenied(_)
            | Error::RequestErrored(_)
            | Error::AccessExpired(_)
            | Error::AccessRevoked(_)
            | Error::RequestNotComplete(_)
            | Error::WaitTimedOut { .. }
            | Error::RequestOutcomeUnknown { .. }
    )
}
