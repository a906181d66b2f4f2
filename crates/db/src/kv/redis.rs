//! [`RedisKv`]: the [`Kv`] store on a Redis server, through a `deadpool-redis` pool of
//! multiplexed connections.
//!
//! Every key and channel is prefixed with `REDIS_KEY_NAMESPACE` (empty by default, giving FBA's
//! exact key names). Multi-step operations are atomic on the server: `incr` with a TTL is a
//! `MULTI`/`EXEC` of `SET NX PX` + `INCRBY`, `rate_limit` is one Lua script. Pub/sub uses a
//! dedicated connection per subscription (see `redis_pubsub`).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use deadpool_redis::{Manager, Pool, PoolError, Runtime};
use fba_core_conf::{ExposeSecret, RedisSettings};
use redis::{AsyncConnectionConfig, FromRedisValue, RedisError, Value};

use super::error::redis_error;
use super::{KeyTtl, Kv, KvBackend, KvError, RateDecision, Subscription, redis_pubsub, ttl_millis};

/// Keys per `SCAN` step and per `UNLINK` batch.
const SCAN_COUNT: usize = 1000;

/// Sliding-window log on a sorted set scored by milliseconds. `KEYS[1]` the log; `ARGV` now
/// (ms), window (ms), limit, a unique member. Returns `{allowed, remaining, retry_after_ms}`.
/// A denied hit is not recorded.
const RATE_LIMIT_LUA: &str = r"
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, limit - count - 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local retry = window
if oldest[2] then retry = tonumber(oldest[2]) + window - now end
if retry < 1 then retry = 1 end
return {0, 0, retry}
";

/// The Redis-backed [`Kv`] store. Cheap to clone (the pool is shared).
#[derive(Clone)]
pub struct RedisKv {
    pool: Pool,
    /// Opens the dedicated pub/sub connections.
    client: redis::Client,
    namespace: Arc<str>,
    timeout: Duration,
    /// Makes rate-limit log members unique across processes.
    nonce: u64,
    seq: Arc<AtomicU64>,
}

impl std::fmt::Debug for RedisKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisKv")
            .field("namespace", &self.namespace)
            .field("timeout", &self.timeout)
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

impl RedisKv {
    /// Builds the pool (`pool_size` connections at most; connect, response, pool wait, create
    /// and recycle timeouts all `timeout_secs`) and checks the server with one `PING`.
    ///
    /// # Errors
    /// [`KvError::Command`] when the URL is invalid; [`KvError::Unavailable`] when the server
    /// does not answer the `PING` in time.
    pub async fn connect(settings: &RedisSettings) -> Result<Self, KvError> {
        let timeout = Duration::from_secs(settings.timeout_secs.max(1));
        let invalid = |e: RedisError| {
            KvError::Command(format!(
                "invalid Redis URL {}: {e}",
                settings.redacted_url()
            ))
        };
        let client = redis::Client::open(settings.url.expose_secret()).map_err(invalid)?;
        let connection_config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let manager =
            Manager::new_with_config(client.get_connection_info().clone(), connection_config)
                .map_err(invalid)?;
        let pool = Pool::builder(manager)
            .max_size(settings.pool_size.max(1))
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| KvError::Command(format!("building the Redis pool: {e}")))?;
        let kv = Self {
            pool,
            client,
            namespace: Arc::from(settings.key_namespace.as_str()),
            timeout,
            nonce: RandomState::new().hash_one(std::process::id()),
            seq: Arc::new(AtomicU64::new(0)),
        };
        kv.ping().await.map_err(|e| match e {
            KvError::Unavailable(msg) => {
                KvError::Unavailable(format!("{}: {msg}", settings.redacted_url()))
            }
            other => other,
        })?;
        Ok(kv)
    }

    /// The namespace prepended to keys and channels.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.namespace)
    }

    /// Runs `cmd` on a pooled connection, in a client span when traces are exported (the span
    /// is disabled at its call site otherwise).
    async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, KvError> {
        use tracing::Instrument;
        let span = tracing::debug_span!(
            target: "fba_db::kv",
            "redis",
            otel.name = tracing::field::Empty,
            otel.kind = "client",
            db.system = "redis",
            db.operation = tracing::field::Empty,
        );
        if !span.is_disabled()
            && let Some(redis::Arg::Simple(name)) = cmd.args_iter().next()
        {
            let name = String::from_utf8_lossy(name);
            span.record("otel.name", &*name);
            span.record("db.operation", &*name);
        }
        async {
            let mut conn = self.pool.get().await.map_err(pool_error)?;
            cmd.query_async(&mut conn).await.map_err(redis_error)
        }
        .instrument(span)
        .await
    }

    /// Every key matching `prefix*` (namespace included), in `SCAN` batches.
    async fn scan_batches(&self, prefix: &str) -> Result<Vec<Vec<Vec<u8>>>, KvError> {
        let pattern = format!("{}*", escape_glob(&self.key(prefix)));
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let mut cursor = 0u64;
        let mut batches = Vec::new();
        loop {
            let (next, keys): (u64, Vec<Vec<u8>>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(SCAN_COUNT)
                .query_async(&mut conn)
                .await
                .map_err(redis_error)?;
            if !keys.is_empty() {
                batches.push(keys);
            }
            if next == 0 {
                return Ok(batches);
            }
            cursor = next;
        }
    }
}

#[async_trait]
impl Kv for RedisKv {
    fn backend(&self) -> KvBackend {
        KvBackend::Redis
    }

    async fn ping(&self) -> Result<(), KvError> {
        self.query::<Value>(&redis::cmd("PING")).await.map(drop)
    }

    async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        self.query(redis::cmd("GET").arg(self.key(key))).await
    }

    async fn mget(&self, keys: &[String]) -> Result<Vec<Option<String>>, KvError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut cmd = redis::cmd("MGET");
        for key in keys {
            cmd.arg(self.key(key));
        }
        self.query(&cmd).await
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), KvError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value);
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(ttl_millis(ttl));
        }
        self.query::<Value>(&cmd).await.map(drop)
    }

    async fn set_nx(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<bool, KvError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(key)).arg(value).arg("NX");
        if let Some(ttl) = ttl {
            cmd.arg("PX").arg(ttl_millis(ttl));
        }
        let reply: Value = self.query(&cmd).await?;
        Ok(!matches!(reply, Value::Nil))
    }

    async fn del(&self, key: &str) -> Result<bool, KvError> {
        let n: i64 = self.query(redis::cmd("DEL").arg(self.key(key))).await?;
        Ok(n > 0)
    }

    async fn exists(&self, key: &str) -> Result<bool, KvError> {
        let n: i64 = self.query(redis::cmd("EXISTS").arg(self.key(key))).await?;
        Ok(n > 0)
    }

    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool, KvError> {
        let cmd = redis::cmd("PEXPIRE")
            .arg(self.key(key))
            .arg(ttl_millis(ttl))
            .clone();
        let n: i64 = self.query(&cmd).await?;
        Ok(n == 1)
    }

    async fn ttl(&self, key: &str) -> Result<KeyTtl, KvError> {
        let ms: i64 = self.query(redis::cmd("PTTL").arg(self.key(key))).await?;
        Ok(match ms {
            -1 => KeyTtl::Persistent,
            ms if ms < 0 => KeyTtl::Missing,
            ms => KeyTtl::Expires(Duration::from_millis(ms.unsigned_abs())),
        })
    }

    async fn incr(&self, key: &str, by: i64, ttl_if_new: Option<Duration>) -> Result<i64, KvError> {
        let key = self.key(key);
        let Some(ttl) = ttl_if_new else {
            return self.query(redis::cmd("INCRBY").arg(&key).arg(by)).await;
        };
        // Creating the key as "0" with its TTL first keeps the TTL through INCRBY; NX leaves an
        // existing key (and its TTL) alone. MULTI/EXEC makes the pair atomic.
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let (value,): (i64,) = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(&key)
            .arg(0)
            .arg("NX")
            .arg("PX")
            .arg(ttl_millis(ttl))
            .ignore()
            .cmd("INCRBY")
            .arg(&key)
            .arg(by)
            .query_async(&mut conn)
            .await
            .map_err(redis_error)?;
        Ok(value)
    }

    async fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, KvError> {
        let mut keys: Vec<String> = self
            .scan_batches(prefix)
            .await?
            .into_iter()
            .flatten()
            .map(|raw| {
                let key = String::from_utf8_lossy(&raw);
                key.strip_prefix(&*self.namespace)
                    .unwrap_or(&key)
                    .to_owned()
            })
            .collect();
        // SCAN may return a key more than once.
        keys.sort_unstable();
        keys.dedup();
        Ok(keys)
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<u64, KvError> {
        let mut deleted = 0u64;
        for batch in self.scan_batches(prefix).await? {
            for chunk in batch.chunks(SCAN_COUNT) {
                let n: u64 = self.query(redis::cmd("UNLINK").arg(chunk)).await?;
                deleted += n;
            }
        }
        Ok(deleted)
    }

    async fn sadd(&self, key: &str, member: &str) -> Result<bool, KvError> {
        let n: i64 = self
            .query(redis::cmd("SADD").arg(self.key(key)).arg(member))
            .await?;
        Ok(n > 0)
    }

    async fn srem(&self, key: &str, member: &str) -> Result<bool, KvError> {
        let n: i64 = self
            .query(redis::cmd("SREM").arg(self.key(key)).arg(member))
            .await?;
        Ok(n > 0)
    }

    async fn smembers(&self, key: &str) -> Result<Vec<String>, KvError> {
        let mut members: Vec<String> = self
            .query(redis::cmd("SMEMBERS").arg(self.key(key)))
            .await?;
        members.sort_unstable();
        Ok(members)
    }

    async fn sismember(&self, key: &str, member: &str) -> Result<bool, KvError> {
        self.query(redis::cmd("SISMEMBER").arg(self.key(key)).arg(member))
            .await
    }

    async fn rate_limit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> Result<RateDecision, KvError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        let member = format!("{now}-{:x}-{seq}", self.nonce);
        let cmd = redis::cmd("EVAL")
            .arg(RATE_LIMIT_LUA)
            .arg(1)
            .arg(self.key(key))
            .arg(now)
            .arg(ttl_millis(window))
            .arg(limit)
            .arg(member)
            .clone();
        let (allowed, remaining, retry_ms): (i64, i64, i64) = self.query(&cmd).await?;
        Ok(RateDecision {
            allowed: allowed == 1,
            remaining: u32::try_from(remaining).unwrap_or(0),
            retry_after: Duration::from_millis(retry_ms.unsigned_abs()),
        })
    }

    async fn publish(&self, channel: &str, message: &str) -> Result<(), KvError> {
        self.query::<i64>(redis::cmd("PUBLISH").arg(self.key(channel)).arg(message))
            .await
            .map(drop)
    }

    async fn subscribe(&self, channel: &str) -> Result<Subscription, KvError> {
        redis_pubsub::subscribe(
            self.client.clone(),
            self.key(channel),
            channel.to_owned(),
            self.timeout,
        )
        .await
    }

    async fn info(&self) -> Result<Option<String>, KvError> {
        self.query(redis::cmd("INFO").arg("all")).await.map(Some)
    }
}

/// Escapes the `SCAN MATCH` glob characters `* ? [ ] \` so `prefix` matches literally.
pub(super) fn escape_glob(prefix: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + 8);
    for c in prefix.chars() {
        if matches!(c, '*' | '?' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn pool_error(e: PoolError) -> KvError {
    match e {
        PoolError::Backend(e) => match redis_error(e) {
            KvError::Command(msg) => KvError::Unavailable(msg),
            unavailable => unavailable,
        },
        other => KvError::Unavailable(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_characters_in_prefixes_are_escaped() {
        assert_eq!(escape_glob("fba:token:"), "fba:token:");
        assert_eq!(escape_glob(r"a*b?c[d]e\f"), r"a\*b\?c\[d\]e\\f");
    }

    #[test]
    fn io_errors_are_unavailable_and_server_errors_are_commands() {
        use redis::ErrorKind;
        let io = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(redis_error(io).is_unavailable());
        let server = RedisError::from((ErrorKind::UnexpectedReturnType, "wrong type"));
        assert!(!redis_error(server).is_unavailable());
    }
}
