//! [`MemoryKv`]: the [`Kv`] store in process memory, for a single process without Redis.
//!
//! Design: one `HashMap<String, Entry>` behind a `std::sync::Mutex`. Every operation takes the
//! lock once, does its whole read-modify-write and releases it before returning, so `incr`,
//! `set_nx` and `rate_limit` are atomic; the lock is never held across an `.await`. (A
//! concurrent cache such as `moka` was not used: it offers no atomic read-modify-write across
//! value types, which `incr`/`set_nx`/`rate_limit` need.)
//!
//! Expiry is checked lazily on every access, and a sweeper task (spawned when a Tokio runtime
//! is running) drops expired keys every 5 seconds; it holds only a weak reference and
//! stops when the last clone of the store is dropped. Pub/sub uses one
//! `tokio::sync::broadcast` channel per channel name. Time is `tokio::time::Instant`, so tests
//! with a paused Tokio clock see keys expire.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::broadcast;
use tokio::time::Instant;

use super::{KeyTtl, Kv, KvBackend, KvError, RateDecision, Subscription};

/// How often the sweeper drops expired keys and channels nobody listens to.
const SWEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Messages a subscriber may fall behind before it loses the oldest.
const CHANNEL_CAPACITY: usize = 1024;

const WRONG_TYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
const OVERFLOW: &str = "ERR increment or decrement would overflow";

/// The in-process [`Kv`] store. Clones share the same data.
#[derive(Clone)]
pub struct MemoryKv {
    inner: Arc<Inner>,
    namespace: Arc<str>,
}

#[derive(Default)]
struct Inner {
    data: Mutex<HashMap<String, Entry>>,
    channels: Mutex<HashMap<String, broadcast::Sender<String>>>,
}

struct Entry {
    value: Value,
    expires_at: Option<Instant>,
}

enum Value {
    Str(String),
    Set(HashSet<String>),
    /// Rate-limit hits, oldest first.
    Log(VecDeque<Instant>),
}

impl Entry {
    fn is_live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

impl std::fmt::Debug for MemoryKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryKv")
            .field("namespace", &self.namespace)
            .field("keys", &lock(&self.inner.data).len())
            .finish()
    }
}

impl Default for MemoryKv {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryKv {
    /// An empty store without namespace.
    pub fn new() -> Self {
        Self::with_namespace("")
    }

    /// An empty store that prepends `namespace` to every key and channel internally (for
    /// symmetry with [`RedisKv`](super::RedisKv); callers never see it).
    pub fn with_namespace(namespace: impl Into<String>) -> Self {
        let inner = Arc::new(Inner::default());
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(sweep_forever(Arc::downgrade(&inner)));
        }
        Self {
            inner,
            namespace: Arc::from(namespace.into()),
        }
    }

    /// Number of keys held, including expired ones not swept yet.
    pub fn len(&self) -> usize {
        lock(&self.inner.data).len()
    }

    /// `true` when no key is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops expired keys and channels without subscribers now (the sweeper does this every
    /// 5 seconds).
    pub fn sweep(&self) {
        self.inner.sweep();
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.namespace)
    }

    fn data(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        lock(&self.inner.data)
    }

    /// Runs `f` on the live entry of `key` (expired entries are removed first).
    fn with_live<T>(&self, key: &str, f: impl FnOnce(Option<&mut Entry>) -> T) -> T {
        let key = self.key(key);
        let now = Instant::now();
        let mut data = self.data();
        if data.get(&key).is_some_and(|e| !e.is_live(now)) {
            data.remove(&key);
        }
        f(data.get_mut(&key))
    }
}

impl Inner {
    fn sweep(&self) {
        let now = Instant::now();
        lock(&self.data).retain(|_, e| e.is_live(now));
        lock(&self.channels).retain(|_, tx| tx.receiver_count() > 0);
    }
}

async fn sweep_forever(inner: Weak<Inner>) {
    let mut tick = tokio::time::interval(SWEEP_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let Some(inner) = inner.upgrade() else { return };
        inner.sweep();
    }
}

/// Locks `m`, recovering the data if another thread panicked while holding it (every critical
/// section here leaves the map consistent).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn wrong_type() -> KvError {
    KvError::Command(WRONG_TYPE.to_owned())
}

fn deadline(now: Instant, ttl: Option<Duration>) -> Option<Instant> {
    // A TTL too large for the clock is treated as no expiry.
    ttl.and_then(|ttl| now.checked_add(ttl.max(Duration::from_millis(1))))
}

/// The sliding-window step of [`Kv::rate_limit`] on one entry (same rule as the Redis script:
/// hits at or before `now - window` leave the window).
fn record_hit(
    entry: &mut Entry,
    now: Instant,
    limit: u32,
    window: Duration,
) -> Result<RateDecision, KvError> {
    let Value::Log(log) = &mut entry.value else {
        return Err(wrong_type());
    };
    if let Some(cutoff) = now.checked_sub(window) {
        while log.front().is_some_and(|&t| t <= cutoff) {
            log.pop_front();
        }
    }
    let count = u32::try_from(log.len()).unwrap_or(u32::MAX);
    if count < limit {
        log.push_back(now);
        entry.expires_at = deadline(now, Some(window));
        return Ok(RateDecision {
            allowed: true,
            remaining: limit - count - 1,
            retry_after: Duration::ZERO,
        });
    }
    let retry_after = log
        .front()
        .and_then(|&oldest| oldest.checked_add(window))
        .map_or(window, |free_at| free_at.saturating_duration_since(now))
        .max(Duration::from_millis(1));
    Ok(RateDecision {
        allowed: false,
        remaining: 0,
        retry_after,
    })
}

#[async_trait]
impl Kv for MemoryKv {
    fn backend(&self) -> KvBackend {
        KvBackend::Memory
    }

    async fn ping(&self) -> Result<(), KvError> {
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        self.with_live(key, |entry| match entry.map(|e| &e.value) {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.clone())),
            Some(_) => Err(wrong_type()),
        })
    }

    async fn mget(&self, keys: &[String]) -> Result<Vec<Option<String>>, KvError> {
        let now = Instant::now();
        let data = self.data();
        Ok(keys
            .iter()
            .map(|k| match data.get(&self.key(k)) {
                Some(Entry {
                    value: Value::Str(s),
                    expires_at,
                }) if expires_at.is_none_or(|at| at > now) => Some(s.clone()),
                _ => None,
            })
            .collect())
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), KvError> {
        let entry = Entry {
            value: Value::Str(value.to_owned()),
            expires_at: deadline(Instant::now(), ttl),
        };
        self.data().insert(self.key(key), entry);
        Ok(())
    }

    async fn set_nx(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<bool, KvError> {
        let key = self.key(key);
        let now = Instant::now();
        let mut data = self.data();
        if data.get(&key).is_some_and(|e| e.is_live(now)) {
            return Ok(false);
        }
        let entry = Entry {
            value: Value::Str(value.to_owned()),
            expires_at: deadline(now, ttl),
        };
        data.insert(key, entry);
        Ok(true)
    }

    async fn del(&self, key: &str) -> Result<bool, KvError> {
        let now = Instant::now();
        Ok(self
            .data()
            .remove(&self.key(key))
            .is_some_and(|e| e.is_live(now)))
    }

    async fn exists(&self, key: &str) -> Result<bool, KvError> {
        Ok(self.with_live(key, |entry| entry.is_some()))
    }

    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool, KvError> {
        let now = Instant::now();
        Ok(self.with_live(key, |entry| match entry {
            Some(e) => {
                e.expires_at = deadline(now, Some(ttl));
                true
            }
            None => false,
        }))
    }

    async fn ttl(&self, key: &str) -> Result<KeyTtl, KvError> {
        let now = Instant::now();
        Ok(self.with_live(key, |entry| match entry {
            None => KeyTtl::Missing,
            Some(Entry {
                expires_at: None, ..
            }) => KeyTtl::Persistent,
            Some(Entry {
                expires_at: Some(at),
                ..
            }) => KeyTtl::Expires(at.saturating_duration_since(now)),
        }))
    }

    async fn incr(&self, key: &str, by: i64, ttl_if_new: Option<Duration>) -> Result<i64, KvError> {
        let key = self.key(key);
        let now = Instant::now();
        let mut data = self.data();
        match data.get_mut(&key).filter(|e| e.is_live(now)) {
            Some(entry) => {
                let Value::Str(s) = &mut entry.value else {
                    return Err(wrong_type());
                };
                let current: i64 = s
                    .parse()
                    .map_err(|_| KvError::Command(NOT_INTEGER.to_owned()))?;
                let next = current
                    .checked_add(by)
                    .ok_or_else(|| KvError::Command(OVERFLOW.to_owned()))?;
                *s = next.to_string();
                Ok(next)
            }
            None => {
                let entry = Entry {
                    value: Value::Str(by.to_string()),
                    expires_at: deadline(now, ttl_if_new),
                };
                data.insert(key, entry);
                Ok(by)
            }
        }
    }

    async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        let full = self.key(prefix);
        let now = Instant::now();
        let mut keys: Vec<String> = self
            .data()
            .iter()
            .filter(|(k, e)| k.starts_with(&full) && e.is_live(now))
            .filter_map(|(k, _)| k.strip_prefix(&*self.namespace).map(str::to_owned))
            .collect();
        keys.sort_unstable();
        Ok(keys)
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<u64, KvError> {
        let full = self.key(prefix);
        let now = Instant::now();
        let mut deleted = 0u64;
        self.data().retain(|k, e| {
            if !k.starts_with(&full) {
                return true;
            }
            if e.is_live(now) {
                deleted += 1;
            }
            false
        });
        Ok(deleted)
    }

    async fn sadd(&self, key: &str, member: &str) -> Result<bool, KvError> {
        let key = self.key(key);
        let now = Instant::now();
        let mut data = self.data();
        match data.get_mut(&key).filter(|e| e.is_live(now)) {
            Some(Entry {
                value: Value::Set(set),
                ..
            }) => Ok(set.insert(member.to_owned())),
            Some(_) => Err(wrong_type()),
            None => {
                let entry = Entry {
                    value: Value::Set(HashSet::from([member.to_owned()])),
                    expires_at: None,
                };
                data.insert(key, entry);
                Ok(true)
            }
        }
    }

    async fn srem(&self, key: &str, member: &str) -> Result<bool, KvError> {
        let key = self.key(key);
        let now = Instant::now();
        let mut data = self.data();
        let (removed, emptied) = match data.get_mut(&key).filter(|e| e.is_live(now)) {
            None => return Ok(false),
            Some(Entry {
                value: Value::Set(set),
                ..
            }) => (set.remove(member), set.is_empty()),
            Some(_) => return Err(wrong_type()),
        };
        if emptied {
            data.remove(&key);
        }
        Ok(removed)
    }

    async fn smembers(&self, key: &str) -> Result<Vec<String>, KvError> {
        self.with_live(key, |entry| match entry.map(|e| &e.value) {
            None => Ok(Vec::new()),
            Some(Value::Set(set)) => {
                let mut members: Vec<String> = set.iter().cloned().collect();
                members.sort_unstable();
                Ok(members)
            }
            Some(_) => Err(wrong_type()),
        })
    }

    async fn sismember(&self, key: &str, member: &str) -> Result<bool, KvError> {
        self.with_live(key, |entry| match entry.map(|e| &e.value) {
            None => Ok(false),
            Some(Value::Set(set)) => Ok(set.contains(member)),
            Some(_) => Err(wrong_type()),
        })
    }

    async fn rate_limit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RateDecision, KvError> {
        let key = self.key(key);
        let now = Instant::now();
        let mut data = self.data();
        if data.get(&key).is_some_and(|e| !e.is_live(now)) {
            data.remove(&key);
        }
        let entry = data.entry(key.clone()).or_insert_with(|| Entry {
            value: Value::Log(VecDeque::new()),
            expires_at: None,
        });
        let decision = record_hit(entry, now, limit, window)?;
        if !decision.allowed && matches!(&entry.value, Value::Log(log) if log.is_empty()) {
            // `limit` 0 on a new key: nothing to remember.
            data.remove(&key);
        }
        Ok(decision)
    }

    async fn publish(&self, channel: &str, message: &str) -> Result<(), KvError> {
        let channel = self.key(channel);
        let mut channels = lock(&self.inner.channels);
        if let Some(tx) = channels.get(&channel)
            && tx.send(message.to_owned()).is_err()
        {
            // Nobody listens any more.
            channels.remove(&channel);
        }
        Ok(())
    }

    async fn subscribe(&self, channel: &str) -> Result<Subscription, KvError> {
        let rx = lock(&self.inner.channels)
            .entry(self.key(channel))
            .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
            .subscribe();
        Ok(Subscription::from_broadcast(channel, rx))
    }

    async fn info(&self) -> Result<Option<String>, KvError> {
        Ok(None)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn sweeper_drops_expired_keys_without_access() {
        let kv = MemoryKv::new();
        kv.set("a", "1", Some(Duration::from_secs(1)))
            .await
            .unwrap();
        kv.set("b", "2", None).await.unwrap();
        assert_eq!(kv.len(), 2);
        tokio::time::sleep(SWEEP_INTERVAL * 2).await;
        assert_eq!(kv.len(), 1);
    }

    #[tokio::test]
    async fn sweeper_stops_when_the_store_is_dropped() {
        let kv = MemoryKv::new();
        let weak = Arc::downgrade(&kv.inner);
        drop(kv);
        assert!(weak.upgrade().is_none());
    }

    #[test]
    fn works_without_a_runtime_for_construction() {
        let kv = MemoryKv::with_namespace("ns:");
        assert!(kv.is_empty());
    }

    #[tokio::test]
    async fn namespace_is_invisible_to_callers() {
        let kv = MemoryKv::with_namespace("ns:");
        kv.set("fba:a", "1", None).await.unwrap();
        assert_eq!(kv.keys_with_prefix("fba:").await.unwrap(), vec!["fba:a"]);
        assert!(lock(&kv.inner.data).contains_key("ns:fba:a"));
    }
}
