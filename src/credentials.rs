//! Temporary AWS credentials: the type every provider returns, how they are kept in the shared
//! cache (with what they were fetched for, checked on read), and when a cached set may be
//! reused.

use crate::cache::{Cache, CacheKey};
use crate::error::Result;
use crate::secret::Secret;
use serde::{Deserialize, Serialize};
use std::time::Duration;
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
    /// `AWS_CREDENTIAL_EXPIRATION`, the container endpoint and credential_process use.
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

/// Which account and role a set of credentials is for: checked against a cache entry on read,
/// and the link of the `P0_RUN_AS` chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub account_id: String,
    pub role: String,
}

/// A cached credential with what it was fetched for.
#[derive(Debug, Serialize, Deserialize)]
struct CredentialEntry {
    account_id: String,
    role: String,
    credentials: AwsCredentials,
}

/// Cached credentials for `key`, if they were fetched for `target` and have at least
/// `min_lifetime` left; `Error::UnsafeState` for an entry that cannot be trusted.
pub fn cached(
    cache: &Cache,
    key: &CacheKey,
    target: &Target,
    min_lifetime: time::Duration,
) -> Result<Option<AwsCredentials>> {
    let Some(entry) = cache.read::<CredentialEntry>(key)? else {
        return Ok(None);
    };
    if entry.account_id != target.account_id || entry.role != target.role {
        tracing::debug!("cache entry {} is for another role", key.file_stem());
        return Ok(None);
    }
    let left = entry.credentials.remaining();
    if left < min_lifetime {
        tracing::debug!("cached credentials have only {left} left");
        return Ok(None);
    }
    Ok(Some(entry.credentials))
}

pub fn store(
    cache: &Cache,
    key: &CacheKey,
    target: &Target,
    credentials: &AwsCredentials,
) -> Result<()> {
    cache.write(
        key,
        &CredentialEntry {
            account_id: target.account_id.clone(),
            role: target.role.clone(),
            credentials: credentials.clone(),
        },
    )
}

/// A cached credential as `p0 status` shows it: what it is for and when it expires, never
/// the keys.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The entry's name: what its source is (`cache::key::Entry::decode`).
    pub key: CacheKey,
    pub account_id: String,
    pub role: String,
    pub expiration: OffsetDateTime,
}

/// Every credential entry in the cache (entries of other kinds are skipped), in key order.
pub fn list(cache: &Cache) -> Vec<Listed> {
    cache
        .entries()
        .into_iter()
        .filter_map(|key| {
            let entry: CredentialEntry = cache.read(&key).ok().flatten()?;
            Some(Listed {
                key: key.clone(),
                account_id: entry.account_id,
                role: entry.role,
                expiration: entry.credentials.expiration,
            })
        })
        .collect()
}

/// When cached credentials may be reused.
#[derive(Debug, Clone, Copy)]
pub struct Reuse {
    /// Only credentials stored after the request began count (`--refresh-credentials`).
    pub force_refresh: bool,
    pub min_lifetime: time::Duration,
}

impl Reuse {
    /// Reuse cached credentials with `min_lifetime` left (the configured minimum), unless
    /// `force_refresh`.
    pub fn new(min_lifetime: Duration, force_refresh: bool) -> Reuse {
        Reuse {
            force_refresh,
            min_lifetime: time::Duration::try_from(min_lifetime).unwrap_or(time::Duration::MAX),
        }
    }

    /// For renewing `held`: only cached credentials that outlive it will do (another process's
    /// renewal qualifies, the entry `held` came from does not), and never less than the
    /// configured minimum, even when `held` has already expired.
    pub fn to_replace(self, held: &AwsCredentials) -> Reuse {
        Reuse {
            force_refresh: false,
            min_lifetime: self
                .min_lifetime
                .max(held.remaining() + time::Duration::seconds(1)),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::state::StateDir;

    pub(crate) fn credentials(id: &str, lifetime: time::Duration) -> AwsCredentials {
        AwsCredentials {
            access_key_id: id.into(),
            secret_access_key: Secret::new("secret".into()),
            session_token: Secret::new("token".into()),
            expiration: OffsetDateTime::now_utc() + lifetime,
        }
    }

    const FIVE_MINUTES: Duration = Duration::from_secs(300);

    #[test]
    fn stores_and_reuses_credentials_with_enough_lifetime() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(&StateDir::at(dir.path(), ""), Duration::from_secs(5));
        let key = CacheKey::new(&["aws", "okta", "acme", "123456789012", "Admin"]);
        let admin = Target {
            account_id: "123456789012".into(),
            role: "Admin".into(),
        };
        let min = Reuse::new(FIVE_MINUTES, false).min_lifetime;
        assert!(cached(&cache, &key, &admin, min).unwrap().is_none());
        let hour = credentials("ASIAEXAMPLE", time::Duration::hours(1));
        store(&cache, &key, &admin, &hour).unwrap();
        assert_eq!(
            cached(&cache, &key, &admin, min)
                .unwrap()
                .unwrap()
                .access_key_id,
            "ASIAEXAMPLE"
        );
        let other = Target {
            role: "Other".into(),
            ..admin.clone()
        };
        assert!(cached(&cache, &key, &other, min).unwrap().is_none());

        let short = credentials("ASIASHORT", time::Duration::minutes(2));
        store(&cache, &key, &admin, &short).unwrap();
        assert!(cached(&cache, &key, &admin, min).unwrap().is_none());
    }

    #[test]
    fn listing_shows_credential_entries_only() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(&StateDir::at(dir.path(), ""), Duration::from_secs(5));
        let key = CacheKey::new(&["aws", "okta", "acme", "123456789012", "p0-grants/Ro"]);
        let target = Target {
            account_id: "123456789012".into(),
            role: "p0-grants/Ro".into(),
        };
        store(
            &cache,
            &key,
            &target,
            &credentials("ASIA", time::Duration::hours(1)),
        )
        .unwrap();
        let other = CacheKey::new(&["aws-idc-token", "us-west-2", "https://x"]);
        cache
            .write(
                &other,
                &serde_json::json!({"access_token": "t", "expires_at": 1}),
            )
            .unwrap();
        let listed = list(&cache);
        assert_eq!(listed.len(), 1, "{listed:?}");
        assert_eq!(listed[0].role, "p0-grants/Ro");
        assert_eq!(listed[0].key, key);
    }

    #[test]
    fn a_renewal_wants_credentials_that_outlive_the_held_ones() {
        let configured = Reuse::new(FIVE_MINUTES, true);
        let held = credentials("ASIA", time::Duration::hours(1));
        let reuse = configured.to_replace(&held);
        assert!(reuse.min_lifetime > held.remaining());
        assert!(!reuse.force_refresh, "another process's renewal will do");
        // Held credentials that expired (a laptop asleep) must not let expired ones through.
        let expired = credentials("ASIA", -time::Duration::hours(2));
        assert_eq!(
            configured.to_replace(&expired).min_lifetime,
            time::Duration::minutes(5)
        );
    }

    #[test]
    fn expiration_is_shown_to_the_second_in_utc() {
        let credentials = AwsCredentials {
            expiration: time::macros::datetime!(2026-11-22 14:26:06.868841 +01:00),
            ..credentials("A", time::Duration::ZERO)
        };
        assert_eq!(credentials.expiration_rfc3339(), "2026-11-22T13:26:06Z");
    }
}

/// Cache entries, fuzzed (RELIABILITY.md `Z8`): any bytes in an entry are used (only when for
/// this role, with lifetime enough) or ignored and fetched again, never a panic; what `store`
/// writes reads back. Longer: `PROPTEST_CASES=100000 cargo test --release fuzz::`.
#[cfg(test)]
mod fuzz {
    use super::*;
    use crate::cache::{Cache, CacheKey};
    use crate::fuzzing::config;
    use crate::state::StateDir;
    use proptest::prelude::*;
    use serde_json::{json, Value};
    use std::time::Duration;

    fn field() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(json!("123456789012")),
            Just(json!("Admin")),
            Just(json!("2099-01-01T00:00:00Z")),
            Just(json!("9999-12-31T23:59:59.999999999+23:59")),
            Just(json!("0000-01-01T00:00:00-23:59")),
            Just(json!("2026-13-40T25:61:61Z")),
            crate::p0::fuzz::json_value(),
        ]
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn any_entry_is_used_or_ignored(
            account in field(), role in field(), key_id in field(), secret in field(),
            token in field(), expiration in field(),
            bytes in prop::collection::vec(any::<u8>(), 0..400),
            cut in 0usize..400,
            min_lifetime in -100_000i64..100_000,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let cache = Cache::new(&StateDir::at(dir.path(), ""), Duration::ZERO);
            let key = CacheKey::new(&["aws", "okta", "acme", "123456789012", "Admin"]);
            let target = Target { account_id: "123456789012".into(), role: "Admin".into() };
            let entry = serde_json::to_vec(&json!({
                "account_id": account, "role": role,
                "credentials": {"access_key_id": key_id, "secret_access_key": secret,
                    "session_token": token, "expiration": expiration},
            }))
            .unwrap();
            let mut cut_entry = entry.clone();
            cut_entry.truncate(cut);
            let min_lifetime = time::Duration::seconds(min_lifetime);
            for contents in [entry, cut_entry, bytes] {
                crate::state::write_private(&cache.path(&key), &contents).unwrap();
                if let Some(found) = cached(&cache, &key, &target, min_lifetime).unwrap() {
                    prop_assert!(found.remaining() >= min_lifetime);
                    let _ = found.expiration_rfc3339();
                }
            }
        }

        #[test]
        fn stored_credentials_read_back(
            key_id in "[A-Z0-9]{16,20}", secret in ".{0,60}", token in ".{0,300}",
            lifetime in 400i64..100_000,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let cache = Cache::new(&StateDir::at(dir.path(), ""), Duration::ZERO);
            let key = CacheKey::new(&["aws", "idc", "acme", "123456789012", "Admin"]);
            let target = Target { account_id: "123456789012".into(), role: "Admin".into() };
            let credentials = AwsCredentials {
                access_key_id: key_id,
                secret_access_key: Secret::new(secret),
                session_token: Secret::new(token),
                expiration: OffsetDateTime::now_utc() + time::Duration::seconds(lifetime),
            };
            store(&cache, &key, &target, &credentials).unwrap();
            let found = cached(&cache, &key, &target, time::Duration::seconds(300)).unwrap().expect("just stored");
            prop_assert_eq!(&found.access_key_id, &credentials.access_key_id);
            prop_assert_eq!(found.secret_access_key.expose(), credentials.secret_access_key.expose());
            prop_assert_eq!(found.session_token.expose(), credentials.session_token.expose());
            prop_assert_eq!(found.expiration, credentials.expiration);
            let other = Target { account_id: "123456789012".into(), role: "Other".into() };
            prop_assert!(cached(&cache, &key, &other, time::Duration::ZERO).unwrap().is_none());
        }
    }
}
