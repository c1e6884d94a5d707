//! The ways `p0` turns an identity into temporary AWS credentials: Okta SAML federation
//! (`okta_saml`, with the assertion parsing in `saml`) and AWS IAM Identity Center (`idc`).
//!
//! Their AWS SDK clients all come from `crate::aws_sdk` (one configuration, one deadline).

pub mod idc;
pub mod okta_saml;
pub mod saml;

use rand::Rng;
use std::time::Duration;

/// `base` with ±50 % jitter, so parallel processes retrying do not stay in step.
fn jittered(base: Duration) -> Duration {
    base.mul_f64(rand::rng().random_range(0.5..1.5))
}

/// Converts an AWS timestamp into the credential expiration type.
fn expiration_from_unix_millis(millis: i64) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok()
}
