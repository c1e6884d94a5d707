//! The shared on-disk cache in front of any provider, with a single flight: the cache is read,
//! the entry's lock taken, the cache read again (whoever held the lock may have just fetched
//! exactly this), and only then the provider runs and its credentials are stored. Sixteen
//! `p0 run-as` from one `make -j` make one fetch; the other fifteen read its result.

use super::{Fetch, Provider};
use crate::cache::{Cache, CacheKey};
use crate::context::Context;
use crate::credentials::{self, AwsCredentials, Reuse, Target};
use crate::error::Result;
use std::future::Future;

pub struct Cached<P> {
    inner: P,
}

impl<P: Provider> Cached<P> {
    pub fn new(inner: P) -> Cached<P> {
        Cached { inner }
    }

    /// Credentials from the cache when `reuse` allows, else fetched once for every `p0`
    /// process asking at the same time.
    pub async fn credentials(&self, ctx: &Context, reuse: Reuse) -> Result<AwsCredentials> {
        single_flight(
            &ctx.cache(),
            &self.inner.cache_key(),
            &self.inner.target(),
            reuse,
            || self.inner.fetch(ctx, Fetch::default()),
        )
        .await
    }
}

/// Credentials from the cache alone, when `reuse` allows: no lock, no runtime, no network
/// (a warm run). An entry that cannot be trusted is `None` here; [`Cached::credentials`] reads
/// it again and reports why. The warm path names the entry (`key`, `target`) without building
/// the provider (`Plan::warm`).
pub fn from_cache(
    ctx: &Context,
    reuse: Reuse,
    key: &CacheKey,
    target: &Target,
) -> Option<AwsCredentials> {
    if reuse.force_refresh {
        return None;
    }
    let credentials = credentials::cached(&ctx.cache(), key, target, reuse.min_lifetime)
        .ok()
        .flatten()?;
    tracing::debug!("using cached credentials {}", key.file_stem());
    Some(credentials)
}

/// What a chained provider (AssumeRole over a cached Okta SAML) asks of its cached source,
/// besides its credentials: the cache key it names its own entry after, and whether fetching
/// would need a human. Not a [`Provider`] itself: nothing fetches through a `Cached` but
/// [`Cached::credentials`], which caches.
impl<P: Provider> Cached<P> {
    pub fn cache_key(&self) -> CacheKey {
        self.inner.cache_key()
    }

    pub fn check_unattended(&self, ctx: &Context) -> Result<()> {
        self.inner.check_unattended(ctx)
    }
}

/// The cache, else one `fetch` shared by every process asking for `key` at the same time.
async fn single_flight<F, Fut>(
    cache: &Cache,
    key: &CacheKey,
    target: &Target,
    reuse: Reuse,
    fetch: F,
) -> Result<AwsCredentials>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<AwsCredentials>>,
{
    let seen = cache.version(key);
    let cached = || credentials::cached(cache, key, target, reuse.min_lifetime);
    if !reuse.force_refresh {
        if let Some(credentials) = cached()? {
            tracing::debug!("using cached credentials {}", key.file_stem());
            return Ok(credentials);
        }
    }
    let _lock = cache.lock(key).await?;
    if !reuse.force_refresh || cache.version(key).is_some_and(|now| Some(now) != seen) {
        if let Some(credentials) = cached()? {
            tracing::debug!("another p0 process fetched {}", key.file_stem());
            return Ok(credentials);
        }
    }
    let credentials = fetch().await?;
    credentials::store(cache, key, target, &credentials)?;
    Ok(credentials)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::tests::credentials as fresh;
    use crate::error::Error;
    use crate::state::StateDir;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn fetches_once_for_concurrent_callers_and_reuses_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(&StateDir::at(dir.path(), ""), Duration::from_secs(10));
        let key = CacheKey::new(&["aws", "idc", "acme", "1", "Dev"]);
        let target = Target {
            account_id: "1".into(),
            role: "Dev".into(),
        };
        let reuse = |force| Reuse::new(Duration::from_secs(300), force);
        let fetches = AtomicU32::new(0);
        let fetch = || async {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(200)).await;
            Ok(fresh(&format!("ASIA{n}"), time::Duration::hours(1)))
        };
        let (a, b) = tokio::join!(
            single_flight(&cache, &key, &target, reuse(false), fetch),
            single_flight(&cache, &key, &target, reuse(false), fetch),
        );
        assert_eq!(a.unwrap().access_key_id, b.unwrap().access_key_id);
        assert_eq!(fetches.load(Ordering::SeqCst), 1);

        let cached = single_flight(&cache, &key, &target, reuse(false), fetch).await;
        assert_eq!(cached.unwrap().access_key_id, "ASIA0");
        let forced = single_flight(&cache, &key, &target, reuse(true), fetch).await;
        assert_eq!(forced.unwrap().access_key_id, "ASIA1");
        let failed = single_flight(&cache, &key, &target, reuse(true), || async {
            Err(Error::NoSamlAssertion)
        })
        .await;
        assert!(matches!(failed, Err(Error::NoSamlAssertion)));
        // A failed fetch leaves the last good entry alone.
        let cached = single_flight(&cache, &key, &target, reuse(false), fetch).await;
        assert_eq!(cached.unwrap().access_key_id, "ASIA1");
    }
}
