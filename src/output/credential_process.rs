//! What `p0 aws credential-process` prints: exactly the JSON the AWS SDKs' process credential
//! provider reads, and not one byte more (no newline: the SDKs parse stdout whole).

use crate::credentials::AwsCredentials;
use crate::error::Result;
use serde::Serialize;

/// The fields in the order the AWS documentation shows them.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessOutput<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    /// RFC 3339 in UTC: the SDKs refresh ahead of it.
    expiration: String,
}

/// The JSON for `credentials`.
pub fn json(credentials: &AwsCredentials) -> String {
    serde_json::to_string(&ProcessOutput {
        version: 1,
        access_key_id: &credentials.access_key_id,
        secret_access_key: credentials.secret_access_key.expose(),
        session_token: credentials.session_token.expose(),
        expiration: credentials.expiration_rfc3339(),
    })
    .expect("strings serialize")
}

/// Writes the JSON to stdout.
pub fn print(credentials: &AwsCredentials) -> Result<()> {
    super::stdout(&json(credentials))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn the_json_is_what_sdks_read_and_nothing_more() {
        let credentials = AwsCredentials {
            access_key_id: "ASIAEXAMPLE".into(),
            secret_access_key: Secret::new("s\"ec/ret".into()),
            session_token: Secret::new("token+==".into()),
            expiration: time::macros::datetime!(2026-11-22 13:26:06.868841 UTC),
        };
        assert_eq!(
            json(&credentials),
            r#"{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"s\"ec/ret","SessionToken":"token+==","Expiration":"2026-11-22T13:26:06Z"}"#
        );
    }
}
