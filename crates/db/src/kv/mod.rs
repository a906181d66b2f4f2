//! The key-value store: everything FBA keeps in Redis (tokens, captcha codes, login failure
//! counters, locks, rate limits, cached rows, the cache-invalidation channel, snowflake node
//! leases) goes through the object-safe [`Kv`] trait.
//!
//! Two backends implement it with the same observable behaviour (one test suite runs against
//! both, `tests/kv.rs`):
//! - [`RedisKv`]: Redis through a `deadpool-redis` pool, for one or many processes;
//! - [`MemoryKv`]: process memory, for a single process without Redis.
//!
//! [`open`] picks one from settings. Business code holds a [`SharedKv`] and never knows which.
//! This module owns the store only; key names (`fba:token:…`) belong to the callers (their
//! catalogue is `fba_common::kv_keys`).

mod error;
mod memory;
mod redis;
mod redis_pubsub;
mod subscription;
mod types;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

pub use self::redis::RedisKv;
pub use error::{KvError, redis_unavailable};
pub use memory::MemoryKv;
pub use subscription::{Delivery, Subscription};
pub use types::{KeyTtl, KvBackend, RateDecision};

/// The store as business code holds it: shared, cheap to clone, backend unknown.
pub type SharedKv = Arc<dyn Kv>;

/// Redis-like operations on string values, sets, rate-limit logs and pub/sub channels.
///
/// Every method is atomic on its own. Keys are the caller's full key names (`fba:token:1:abc`);
/// a backend may prepend a namespace, which callers never see. TTLs are rounded up to whole
/// milliseconds (at least 1 ms).
///
/// Errors are [`KvError::Unavailable`] when the backend cannot be reached in time and
/// [`KvError::Command`] for everything else (for example a set operation on a string key).
#[async_trait]
pub trait Kv: Send + Sync + 'static {
    /// Which backend this is.
    fn backend(&self) -> KvBackend;

    /// Checks that the backend answers.
    ///
    /// # Errors
    /// [`KvError::Unavailable`] when it does not.
    async fn ping(&self) -> Result<(), KvError>;

    /// The string value of `key`, `None` when it is missing or expired.
    ///
    /// # Errors
    /// [`KvError::Command`] when `key` holds a set or a rate-limit log; see [`Kv`].
    async fn get(&self, key: &str) -> Result<Option<String>, KvError>;

    /// The string values of `keys`, in order; `None` for missing keys and keys of another type.
    ///
    /// # Errors
    /// See [`Kv`].
    async fn mget(&self, keys: &[String]) -> Result<Vec<Option<String>>, KvError>;

    /// Stores `value` under `key`, replacing any value and TTL; `ttl` `None` means no expiry.
    ///
    /// # Errors
    /// See [`Kv`].
    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), KvError>;

    /// Stores `value` only when `key` does not exist; `true` when it was stored (locks, leases).
    ///
    /// # Errors
    /// See [`Kv`].
    async fn set_nx(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<bool, KvError>;

    /// Deletes `key`; `true` when it existed.
    ///
    /// # Errors
    /// See [`Kv`].
    async fn del(&self, key: &str) -> Result<bool, KvError>;

    /// `true` when `key` exists (any type).
    ///
    /// # Errors
    /// See [`Kv`].
    async fn exists(&self, key: &str) -> Result<bool, KvError>;

    /// Sets the TTL of an existing key; `false` when the key does not exist.
    ///
    /// # Errors
    /// See [`Kv`].
    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool, KvError>;

    /// The remaining time to live of `key`.
    ///
    /// # Errors
    /// See [`Kv`].
    async fn ttl(&self, key: &str) -> Result<KeyTtl, KvError>;

    /// Atomically adds `by` to the integer in `key` (a missing key counts as 0) and returns the
    /// new value. `ttl_if_new` is applied only when this call creates the key; an existing TTL
    /// is kept.
    ///
    /// # Errors
    /// [`KvError::Command`] when the value is not an integer or the result overflows; see
    /// [`Kv`].
    async fn incr(&self, key: &str, by: i64, ttl_if_new: Option<Duration>) -> Result<i64, KvError>;

    /// Every existing key starting with `prefix`, sorted. `prefix` is literal (no glob
    /// characters); Redis is walked with `SCAN`, never `KEYS`.
    ///
    /// # Errors
    /// See [`Kv`].
    async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError>;

    /// Deletes every key starting with `prefix` (literal); returns how many were deleted. An
    /// empty prefix deletes every key (of the namespace).
    ///
    /// # Errors
    /// See [`Kv`]; keys deleted before the error stay deleted.
    async fn delete_prefix(&self, prefix: &str) -> Result<u64, KvError>;

    /// Adds `member` to the set in `key`; `true` when it was not there yet.
    ///
    /// # Errors
    /// [`KvError::Command`] when `key` is not a set; see [`Kv`].
    async fn sadd(&self, key: &str, member: &str) -> Result<bool, KvError>;

    /// Removes `member` from the set in `key`; `true` when it was there. An emptied set is
    /// deleted.
    ///
    /// # Errors
    /// [`KvError::Command`] when `key` is not a set; see [`Kv`].
    async fn srem(&self, key: &str, member: &str) -> Result<bool, KvError>;

    /// The members of the set in `key`, sorted; empty when the key is missing.
    ///
    /// # Errors
    /// [`KvError::Command`] when `key` is not a set; see [`Kv`].
    async fn smembers(&self, key: &str) -> Result<Vec<String>, KvError>;

    /// `true` when `member` is in the set in `key`.
    ///
    /// # Errors
    /// [`KvError::Command`] when `key` is not a set; see [`Kv`].
    async fn sismember(&self, key: &str, member: &str) -> Result<bool, KvError>;

    /// Records one hit in the sliding-window log `key` if fewer than `limit` hits happened in
    /// the last `window`. A denied hit is not recorded; its
    /// [`retry_after`](RateDecision::retry_after) is the time until the oldest hit leaves the
    /// window. The log expires `window` after its last recorded hit.
    ///
    /// # Errors
    /// [`KvError::Command`] when `key` holds another type; see [`Kv`].
    async fn rate_limit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RateDecision, KvError>;

    /// Sends `message` to every current subscriber of `channel` (fire and forget).
    ///
    /// # Errors
    /// See [`Kv`].
    async fn publish(&self, channel: &str, message: &str) -> Result<(), KvError>;

    /// Subscribes to `channel`. Once this returns, every later [`Kv::publish`] on the channel
    /// reaches the subscription until it is dropped. A Redis subscription reconnects by itself;
    /// messages published while it is disconnected are lost.
    ///
    /// # Errors
    /// See [`Kv`].
    async fn subscribe(&self, channel: &str) -> Result<Subscription, KvError>;

    /// Redis: the raw text of `INFO all` (incl. command stats); memory: `None`.
    ///
    /// # Errors
    /// See [`Kv`].
    async fn info(&self) -> Result<Option<String>, KvError>;
}

impl std::fmt::Debug for dyn Kv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kv({})", self.backend())
    }
}

/// Opens the store the settings ask for: [`RedisKv`] when Redis is configured (and answers),
/// else a fresh [`MemoryKv`].
///
/// # Errors
/// From [`RedisKv::connect`]; never for memory.
pub async fn open(redis: Option<&fba_core_conf::RedisSettings>) -> Result<SharedKv, KvError> {
    match redis {
        Some(settings) => {
            let kv = RedisKv::connect(settings).await?;
            tracing::info!(url = %settings.redacted_url(), "kv store: redis");
            Ok(Arc::new(kv))
        }
        None => {
            tracing::info!("kv store: process memory (no Redis configured)");
            Ok(Arc::new(MemoryKv::new()))
        }
    }
}

/// Rounds a TTL up to whole milliseconds, at least 1 ms, saturating at `u64::MAX`.
pub(crate) fn ttl_millis(ttl: Duration) -> u64 {
    let ms = ttl.as_nanos().div_ceil(1_000_000).max(1);
    u64::try_from(ms).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_rounds_up_to_whole_milliseconds() {
        assert_eq!(ttl_millis(Duration::ZERO), 1);
        assert_eq!(ttl_millis(Duration::from_micros(1)), 1);
        assert_eq!(ttl_millis(Duration::from_micros(1500)), 2);
        assert_eq!(ttl_millis(Duration::from_secs(2)), 2000);
        assert_eq!(ttl_millis(Duration::MAX), u64::MAX);
    }
}
