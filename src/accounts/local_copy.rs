//! The local copy of an org's config, so a warm run resolves `--account prod` with no network
//! call, and the fetch that refreshes it, once for every `p0` process asking at the same time.

use super::parse::Body;
use super::AwsConfig;
use crate::backend::Families;
use crate::cache::key::Entry;
use crate::cache::{Cache, CacheKey, EntryVersion};
use crate::error::Result;
use crate::p0::P0Client;
use crate::state::StateDir;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

/// A local copy of the config older than this is fetched again before use.
const LOCAL_COPY_MAX_AGE: time::Duration = time::Duration::hours(12);
/// A cold run (credentials not cached, so P0 is asked anyway) with a copy older than this
/// fetches the config again first (`Offline::resolve`).
pub const COLD_RUN_CONFIG_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// The local copy of an org's config, as fetched.
#[derive(Debug, Serialize)]
pub(super) struct LocalCopy<'a> {
    /// Epoch seconds.
    pub(super) fetched_at: i64,
    pub(super) body: &'a Value,
}

/// The local copy as read back: the body straight into an [`AwsConfig`], no JSON tree built.
#[derive(Deserialize)]
struct ReadCopy<'a> {
    fetched_at: i64,
    #[serde(borrow)]
    body: Body<'a>,
}

pub(super) fn local_copy_key(org: &str) -> CacheKey {
    Entry::AccountConfig { org: org.into() }.key()
}

/// `org`'s local copy, whatever its age: `(fetched_at, config)`. `None` without a copy, or
/// with one that is not a copy (not JSON, no `fetched_at`). `Error::UnsafeState` when the
/// copy cannot be trusted.
pub(super) fn read_local_copy(cache: &Cache, org: &str) -> Result<Option<(i64, AwsConfig)>> {
    let Some(bytes) = cache.read_bytes(&local_copy_key(org))? else {
        return Ok(None);
    };
    Ok(serde_json::from_slice::<ReadCopy>(&bytes)
        .ok()
        .map(|copy| (copy.fetched_at, copy.body.into_config())))
}

/// The org's config from the local copy, when there is one young enough. Every warm run
/// reads it, in one pass (`parse.rs`). `Error::UnsafeState` when the copy cannot be trusted.
pub(super) fn local_config(cache: &Cache, org: &str) -> Result<Option<AwsConfig>> {
    Ok(local_config_aged(cache, org)?.map(|(config, _)| config))
}

/// [`local_config`] with the copy's age, from the one read (the plan's offline pass decides
/// with it whether a cold run fetches the config again).
pub fn local_config_aged(
    cache: &Cache,
    org: &str,
) -> Result<Option<(AwsConfig, std::time::Duration)>> {
    let Some((fetched_at, config)) = read_local_copy(cache, org)? else {
        return Ok(None);
    };
    // Saturating: a hand-edited `fetched_at` far in the past or future is just not young
    // (RELIABILITY.md `Z6`: `i64::MIN` overflowed, a panic in a debug build).
    let age = OffsetDateTime::now_utc()
        .unix_timestamp()
        .saturating_sub(fetched_at);
    if !(0..LOCAL_COPY_MAX_AGE.whole_seconds()).contains(&age) {
        return Ok(None);
    }
    Ok(Some((
        config,
        std::time::Duration::from_secs(age.unsigned_abs()),
    )))
}

/// Which write of `org`'s local copy is on disk (see [`Cache::version`]).
pub fn local_copy_version(cache: &Cache, org: &str) -> Option<EntryVersion> {
    cache.version(&local_copy_key(org))
}

/// Keeps `body` (a config just fetched) as the org's local copy.
pub(super) fn store_local_config(cache: &Cache, org: &str, body: &Value) -> Result<()> {
    let copy = LocalCopy {
        fetched_at: OffsetDateTime::now_utc().unix_timestamp(),
        body,
    };
    cache.write(&local_copy_key(org), &copy)
}

/// The org's account config from P0 for a local copy that did not know the account: fetched
/// once for every `p0` process asking at the same time (a `make -j16` burst makes one call,
/// not sixteen). `seen` is the version of the copy the caller found wanting (read before it
/// read the copy): under the copy's lock, a copy another process wrote since is used instead
/// of fetching again, as P0's answer of a moment ago.
pub async fn fetch_config_once(
    ctx: &crate::context::Context,
    p0: &crate::p0::P0Connection,
    org: &str,
    seen: Option<EntryVersion>,
) -> Result<AwsConfig> {
    let cache = ctx.cache();
    let key = local_copy_key(org);
    let _lock = cache.lock(&key).await?;
    if cache.version(&key).is_some_and(|now| Some(now) != seen) {
        if let Some(config) = local_config(&cache, org)? {
            tracing::debug!("another p0 process fetched the account config");
            return Ok(config);
        }
    }
    fetch_config(p0.client(ctx).await?, &cache, org).await
}

/// Fetches the org's account config from P0 and keeps a local copy of it.
pub async fn fetch_config(client: &P0Client, cache: &Cache, org: &str) -> Result<AwsConfig> {
    let body: Value = client.get_json("integrations/aws/config").await?;
    if let Err(e) = store_local_config(cache, org, &body) {
        tracing::debug!("could not keep a local copy of the AWS config: {e}");
    }
    Ok(AwsConfig::from_response(&body))
}

/// The families of the logged-in org's accounts, from local files only (for `p0 aws --help`,
/// which must never wait on the network): `None` when nothing is known locally.
pub fn cached_families(state: &StateDir) -> Option<Families> {
    let org = crate::p0::stored_org(state).ok()??;
    let cache = Cache::new(state, std::time::Duration::ZERO);
    let (_, config) = read_local_copy(&cache, &org).ok()??;
    Some(config.families())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::Backend;
    use serde_json::json;

    #[test]
    fn help_families_come_from_local_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::at(dir.path(), "");
        assert_eq!(cached_families(&state), None, "not logged in");
        // An identity as P0's CLI writes it (§2.4): only the org slug is read.
        let identity = json!({
            "credential": {"access_token": "at", "id_token": "it", "expires_at": 1.0},
            "org": {"tenantId": "t", "auth": {"type": "sso"}, "slug": "acme"}
        });
        crate::state::write_private(&state.identity_path(), identity.to_string().as_bytes())
            .unwrap();
        assert_eq!(cached_families(&state), None, "no local copy yet");
        let body = json!({"config": {"iam-write": {"1": {"state": "installed",
            "login": {"type": "idc", "idcRegion": "r", "identityStoreId": "d"}}}}});
        store_local_config(
            &Cache::new(&state, std::time::Duration::ZERO),
            "acme",
            &body,
        )
        .unwrap();
        assert_eq!(
            cached_families(&state),
            Some(Families::from_iter([Backend::IdentityCenter]))
        );
    }

    /// A kept body reads back as the fetched one reads, whatever its fields hold.
    #[test]
    fn a_stored_config_reads_as_a_fetched_one() {
        let bodies = [
            json!({"config": {"iam-write": {
                "210987654321": {"label": "dev", "state": "installed",
                    "login": {"type": "idc", "parent": "o-1", "idcRegion": "us-west-2",
                              "identityStoreId": "d-1234567890"}},
                "123456789012": {"label": "pr\"od", "state": "installed",
                    "login": {"type": "federated", "provider": {"type": "okta",
                              "appId": "0oa", "identityProvider": "OktaP0",
                              "method": {"type": "saml"}}}},
                "1": {"state": "installed", "label": "", "login": {"type": "iam"}}
            }}}),
            json!({"config": {}}),
            json!({}),
            json!({"config": {"iam-write": "not a map"}}),
            json!({"config": {"iam-write": {"1": {"state": "installed", "label": 7}}}}),
        ];
        let shown = super::super::parse::tests::shown;
        for body in &bodies {
            let dir = tempfile::tempdir().unwrap();
            let cache = Cache::new(&StateDir::at(dir.path(), ""), std::time::Duration::ZERO);
            store_local_config(&cache, "acme", body).unwrap();
            let local = local_config(&cache, "acme").unwrap().unwrap();
            assert_eq!(
                shown(&local),
                shown(&AwsConfig::from_response(body)),
                "{body}"
            );
        }
    }

    #[test]
    fn local_copy_round_trips_and_ages_out() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(&StateDir::at(dir.path(), ""), std::time::Duration::ZERO);
        assert!(local_config(&cache, "acme").unwrap().is_none());
        let body = json!({"config": {"iam-write": {"1": {"state": "installed",
            "login": {"type": "idc", "idcRegion": "r", "identityStoreId": "d"}}}}});
        store_local_config(&cache, "acme", &body).unwrap();
        let (_, age) = local_config_aged(&cache, "acme").unwrap().unwrap();
        assert!(age < std::time::Duration::from_secs(60));
        assert_eq!(
            local_config(&cache, "acme").unwrap().unwrap().families(),
            Families::from_iter([Backend::IdentityCenter])
        );
        assert!(local_config(&cache, "other").unwrap().is_none());
        let old = LocalCopy {
            fetched_at: 0,
            body: &body,
        };
        cache.write(&local_copy_key("acme"), &old).unwrap();
        assert!(local_config(&cache, "acme").unwrap().is_none());
        // Not a copy: no `fetched_at`, or not JSON.
        for bytes in [&b"{\"body\": {}}"[..], b"{\"fetched_at\": 1, \"body\": "] {
            crate::state::write_private(&cache.path(&local_copy_key("acme")), bytes).unwrap();
            assert!(read_local_copy(&cache, "acme").unwrap().is_none());
        }
    }
}
