//! When to renew a supervised child's credentials, and renewing them patiently: failures are
//! retried with backoff and reported once per outage, never per attempt or per request, and an
//! attempt that does not end within [`ATTEMPT_DEADLINE`] is abandoned (its locks released with
//! it) and counts as a failure, so one stuck call cannot stop the renewals for good.

use super::CredentialSource;
use crate::credentials::AwsCredentials;
use crate::output::Printer;
use crate::retry::Backoff;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// Failed renewals are retried for as long as the child runs, from 1 s up to a minute apart.
const RETRY: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60), None);
/// One renewal attempt at most: longer than the longest wait a legitimate one makes (a P0
/// approval, 10 minutes, or a sign-in on the terminal, which Okta and AWS give 10 minutes),
/// since every network call in it has its own deadline; shorter than the 20 minutes the
/// credential endpoint renews ahead of expiry, so a stuck attempt leaves room for another.
pub(crate) const ATTEMPT_DEADLINE: Duration = Duration::from_secs(12 * 60);
/// Timers are monotonic and stop while a laptop sleeps; waking up at least this often and
/// re-reading the wall clock keeps a renewal from being hours late after a resume.
const LONGEST_NAP: Duration = Duration::from_secs(600);

/// When credentials that became current at `obtained` should be renewed: `lead` before they
/// expire, but not before a quarter of the life they had left has passed, so that short
/// lifetimes (tests, or a cache handing out nearly spent credentials) cannot spin.
pub(crate) fn due_at(
    credentials: &AwsCredentials,
    obtained: OffsetDateTime,
    lead: Duration,
) -> OffsetDateTime {
    let remaining = (credentials.expiration - obtained).max(time::Duration::ZERO);
    (credentials.expiration - lead).max(obtained + remaining / 4)
}

/// Whether the credentials are due for renewal at `now`.
pub(crate) fn is_due(
    credentials: &AwsCredentials,
    obtained: OffsetDateTime,
    lead: Duration,
    now: OffsetDateTime,
) -> bool {
    now >= due_at(credentials, obtained, lead)
}

/// Sleeps until the wall clock reaches `at`.
pub(crate) async fn sleep_until(at: OffsetDateTime) {
    loop {
        let left = at - OffsetDateTime::now_utc();
        if left <= time::Duration::ZERO {
            return;
        }
        let left = Duration::try_from(left).unwrap_or(LONGEST_NAP);
        tokio::time::sleep(left.min(LONGEST_NAP)).await;
    }
}

pub(crate) struct Renewer {
    source: Arc<dyn CredentialSource>,
    printer: Printer,
    /// How long one attempt may take ([`ATTEMPT_DEADLINE`]).
    deadline: Duration,
    /// Whether the ongoing outage has been reported on stderr.
    reported: bool,
    /// Outages reported so far (one line each, however many attempts failed).
    pub(crate) outages: u32,
}

impl Renewer {
    pub(crate) fn new(source: Arc<dyn CredentialSource>, printer: Printer) -> Self {
        Renewer {
            source,
            printer,
            deadline: ATTEMPT_DEADLINE,
            reported: false,
            outages: 0,
        }
    }

    /// Asks the source until it hands out credentials that expire later than `current`.
    pub(crate) async fn renew_after(&mut self, current: &AwsCredentials) -> AwsCredentials {
        let mut retry = 0;
        loop {
            let attempt = tokio::time::timeout(self.deadline, self.source.renew()).await;
            let failure = match attempt.unwrap_or_else(|_| Err(abandoned(self.deadline))) {
                Ok(fresh) if fresh.expiration > current.expiration => {
                    if self.reported {
                        self.printer.status("p0: credentials renewed.");
                        self.reported = false;
                    }
                    tracing::debug!(
                        access_key_id = %fresh.access_key_id,
                        expiration = %fresh.expiration,
                        "renewed credentials"
                    );
                    return fresh;
                }
                Ok(_) => "no credentials newer than the current ones were available".to_string(),
                Err(e) => e.to_string(),
            };
            let retry_in = RETRY.delay(retry);
            tracing::debug!(retry_in = ?retry_in, "renewal failed: {failure}");
            if !self.reported {
                self.reported = true;
                self.outages += 1;
                self.printer.warn(&outage_line(&failure, current));
            }
            tokio::time::sleep(retry_in).await;
            retry = retry.saturating_add(1);
        }
    }
}

/// The one line an outage gets in the child's terminal (a multi-line error joined into it).
fn outage_line(failure: &str, current: &AwsCredentials) -> String {
    let failure: Vec<&str> = failure
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    format!(
        "p0: could not renew credentials ({}); the current ones stay in use until {}, retrying in the background",
        failure.join(" "),
        super::child_env::iso8601_utc(current.expiration)
    )
}

/// Why an attempt that ran past its deadline was dropped.
fn abandoned(deadline: Duration) -> crate::error::Error {
    crate::error::Error::io(
        format!(
            "renewing took longer than {} minutes, so the attempt was abandoned",
            deadline.as_secs() / 60
        ),
        std::io::ErrorKind::TimedOut.into(),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::error::{Error, Result};
    use crate::launch::BoxFuture;
    use crate::secret::Secret;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Mutex;

    /// A credential source for tests: mints distinct credentials with a fixed lifetime, after
    /// failing its first `failures` renewals.
    pub(crate) struct MintingSource {
        lifetime: Duration,
        failures: AtomicU32,
        minted: AtomicU32,
        pub(crate) current: Mutex<AwsCredentials>,
    }

    impl MintingSource {
        pub(crate) fn new(lifetime: Duration, failures: u32) -> Self {
            MintingSource {
                lifetime,
                failures: AtomicU32::new(failures),
                minted: AtomicU32::new(1),
                current: Mutex::new(mint(0, lifetime)),
            }
        }

        pub(crate) fn minted(&self) -> u32 {
            self.minted.load(Ordering::SeqCst)
        }
    }

    pub(crate) fn mint(serial: u32, lifetime: Duration) -> AwsCredentials {
        AwsCredentials {
            access_key_id: format!("ASIATEST{serial:08}"),
            secret_access_key: Secret::new(format!("secret-{serial}")),
            session_token: Secret::new(format!("token-{serial}")),
            expiration: OffsetDateTime::now_utc() + lifetime,
        }
    }

    impl CredentialSource for MintingSource {
        fn current(&self) -> AwsCredentials {
            self.current.lock().unwrap().clone()
        }

        fn renew(&self) -> BoxFuture<'_, Result<AwsCredentials>> {
            Box::pin(async move {
                // Takes one simulated failure if any are left. A compare-exchange loop rather
                // than `fetch_update` (deprecated by newer clippy) or its replacement
                // `try_update` (not in Rust 1.94.1, the declared minimum).
                let mut left = self.failures.load(Ordering::SeqCst);
                let failed = loop {
                    if left == 0 {
                        break false;
                    }
                    match self.failures.compare_exchange_weak(
                        left,
                        left - 1,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    ) {
                        Ok(_) => break true,
                        Err(now) => left = now,
                    }
                };
                if failed {
                    return Err(Error::aws("sts", "simulated outage"));
                }
                let fresh = mint(self.minted.fetch_add(1, Ordering::SeqCst), self.lifetime);
                *self.current.lock().unwrap() = fresh.clone();
                Ok(fresh)
            })
        }
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn an_hour_long_credential_is_renewed_twenty_minutes_before_expiry() {
        let obtained = OffsetDateTime::now_utc();
        let mut creds = mint(0, MINUTE);
        creds.expiration = obtained + 60 * MINUTE;
        assert_eq!(
            due_at(&creds, obtained, 20 * MINUTE),
            obtained + 40 * MINUTE
        );
        assert!(!is_due(
            &creds,
            obtained,
            20 * MINUTE,
            obtained + 39 * MINUTE
        ));
        assert!(is_due(
            &creds,
            obtained,
            20 * MINUTE,
            obtained + 40 * MINUTE
        ));
    }

    #[test]
    fn short_lifetimes_wait_a_quarter_of_their_life() {
        let obtained = OffsetDateTime::now_utc();
        let mut creds = mint(0, MINUTE);
        creds.expiration = obtained + MINUTE;
        assert_eq!(
            due_at(&creds, obtained, 20 * MINUTE),
            obtained + Duration::from_secs(15)
        );
        // Already expired: due at once, not in the past forever after.
        creds.expiration = obtained - MINUTE;
        assert_eq!(due_at(&creds, obtained, 20 * MINUTE), obtained);
    }

    #[tokio::test(start_paused = true)]
    async fn failures_are_retried_and_reported_once_per_outage() {
        let source = Arc::new(MintingSource::new(MINUTE, 3));
        let current = source.current();
        let mut renewer = Renewer::new(source.clone(), Printer::standard(true));
        let fresh = renewer.renew_after(&current).await;
        assert_eq!(fresh.access_key_id, "ASIATEST00000001");
        assert!(fresh.expiration > current.expiration);
        assert_eq!(renewer.outages, 1, "three failures are one outage");
        // A later outage is reported again.
        source.failures.store(1, Ordering::SeqCst);
        renewer.renew_after(&fresh).await;
        assert_eq!(renewer.outages, 2);
    }

    #[test]
    fn an_outage_is_one_line() {
        let current = mint(0, MINUTE);
        let line = outage_line(
            "Role Admin not available. Available roles:\n  Dev\n  Ops\n",
            &current,
        );
        assert!(!line.contains('\n'), "{line}");
        assert!(
            line.starts_with(
                "p0: could not renew credentials (Role Admin not available. Available roles: Dev Ops); the current ones stay in use until "
            ),
            "{line}"
        );
        assert!(line.ends_with(", retrying in the background"), "{line}");
    }

    /// A source whose first renewal never returns (a call with no deadline, a lock never
    /// released): the attempt is abandoned at the deadline, dropped, and the next one is made.
    struct HangsOnce {
        inner: MintingSource,
        hung: std::sync::atomic::AtomicBool,
        dropped: Arc<std::sync::atomic::AtomicBool>,
    }

    /// Set when the abandoned attempt's future is dropped (what releases its locks).
    struct OnDrop(Arc<std::sync::atomic::AtomicBool>);

    impl Drop for OnDrop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    impl CredentialSource for HangsOnce {
        fn current(&self) -> AwsCredentials {
            self.inner.current()
        }
        fn renew(&self) -> BoxFuture<'_, Result<AwsCredentials>> {
            if !self.hung.swap(true, Ordering::SeqCst) {
                let guard = OnDrop(self.dropped.clone());
                return Box::pin(async move {
                    let _guard = guard;
                    std::future::pending().await
                });
            }
            self.inner.renew()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stuck_attempt_is_abandoned_at_the_deadline_and_retried() {
        let dropped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let source = Arc::new(HangsOnce {
            inner: MintingSource::new(MINUTE, 0),
            hung: Default::default(),
            dropped: dropped.clone(),
        });
        let current = source.current();
        let mut renewer = Renewer::new(source.clone(), Printer::standard(true));
        let started = tokio::time::Instant::now();
        let fresh = renewer.renew_after(&current).await;
        assert!(fresh.expiration > current.expiration);
        let took = started.elapsed();
        assert!(took >= ATTEMPT_DEADLINE, "{took:?}");
        assert!(
            took <= ATTEMPT_DEADLINE + Duration::from_secs(2),
            "{took:?}"
        );
        assert!(
            dropped.load(Ordering::SeqCst),
            "the stuck attempt was dropped"
        );
        assert_eq!(renewer.outages, 1, "reported once");
    }

    /// A source whose renewals never get newer is retried, not accepted.
    struct StuckSource(AwsCredentials);

    impl CredentialSource for StuckSource {
        fn current(&self) -> AwsCredentials {
            self.0.clone()
        }
        fn renew(&self) -> BoxFuture<'_, Result<AwsCredentials>> {
            Box::pin(async move { Ok(self.0.clone()) })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn credentials_that_are_not_newer_do_not_count_as_renewed() {
        let current = mint(0, MINUTE);
        let mut renewer = Renewer::new(
            Arc::new(StuckSource(current.clone())),
            Printer::standard(true),
        );
        let attempt = tokio::time::timeout(10 * MINUTE, renewer.renew_after(&current)).await;
        assert!(attempt.is_err(), "kept retrying");
        assert_eq!(renewer.outages, 1);
    }
}
