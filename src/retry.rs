//! The one retry schedule: capped exponential backoff with ±50 % jitter, so parallel `p0`
//! processes retrying the same thing do not stay in step. Every retry loop in `p0` (P0 API
//! calls, the poll stream, Okta showing a new role, Identity Center provisioning, background
//! renewals) asks a [`Backoff`] how long to wait and whether to try again.

use rand::Rng;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The delay before the first retry; each later one doubles it.
    pub first: Duration,
    /// Delays stop growing here.
    pub cap: Duration,
    /// Retries after the first attempt; `None` for a loop bounded by something else (a
    /// deadline, or the life of the process).
    pub max_retries: Option<u32>,
}

impl Backoff {
    pub const fn new(first: Duration, cap: Duration, max_retries: Option<u32>) -> Backoff {
        Backoff {
            first,
            cap,
            max_retries,
        }
    }

    /// The delay before retry number `retry` (0-based), without jitter.
    pub fn nominal(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry).unwrap_or(u32::MAX);
        self.first.saturating_mul(factor).min(self.cap)
    }

    /// The delay before retry number `retry`, jittered uniformly within ±50 %.
    pub fn delay(&self, retry: u32) -> Duration {
        jittered(self.nominal(retry))
    }

    /// Whether retry number `retry` (0-based) may still be made.
    pub fn allows(&self, retry: u32) -> bool {
        self.max_retries.is_none_or(|max| retry < max)
    }
}

/// `base` with ±50 % jitter.
pub fn jittered(base: Duration) -> Duration {
    base.mul_f64(rand::rng().random_range(0.5..=1.5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), Some(8));
        let seconds: Vec<u64> = (0..8).map(|i| backoff.nominal(i).as_secs()).collect();
        assert_eq!(seconds, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff.nominal(60), Duration::from_secs(30));
        assert!(backoff.allows(7) && !backoff.allows(8));
        assert!(Backoff::new(Duration::ZERO, Duration::ZERO, None).allows(u32::MAX));
    }

    #[test]
    fn jitter_stays_within_half_either_way() {
        let backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(1), None);
        for retry in 0..10 {
            let nominal = backoff.nominal(retry);
            let delay = backoff.delay(retry);
            assert!(
                delay >= nominal / 2 && delay <= nominal * 3 / 2,
                "{delay:?}"
            );
        }
    }
}
