//! FBA's two-level cache (contract §8.1): an in-process level in front of the Kv store, for
//! read-mostly rows (config, dict data). Values are JSON under the caller's key (`fba:cache:…`).
//!
//! - [`Cache::get_or_load`]: the local level (while it is trusted), then the Kv store (written
//!   with `CACHE_REDIS_TTL`), then the loader; `None` is never cached.
//! - [`Cache::invalidate_prefix`]: deletes the prefix in the Kv store, forgets it locally and
//!   announces `{"key": prefix, "is_delete_prefix": true}` on `CACHE_PUBSUB_CHANNEL`, which
//!   every replica's [`Cache::watch`] applies to its local level.
//! - The local level is only used while the channel is subscribed (a replica that might miss
//!   an invalidation reads the Kv store instead), and an epoch refuses a fill that raced with
//!   an invalidation.
//! - A Kv store that does not answer never fails a read: the value is loaded from the database
//!   (and not cached); an invalidation that cannot reach it fails with 503, as FBA's atomic
//!   mode answers 500.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use fba_core_conf::Settings;
use fba_db::SharedKv;
use fba_db::kv::Delivery;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::AppResult;

/// The two-level cache of one app.
pub struct Cache {
    kv: SharedKv,
    channel: String,
    local_enabled: bool,
    local_ttl: Duration,
    max_entries: usize,
    kv_ttl: Duration,
    local: RwLock<HashMap<String, (Instant, Arc<str>)>>,
    live: AtomicBool,
    epoch: AtomicU64,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("local_enabled", &self.local_enabled)
            .field("live", &self.live.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// An invalidation as FBA publishes it.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Invalidation {
    key: String,
    #[serde(default)]
    is_delete_prefix: bool,
}

impl Cache {
    /// A cache over `kv` with `CACHE_*` settings; its local level stays off until
    /// [`Cache::watch`] subscribes.
    pub fn new(settings: &Settings, kv: SharedKv) -> Self {
        let c = &settings.cache;
        Self {
            kv,
            channel: c.pubsub_channel.clone(),
            local_enabled: c.local_enabled,
            local_ttl: Duration::from_secs(c.local_ttl_secs),
            max_entries: usize::try_from(c.local_maxsize).unwrap_or(usize::MAX),
            kv_ttl: Duration::from_secs(c.redis_ttl_secs),
            local: RwLock::new(HashMap::new()),
            live: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
        }
    }

    fn local_usable(&self) -> bool {
        self.local_enabled && self.live.load(Ordering::Acquire)
    }

    /// The value under `key`: from the local level, else the Kv store, else `load` (whose
    /// `Some` is stored in both levels).
    ///
    /// # Errors
    /// `load`'s error.
    pub async fn get_or_load<T, F, Fut>(&self, key: &str, load: F) -> AppResult<Option<T>>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = AppResult<Option<T>>>,
    {
        let epoch = self.epoch.load(Ordering::Acquire);
        if self.local_usable()
            && let Some(json) = self.local_get(key)
            && let Ok(value) = serde_json::from_str::<T>(&json)
        {
            return Ok(Some(value));
        }
        let kv_ok = match self.kv.get(key).await {
            Ok(Some(json)) => {
                if let Ok(value) = serde_json::from_str::<T>(&json) {
                    self.local_put(key, json.into(), epoch);
                    return Ok(Some(value));
                }
                true
            }
            Ok(None) => true,
            Err(e) => {
                tracing::warn!(error = %e, key, "cache read skipped: kv store unavailable");
                false
            }
        };
        let Some(value) = load().await? else {
            return Ok(None);
        };
        if kv_ok && let Ok(json) = serde_json::to_string(&value) {
            // Only cache what no invalidation raced with.
            if self.epoch.load(Ordering::Acquire) == epoch {
                if let Err(e) = self.kv.set(key, &json, Some(self.kv_ttl)).await {
                    tracing::warn!(error = %e, key, "cache write skipped");
                } else {
                    self.local_put(key, json.into(), epoch);
                }
            }
        }
        Ok(Some(value))
    }

    /// Forgets every key starting with `prefix`: in the Kv store, here, and on every replica.
    ///
    /// # Errors
    /// [`crate::AppError::Unavailable`] when the Kv store cannot be reached.
    pub async fn invalidate_prefix(&self, prefix: &str) -> AppResult<()> {
        self.forget_local(prefix, true);
        self.kv.delete_prefix(prefix).await?;
        let message = Invalidation {
            key: prefix.to_owned(),
            is_delete_prefix: true,
        };
        let message = serde_json::to_string(&message).unwrap_or_default();
        if let Err(e) = self.kv.publish(&self.channel, &message).await {
            tracing::warn!(error = %e, prefix, "cache invalidation not announced");
        }
        Ok(())
    }

    fn local_get(&self, key: &str) -> Option<Arc<str>> {
        let map = self.local.read().ok()?;
        let (at, json) = map.get(key)?;
        (at.elapsed() < self.local_ttl).then(|| Arc::clone(json))
    }

    fn local_put(&self, key: &str, json: Arc<str>, epoch: u64) {
        if !self.local_usable() {
            return;
        }
        let Ok(mut map) = self.local.write() else {
            return;
        };
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if map.len() >= self.max_entries {
            let ttl = self.local_ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
            if map.len() >= self.max_entries {
                return;
            }
        }
        map.insert(key.to_owned(), (Instant::now(), json));
    }

    fn forget_local(&self, key: &str, prefix: bool) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut map) = self.local.write() {
            if prefix {
                map.retain(|k, _| !k.starts_with(key));
            } else {
                map.remove(key);
            }
        }
    }

    fn forget_all(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Ok(mut map) = self.local.write() {
            map.clear();
        }
    }

    /// Subscribes to the invalidations of every replica and trusts the local level while
    /// subscribed (emptied and unused while the channel is down).
    ///
    /// # Errors
    /// The Kv store refused the subscription.
    pub async fn watch(self: &Arc<Self>) -> AppResult<tokio::task::JoinHandle<()>> {
        let mut sub = self.kv.subscribe(&self.channel).await?;
        self.live.store(true, Ordering::Release);
        let this = Arc::downgrade(self);
        Ok(tokio::spawn(async move {
            while let Some(delivery) = sub.next().await {
                let Some(cache) = this.upgrade() else { return };
                match delivery {
                    Delivery::Message(message) => {
                        match serde_json::from_str::<Invalidation>(&message) {
                            Ok(i) => cache.forget_local(&i.key, i.is_delete_prefix),
                            Err(_) => cache.forget_all(),
                        }
                    }
                    Delivery::Interrupted => {
                        cache.live.store(false, Ordering::Release);
                        cache.forget_all();
                    }
                    Delivery::Resumed => {
                        cache.forget_all();
                        cache.live.store(true, Ordering::Release);
                    }
                }
            }
            if let Some(cache) = this.upgrade() {
                cache.live.store(false, Ordering::Release);
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> Arc<Cache> {
        let settings =
            Settings::from_source(&fba_core_conf::Source::default()).expect("default settings");
        Arc::new(Cache::new(&settings, Arc::new(fba_db::kv::MemoryKv::new())))
    }

    #[tokio::test]
    async fn loads_once_then_serves_cached_until_invalidated() {
        let cache = cache();
        let _watch = cache.watch().await.unwrap();
        let calls = std::sync::atomic::AtomicU32::new(0);
        let load = |v: i32| {
            calls.fetch_add(1, Ordering::SeqCst);
            async move { Ok(Some(v)) }
        };
        assert_eq!(
            cache
                .get_or_load("fba:cache:x:1", || load(1))
                .await
                .unwrap(),
            Some(1)
        );
        assert_eq!(
            cache
                .get_or_load("fba:cache:x:1", || load(2))
                .await
                .unwrap(),
            Some(1)
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        cache.invalidate_prefix("fba:cache:x").await.unwrap();
        assert_eq!(
            cache
                .get_or_load("fba:cache:x:1", || load(3))
                .await
                .unwrap(),
            Some(3)
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn none_is_not_cached() {
        let cache = cache();
        let none = cache
            .get_or_load::<i32, _, _>("k", || async { Ok(None) })
            .await
            .unwrap();
        assert_eq!(none, None);
        let some = cache
            .get_or_load("k", || async { Ok(Some(5)) })
            .await
            .unwrap();
        assert_eq!(some, Some(5));
    }

    #[tokio::test]
    async fn another_replica_sees_the_invalidation() {
        let settings =
            Settings::from_source(&fba_core_conf::Source::default()).expect("default settings");
        let kv: SharedKv = Arc::new(fba_db::kv::MemoryKv::new());
        let a = Arc::new(Cache::new(&settings, Arc::clone(&kv)));
        let b = Arc::new(Cache::new(&settings, kv));
        let _wa = a.watch().await.unwrap();
        let _wb = b.watch().await.unwrap();
        assert_eq!(
            b.get_or_load("p:1", || async { Ok(Some(1)) })
                .await
                .unwrap(),
            Some(1)
        );
        a.invalidate_prefix("p:").await.unwrap();
        for _ in 0..50 {
            if b.local_get("p:1").is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            b.get_or_load("p:1", || async { Ok(Some(2)) })
                .await
                .unwrap(),
            Some(2)
        );
    }
}
