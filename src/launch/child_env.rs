//! The child's environment: the parent's, cleaned of whatever would shadow `p0`'s credentials,
//! plus those credentials (static variables, or the loopback endpoint), the region and the
//! `P0_RUN_AS` marker. The parent's own environment is never modified.

use crate::credentials::AwsCredentials;
use crate::env::{self, child};
use crate::error::{Error, Result};
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// Static credential variables: any one left over from an enclosing run would win over the
/// container endpoint, or pair a stale token with new keys.
const STATIC_CREDENTIAL_VARS: &[&str] = &[
    child::AWS_ACCESS_KEY_ID,
    child::AWS_SECRET_ACCESS_KEY,
    child::AWS_SESSION_TOKEN,
    child::AWS_SECURITY_TOKEN,
    child::AWS_CREDENTIAL_EXPIRATION,
];

const ENDPOINT_VARS: &[&str] = &[
    child::AWS_CONTAINER_CREDENTIALS_FULL_URI,
    child::AWS_CONTAINER_AUTHORIZATION_TOKEN,
];

/// Separates the links of a nested `P0_RUN_AS` chain (`123/Admin>456/Dev`).
const CHAIN_SEPARATOR: char = '>';

/// The complete environment a child starts with (it is passed whole, never merged with ours).
#[derive(Clone)]
pub struct ChildEnv {
    vars: BTreeMap<OsString, OsString>,
}

impl ChildEnv {
    /// This process's environment, cleaned, with `marker` (from [`check_nesting`]) and, when
    /// given, the region in both `AWS_REGION` and `AWS_DEFAULT_REGION`. Credentials come next,
    /// from [`ChildEnv::with_credentials`] or the supervisor.
    pub fn inherit(marker: &str, region: Option<&str>) -> Self {
        Self::from_vars(env::all_os(), marker, region)
    }

    /// As [`ChildEnv::inherit`], from an explicit parent environment.
    pub fn from_vars(
        parent: impl IntoIterator<Item = (OsString, OsString)>,
        marker: &str,
        region: Option<&str>,
    ) -> Self {
        let mut vars: BTreeMap<OsString, OsString> = parent.into_iter().collect();
        for name in env::REMOVED_FROM_CHILD
            .iter()
            .chain(STATIC_CREDENTIAL_VARS)
            .chain(ENDPOINT_VARS)
        {
            vars.remove(OsStr::new(name));
        }
        if let Some(region) = region {
            vars.insert(child::AWS_REGION.into(), region.into());
            vars.insert(child::AWS_DEFAULT_REGION.into(), region.into());
        }
        vars.insert(child::P0_RUN_AS.into(), marker.into());
        ChildEnv { vars }
    }

    /// The same environment carrying `credentials` as static variables (what `exec` and
    /// `--restart` children get).
    pub fn with_credentials(&self, credentials: &AwsCredentials) -> Self {
        let mut next = self.without_credentials();
        let token = credentials.session_token.expose();
        next.set(child::AWS_ACCESS_KEY_ID, &credentials.access_key_id);
        next.set(
            child::AWS_SECRET_ACCESS_KEY,
            credentials.secret_access_key.expose(),
        );
        next.set(child::AWS_SESSION_TOKEN, token);
        next.set(child::AWS_SECURITY_TOKEN, token);
        next.set(
            child::AWS_CREDENTIAL_EXPIRATION,
            &iso8601_utc(credentials.expiration),
        );
        next
    }

    /// The same environment pointing the child's SDK at a credential endpoint, with no static
    /// keys (they would win over the endpoint and never refresh).
    pub fn with_endpoint(&self, uri: &str, token: &Secret<String>) -> Self {
        let mut next = self.without_credentials();
        next.set(child::AWS_CONTAINER_CREDENTIALS_FULL_URI, uri);
        next.set(child::AWS_CONTAINER_AUTHORIZATION_TOKEN, token.expose());
        next
    }

    /// The same environment with `name` set to `value` (the private AWS files of a
    /// supervised child).
    pub fn with_var(&self, name: &str, value: impl Into<OsString>) -> Self {
        let mut next = self.clone();
        next.vars.insert(name.into(), value.into());
        next
    }

    /// A variable's value in the child's environment.
    pub fn get(&self, name: &str) -> Option<&OsStr> {
        self.vars.get(OsStr::new(name)).map(OsString::as_os_str)
    }

    /// Every variable, for `Command::envs` after `env_clear`, or for `execve`.
    pub fn vars(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.as_os_str(), v.as_os_str()))
    }

    fn without_credentials(&self) -> Self {
        let mut next = self.clone();
        for name in STATIC_CREDENTIAL_VARS.iter().chain(ENDPOINT_VARS) {
            next.vars.remove(OsStr::new(name));
        }
        next
    }

    fn set(&mut self, name: &str, value: &str) {
        self.vars.insert(name.into(), value.into());
    }
}

impl std::fmt::Debug for ChildEnv {
    /// Names only: the values include secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.vars.keys()).finish()
    }
}

/// `2026-01-02T03:04:05Z`: what the SDKs parse in `AWS_CREDENTIAL_EXPIRATION` and the
/// container endpoint's `Expiration`.
pub(crate) fn iso8601_utc(at: OffsetDateTime) -> String {
    at.to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at)
        .format(&Rfc3339)
        .expect("a UTC date in the common era formats as RFC 3339")
}

/// Checks a nested run against the enclosing chain in `P0_RUN_AS` and returns the marker for
/// this run's child. `account` should be the resolved account id, so a label and an id of the
/// same account are the same link.
pub fn check_nesting(account: &str, role: &str) -> Result<String> {
    extend_chain(env::get(env::read::P0_RUN_AS).as_deref(), account, role)
}

/// How often one account/role may already stand in the chain. Once is a legitimate pattern
/// (`p0 run-as --role Admin -- make`, whose targets call `p0 run-as --role Admin` again);
/// twice more means a command that keeps running itself (a wrapper named like the command it
/// wraps), which would otherwise recurse without end.
const MAX_REPEATS_OF_A_LINK: usize = 2;

/// Refuses only a true cycle (see `MAX_REPEATS_OF_A_LINK`). Any other nesting is fine,
/// whatever AWS variables the parent holds: the inner run wins for its own child.
pub fn extend_chain(enclosing: Option<&str>, account: &str, role: &str) -> Result<String> {
    let link = format!("{account}/{role}");
    let Some(chain) = enclosing.filter(|c| !c.is_empty()) else {
        return Ok(link);
    };
    if chain.split(CHAIN_SEPARATOR).filter(|l| *l == link).count() >= MAX_REPEATS_OF_A_LINK {
        return Err(Error::RunAsCycle(link));
    }
    Ok(format!("{chain}{CHAIN_SEPARATOR}{link}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn parent() -> Vec<(OsString, OsString)> {
        [
            ("PATH", "/usr/bin:/bin"),
            ("HOME", "/home/alice"),
            ("MY_VAR", "kept"),
            ("AWS_PROFILE", "prod"),
            ("AWS_DEFAULT_PROFILE", "prod"),
            ("AWS_CREDENTIAL_FILE", "/x"),
            ("AWS_SDK_LOAD_CONFIG", "1"),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x"),
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "http://127.0.0.1:1/old",
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "old-token"),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/tok"),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/wit"),
            ("AWS_ROLE_ARN", "arn:aws:iam::1:role/x"),
            ("AWS_ACCESS_KEY_ID", "AKIAOUTER"),
            ("AWS_SECRET_ACCESS_KEY", "outer-secret"),
            ("AWS_SESSION_TOKEN", "outer-token"),
            ("AWS_SECURITY_TOKEN", "outer-token"),
            ("AWS_CREDENTIAL_EXPIRATION", "2020-01-01T00:00:00Z"),
            ("AWS_REGION", "eu-west-1"),
            ("P0_RUN_AS", "111/Outer"),
        ]
        .into_iter()
        .map(|(k, v)| (k.into(), v.into()))
        .collect()
    }

    fn credentials() -> AwsCredentials {
        AwsCredentials {
            access_key_id: "ASIANEW".into(),
            secret_access_key: Secret::new("new-secret".into()),
            session_token: Secret::new("new-token".into()),
            expiration: datetime!(2030-01-02 03:04:05.678 UTC),
        }
    }

    fn value<'a>(env: &'a ChildEnv, name: &str) -> Option<&'a str> {
        env.get(name).map(|v| v.to_str().unwrap())
    }

    #[test]
    fn static_credentials_replace_everything_that_would_shadow_them() {
        let env = ChildEnv::from_vars(parent(), "111/Outer>222/Inner", Some("us-east-2"))
            .with_credentials(&credentials());
        for removed in env::REMOVED_FROM_CHILD {
            assert_eq!(env.get(removed), None, "{removed} must be removed");
        }
        assert_eq!(value(&env, "AWS_ACCESS_KEY_ID"), Some("ASIANEW"));
        assert_eq!(value(&env, "AWS_SECRET_ACCESS_KEY"), Some("new-secret"));
        assert_eq!(value(&env, "AWS_SESSION_TOKEN"), Some("new-token"));
        assert_eq!(value(&env, "AWS_SECURITY_TOKEN"), Some("new-token"));
        assert_eq!(
            value(&env, "AWS_CREDENTIAL_EXPIRATION"),
            Some("2030-01-02T03:04:05Z")
        );
        assert_eq!(value(&env, "AWS_REGION"), Some("us-east-2"));
        assert_eq!(value(&env, "AWS_DEFAULT_REGION"), Some("us-east-2"));
        assert_eq!(value(&env, "P0_RUN_AS"), Some("111/Outer>222/Inner"));
        assert_eq!(value(&env, "PATH"), Some("/usr/bin:/bin"));
        assert_eq!(value(&env, "HOME"), Some("/home/alice"));
        assert_eq!(value(&env, "MY_VAR"), Some("kept"));
    }

    #[test]
    fn without_a_region_the_parents_region_passes_through() {
        let env = ChildEnv::from_vars(parent(), "1/R", None);
        assert_eq!(value(&env, "AWS_REGION"), Some("eu-west-1"));
        assert_eq!(env.get("AWS_DEFAULT_REGION"), None);
    }

    #[test]
    fn an_endpoint_child_gets_no_static_keys() {
        let base = ChildEnv::from_vars(parent(), "1/R", None);
        let env = base
            .with_credentials(&credentials())
            .with_endpoint("http://127.0.0.1:9/abc", &Secret::new("tok".into()));
        for name in STATIC_CREDENTIAL_VARS {
            assert_eq!(env.get(name), None, "{name} would win over the endpoint");
        }
        assert_eq!(
            value(&env, "AWS_CONTAINER_CREDENTIALS_FULL_URI"),
            Some("http://127.0.0.1:9/abc")
        );
        assert_eq!(
            value(&env, "AWS_CONTAINER_AUTHORIZATION_TOKEN"),
            Some("tok")
        );
        assert_eq!(env.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), None);
        assert_eq!(env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), None);
        // And back: static credentials drop the endpoint.
        let back = env.with_credentials(&credentials());
        assert_eq!(back.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"), None);
        assert_eq!(back.get("AWS_CONTAINER_AUTHORIZATION_TOKEN"), None);
    }

    #[test]
    fn debug_shows_names_not_values() {
        let env = ChildEnv::from_vars(parent(), "1/R", None).with_credentials(&credentials());
        let shown = format!("{env:?}");
        assert!(shown.contains("AWS_SECRET_ACCESS_KEY"), "{shown}");
        assert!(!shown.contains("new-secret"), "{shown}");
    }

    #[test]
    fn nesting_extends_the_chain_and_refuses_only_cycles() {
        assert_eq!(extend_chain(None, "111", "Admin").unwrap(), "111/Admin");
        assert_eq!(extend_chain(Some(""), "111", "Admin").unwrap(), "111/Admin");
        assert_eq!(
            extend_chain(Some("111/Admin"), "222", "Dev").unwrap(),
            "111/Admin>222/Dev"
        );
        // The same role in another account, or another role in the same account, is no cycle.
        assert_eq!(
            extend_chain(Some("111/Admin>222/Dev"), "111", "Dev").unwrap(),
            "111/Admin>222/Dev>111/Dev"
        );
        // Nesting the same role once more is a Makefile calling p0 under p0, not a cycle ...
        assert_eq!(
            extend_chain(Some("111/Admin>222/Dev"), "111", "Admin").unwrap(),
            "111/Admin>222/Dev>111/Admin"
        );
        // ... a third time is a command running itself.
        let cycle = extend_chain(Some("111/Admin>222/Dev>111/Admin"), "111", "Admin").unwrap_err();
        assert!(matches!(cycle, Error::RunAsCycle(ref link) if link == "111/Admin"));
        // A link is matched whole, not as a prefix.
        assert!(extend_chain(Some("111/Admin2"), "111", "Admin").is_ok());
    }
}
