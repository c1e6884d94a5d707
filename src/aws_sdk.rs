//! The one way AWS SDK clients are built: an explicit region, the latest behavior version, no
//! credentials provider (every call `p0` makes is unsigned, bearer-authorized, or signed with
//! credentials it passes explicitly), and the standard `AWS_ENDPOINT_URL_*` overrides. Nothing
//! here reads the user's profiles or probes the EC2 metadata address.

use crate::env;
use aws_sdk_sts::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_types::retry::RetryConfig;

/// The endpoint override for one service: its own variable, then `AWS_ENDPOINT_URL`.
pub fn endpoint_override(service_variable: &str) -> Option<String> {
    env::get(service_variable).or_else(|| env::get(env::read::AWS_ENDPOINT_URL))
}

/// STS in `region`.
pub fn sts(region: &str) -> aws_sdk_sts::Client {
    let mut config = aws_sdk_sts::Config::builder()
        .behavior_version(aws_sdk_sts::config::BehaviorVersion::latest())
        .region(aws_sdk_sts::config::Region::new(region.to_string()));
    if let Some(url) = endpoint_override(env::read::AWS_ENDPOINT_URL_STS) {
        config = config.endpoint_url(url);
    }
    aws_sdk_sts::Client::from_conf(config.build())
}

/// The Identity Center OIDC service (client registration, device authorization, tokens).
pub fn sso_oidc(region: &str) -> aws_sdk_ssooidc::Client {
    let mut config = aws_sdk_ssooidc::Config::builder()
        .behavior_version(aws_sdk_ssooidc::config::BehaviorVersion::latest())
        .region(aws_sdk_ssooidc::config::Region::new(region.to_string()));
    if let Some(url) = endpoint_override(env::read::AWS_ENDPOINT_URL_SSO_OIDC) {
        config = config.endpoint_url(url);
    }
    aws_sdk_ssooidc::Client::from_conf(config.build())
}

/// The Identity Center portal (GetRoleCredentials). Its caller retries (a rejected token must
/// not be retried blindly), so the SDK does not.
pub fn sso(region: &str) -> aws_sdk_sso::Client {
    let mut config = aws_sdk_sso::Config::builder()
        .behavior_version(aws_sdk_sso::config::BehaviorVersion::latest())
        .region(aws_sdk_sso::config::Region::new(region.to_string()))
        .retry_config(RetryConfig::disabled());
    if let Some(url) = endpoint_override(env::read::AWS_ENDPOINT_URL_SSO) {
        config = config.endpoint_url(url);
    }
    aws_sdk_sso::Client::from_conf(config.build())
}

/// The message of an SDK failure: the service's code and message when it answered, otherwise
/// the whole error chain (connection refused, timeout, ...). Requests are never included.
pub fn describe_sdk_error<E, R>(error: &SdkError<E, R>) -> String
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
