//! The ways `p0` turns an identity into temporary AWS credentials: Okta SAML federation
//! (`okta_saml`, with the assertion parsing in `saml`) and AWS IAM Identity Center (`idc`).
//!
//! Every AWS SDK client is built the same way: an explicit region, the latest behavior version,
//! no credentials provider (these calls are unsigned or bearer-authorized), and the standard
//! `AWS_ENDPOINT_URL_*` overrides. Nothing here ever probes the EC2 metadata address.

pub mod idc;
pub mod okta_saml;
pub mod saml;

use crate::env;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use rand::Rng;
use std::time::Duration;

/// The endpoint override for one service: its own variable, then `AWS_ENDPOINT_URL`.
fn endpoint_override(service_variable: &str) -> Option<String> {
    env::get(service_variable).or_else(|| env::get(env::read::AWS_ENDPOINT_URL))
}

/// The message of an SDK failure: the service's code and message when it answered, otherwise
/// the whole error chain (connection refused, timeout, ...). Requests are never included.
fn describe_sdk_error<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if let Some(service_error) = error.as_service_error() {
        match (service_error.code(), service_error.message()) {
            (Some(code), Some(message)) => return format!("{code}: {message}"),
            (Some(code), None) => return code.to_string(),
            (None, Some(message)) => return message.to_string(),
            (None, None) => {}
        }
    }
    DisplayErrorContext(error).to_string()
}

/// `base` with ±50 % jitter, so parallel processes retrying do not stay in step.
fn jittered(base: Duration) -> Duration {
    base.mul_f64(rand::rng().random_range(0.5..1.5))
}

/// Converts an AWS timestamp into the credential expiration type.
fn expiration_from_unix_millis(millis: i64) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok()
}
