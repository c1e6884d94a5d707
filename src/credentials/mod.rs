//! Temporary AWS credentials, and (in `cache`) the on-disk cache shared by every `p0` process.

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
}
