//! SigV4 query presigning: the URL that lets another party make one request as the holder of
//! a set of credentials, with no secret in it. `p0 aws eks get-token` presigns STS
//! GetCallerIdentity (the EKS token), `p0 aws rds generate-db-auth-token` the `rds-db`
//! `connect` action (the RDS IAM token). The signature is the AWS SDK's signer (aws-sigv4);
//! the URL is laid out as botocore's `generate_presigned_url` lays it out, so a token is byte
//! for byte what the AWS CLI prints for the same credentials, request and second:
//!
//! `{endpoint}{path}?{operation params}&X-Amz-Algorithm=..&X-Amz-Credential=..&X-Amz-Date=..
//! &X-Amz-Expires=..&X-Amz-SignedHeaders=..[&X-Amz-Security-Token=..]&X-Amz-Signature=..`,
//!
//! every value percent-encoded but for RFC 3986's unreserved characters (botocore's
//! `percent_encode_sequence`), the payload hash that of the empty body (botocore's
//! `SigV4QueryAuth` signs payloads, and a GET's is empty; only S3 presigns `UNSIGNED-PAYLOAD`).

use crate::credentials::AwsCredentials;
use crate::error::{Error, Result};
use aws_sigv4::http_request::{
    sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::time::{Duration, SystemTime};

/// What botocore leaves unencoded in a query value: `-_.~` and the alphanumerics.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// One GET request to presign.
pub struct Request<'a> {
    /// The endpoint with the path: `https://sts.us-east-1.amazonaws.com/`.
    pub url: &'a str,
    /// The operation's parameters, in the order they go into the URL.
    pub params: &'a [(&'a str, &'a str)],
    /// Headers the request must carry besides `host`, signed too (`x-k8s-aws-id`).
    pub headers: &'a [(&'a str, &'a str)],
    /// The signing name (`sts`, `rds-db`) and region.
    pub service: &'a str,
    pub region: &'a str,
    /// `X-Amz-Expires`.
    pub expires_in: Duration,
}

/// The presigned URL of `request`, signed with `credentials` as of `time`.
pub fn presign(
    request: &Request<'_>,
    credentials: &AwsCredentials,
    time: SystemTime,
) -> Result<String> {
    let query = encode(request.params);
    let unsigned = if query.is_empty() {
        request.url.to_string()
    } else {
        format!("{}?{query}", request.url)
    };
    let identity = aws_credential_types::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.expose().clone(),
        Some(credentials.session_token.expose().clone()),
        Some(SystemTime::from(credentials.expiration)),
        "p0",
    )
    .into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(request.expires_in);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(request.region)
        .name(request.service)
        .time(time)
        .settings(settings)
        .build()
        .map_err(|e| Error::Config(format!("Cannot presign the request: {e}")))?
        .into();
    let signable = SignableRequest::new(
        "GET",
        &unsigned,
        request.headers.iter().copied(),
        SignableBody::Bytes(&[]),
    )
    .map_err(|e| Error::Config(format!("Cannot presign a request to {}: {e}", request.url)))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| Error::Config(format!("Cannot presign a request to {}: {e}", request.url)))?
        .into_parts();
    let signed = instructions.params();
    let value = |name: &str| {
        signed
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_ref())
    };
    // botocore's order: the auth parameters, the token, then the signature.
    let auth: Vec<(&str, &str)> = [
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Date",
        "X-Amz-Expires",
        "X-Amz-SignedHeaders",
        "X-Amz-Security-Token",
        "X-Amz-Signature",
    ]
    .into_iter()
    .filter_map(|name| Some((name, value(name)?)))
    .collect();
    let separator = if query.is_empty() { '?' } else { '&' };
    Ok(format!("{unsigned}{separator}{}", encode(&auth)))
}

/// The headers that sign a GET of `url` (SigV4 in the `Authorization` header): for calls of
/// APIs the SDK crates `p0` builds with do not cover (EKS DescribeCluster).
pub fn sign_headers(
    url: &str,
    service: &str,
    region: &str,
    credentials: &AwsCredentials,
    time: SystemTime,
) -> Result<Vec<(String, String)>> {
    let identity = aws_credential_types::Credentials::new(
        credentials.access_key_id.clone(),
        credentials.secret_access_key.expose().clone(),
        Some(credentials.session_token.expose().clone()),
        Some(SystemTime::from(credentials.expiration)),
        "p0",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| Error::Config(format!("Cannot sign the request: {e}")))?
        .into();
    let signable = SignableRequest::new("GET", url, std::iter::empty(), SignableBody::Bytes(&[]))
        .map_err(|e| Error::Config(format!("Cannot sign a request to {url}: {e}")))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| Error::Config(format!("Cannot sign a request to {url}: {e}")))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect())
}

/// `name=value&...`, each part encoded as botocore encodes query values.
fn encode(params: &[(&str, &str)]) -> String {
    params
        .iter()
        .map(|(name, value)| {
            format!(
                "{}={}",
                utf8_percent_encode(name, QUERY_VALUE),
                utf8_percent_encode(value, QUERY_VALUE)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn credentials() -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into()),
            session_token: Secret::new("to+ken/=".into()),
            expiration: time::macros::datetime!(2030-01-01 00:00 UTC),
        }
    }

    #[test]
    fn the_url_is_laid_out_as_botocore_lays_it_out() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_440_938_160); // 2015-08-30T12:36:00Z
        let url = presign(
            &Request {
                url: "https://sts.us-east-1.amazonaws.com/",
                params: &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
                headers: &[("x-k8s-aws-id", "my cluster")],
                service: "sts",
                region: "us-east-1",
                expires_in: Duration::from_secs(60),
            },
            &credentials(),
            at,
        )
        .unwrap();
        let (head, signature) = url.rsplit_once("&X-Amz-Signature=").unwrap();
        assert_eq!(
            head,
            "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15\
             &X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIDEXAMPLE%2F20150830%2Fus-east-1%2Fsts%2Faws4_request\
             &X-Amz-Date=20150830T123600Z&X-Amz-Expires=60\
             &X-Amz-SignedHeaders=host%3Bx-k8s-aws-id&X-Amz-Security-Token=to%2Bken%2F%3D"
        );
        assert_eq!(signature.len(), 64);
        assert!(signature.bytes().all(|b| b.is_ascii_hexdigit()));
        // Another header value is another signature: the header is signed.
        let other = presign(
            &Request {
                url: "https://sts.us-east-1.amazonaws.com/",
                params: &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")],
                headers: &[("x-k8s-aws-id", "other")],
                service: "sts",
                region: "us-east-1",
                expires_in: Duration::from_secs(60),
            },
            &credentials(),
            at,
        )
        .unwrap();
        assert_ne!(other.rsplit_once('=').unwrap().1, signature);
    }
}
