//! Temporary AWS credentials, and (in `cache`) the on-disk cache shared by every `p0` process.

pub mod cache;
pub mod lock;

use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A set of temporary AWS credentials. The secret parts redact themselves in logs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AwsCredentials {
    pub access_key_id: String,
    pub secret_access_key: Secret<String>,
    pub session_token: Secret<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub expiration: OffsetDateTime,
}

impl AwsCredentials {
    /// Time left before these credentials expire (negative once expired).
    pub fn remaining(&self) -> time::Duration {
        self.expiration - OffsetDateTime::now_utc()
    }

    /// The expiration as ISO 8601 UTC to the second (`2026-11-22T13:26:06Z`), the form
    /// `AWS_CREDENTIAL_EXPIRATION` and the container endpoint use.
    pub fn expiration_rfc3339(&self) -> String {
        let seconds = self
            .expiration
            .to_offset(time::UtcOffset::UTC)
            .replace_nanosecond(0)
            .expect("zero nanoseconds are valid");
        seconds
            .format(&time::format_description::well_known::Rfc3339)
            .expect("a UTC time formats as RFC 3339")
    }
}
