//! [`RedisBroker`]: jobs in Redis database `CELERY_BROKER_REDIS_DATABASE` of the configured
//! Redis, a reliable queue with leases (at least once).
//!
//! Keys, all under `{REDIS_KEY_NAMESPACE}{CELERY_REDIS_PREFIX}:broker:` (`P:` below):
//! - `P:queues` — SET of the queue names ever published to (what [`Broker::recover`] visits);
//! - `P:{queue}:jobs` — HASH delivery id → payload: every job not yet acknowledged (waiting,
//!   delayed or running), so its length is [`Broker::len`];
//! - `P:{queue}:ready` — LIST of the ids due now, taken from the head;
//! - `P:{queue}:delayed` — ZSET of the ids with an `eta` in the future, scored by `eta` (ms);
//! - `P:{queue}:leases` — ZSET of the ids a worker holds, scored by the lease deadline (ms);
//! - `P:{queue}:owners` — HASH id → the worker holding it.
//!
//! Every step that moves an id between these keys is one Lua script, so an id is in exactly one
//! of `ready`, `delayed` and `leases` and two workers never hold it at once. A fetch first moves
//! the due delayed ids to `ready` and the expired leases (a killed worker's) back to the head of
//! `ready`, then leases up to `max` ids. Lease deadlines and "now" are the server's clock
//! (`TIME`), so workers with skewed clocks agree. Idle workers poll every `TASK_POLL_INTERVAL_MS`
//! (jobs sent by this process wake them at once). The delivery tag is the delivery id, a UUID
//! given at publish (a message sent twice is two jobs).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use deadpool_redis::{Manager, Pool, PoolError, Runtime};
use fba_core_conf::RedisSettings;
use redis::{AsyncConnectionConfig, FromRedisValue, RedisError};
use secrecy::ExposeSecret;
use tokio::sync::Notify;

use super::{Broker, BrokerError, Delivery};
use crate::message::TaskMessage;
use crate::settings::TaskSettings;

/// Ids moved per script call from `delayed` or `leases` to `ready` (bounds one script's run).
const MOVE_BATCH: usize = 1000;

/// The server's time in ms, then the due delayed ids to the tail of `ready` and the expired
/// leases to its head. Shared by the scripts that need it.
const MOVE_DUE_LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local batch = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, batch)
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('RPUSH', KEYS[1], id)
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', '(' .. now, 'LIMIT', 0, batch)
for i = #expired, 1, -1 do
  local id = expired[i]
  redis.call('ZREM', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('LPUSH', KEYS[1], id)
end
";

/// Fetch: `KEYS` ready, delayed, leases, owners, jobs; `ARGV` batch, max, worker, visibility
/// (ms). Returns `{expired leases returned, {id, payload, id, payload, ...}}`.
const FETCH_LUA: &str = r"
local out = {}
local max = tonumber(ARGV[2])
local taken = 0
while taken < max do
  local id = redis.call('LPOP', KEYS[1])
  if not id then break end
  local payload = redis.call('HGET', KEYS[5], id)
  if payload then
    redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), id)
    redis.call('HSET', KEYS[4], id, ARGV[3])
    out[#out + 1] = id
    out[#out + 1] = payload
    taken = taken + 1
  end
end
return {#expired, out}
";

/// Publish: `KEYS` jobs, ready, delayed, queues; `ARGV` id, payload, eta (ms, or empty),
/// queue name.
const PUBLISH_LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[4])
local eta = tonumber(ARGV[3])
if eta and eta > now then
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
else
  redis.call('RPUSH', KEYS[2], ARGV[1])
end
return 1
";

/// Ack: `KEYS` leases, owners, jobs; `ARGV` id, worker. 1 when removed, 0 when `worker` does
/// not hold it (its lease ran out and it went back to the queue).
const ACK_LUA: &str = r"
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
";

/// Requeue: `KEYS` ready, delayed, leases, owners, jobs; `ARGV` id, worker, payload, eta (ms,
/// or empty). A job due now goes to the head of `ready` (it was taken from there).
const REQUEUE_LUA: &str = r"
if redis.call('HGET', KEYS[4], ARGV[1]) ~= ARGV[2] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
redis.call('HSET', KEYS[5], ARGV[1], ARGV[3])
local eta = tonumber(ARGV[4])
if eta and eta > now then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
else
  redis.call('LPUSH', KEYS[1], ARGV[1])
end
return 1
";

/// Keep alive: `KEYS` leases, owners; `ARGV` worker, visibility (ms), ids... How many leases
/// were renewed.
const KEEP_ALIVE_LUA: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local deadline = now + tonumber(ARGV[2])
local n = 0
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then
    redis.call('ZADD', KEYS[1], 'XX', deadline, ARGV[i])
    n = n + 1
  end
end
return n
";

/// The Redis broker.
pub struct RedisBroker {
    pool: Pool,
    /// `{namespace}{CELERY_REDIS_PREFIX}:broker`.
    prefix: String,
    visibility_ms: u64,
    poll_interval: Duration,
    wake: Arc<Notify>,
    fetch_script: String,
}

impl std::fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisBroker")
            .field("prefix", &self.prefix)
            .field("pool", &self.pool.status())
            .finish_non_exhaustive()
    }
}

/// The keys of one queue.
struct QueueKeys {
    ready: String,
    delayed: String,
    leases: String,
    owners: String,
    jobs: String,
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The `eta` argument of the scripts: ms since the epoch, or empty (due now).
fn eta_arg(message: &TaskMessage) -> String {
    message
        .eta
        .map(|t| t.timestamp_millis().to_string())
        .unwrap_or_default()
}

impl RedisBroker {
    /// Connects to database `CELERY_BROKER_REDIS_DATABASE` of the Redis at `redis.url` (its
    /// timeouts and pool size, its key namespace in front of every key) and checks it with one
    /// `PING`.
    ///
    /// # Errors
    /// [`BrokerError::Command`] when the URL is invalid; [`BrokerError::Unavailable`] when the
    /// server does not answer in time.
    pub async fn connect(
        redis: &RedisSettings,
        settings: &TaskSettings,
    ) -> Result<Self, BrokerError> {
        let timeout = Duration::from_secs(redis.timeout_secs.max(1));
        let invalid = |e: RedisError| {
            BrokerError::Command(format!("invalid Redis URL {}: {e}", redis.redacted_url()))
        };
        let client = redis::Client::open(redis.url.expose_secret()).map_err(invalid)?;
        let info = client.get_connection_info().clone();
        let database = info
            .redis_settings()
            .clone()
            .set_db(i64::from(settings.broker_redis_database));
        let info = info.set_redis_settings(database);
        let connection_config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let manager = Manager::new_with_config(info, connection_config).map_err(invalid)?;
        let pool = Pool::builder(manager)
            .max_size(redis.pool_size.max(1))
            .wait_timeout(Some(timeout))
            .create_timeout(Some(timeout))
            .recycle_timeout(Some(timeout))
            .runtime(Runtime::Tokio1)
            .build()
            .map_err(|e| BrokerError::Command(format!("building the Redis pool: {e}")))?;
        let broker = Self {
            pool,
            prefix: format!("{}{}", redis.key_namespace, settings.key("broker")),
            visibility_ms: millis(settings.visibility_timeout).max(1),
            poll_interval: settings.poll_interval,
            wake: Arc::new(Notify::new()),
            fetch_script: format!("{MOVE_DUE_LUA}{FETCH_LUA}"),
        };
        broker
            .query::<redis::Value>(&redis::cmd("PING"))
            .await
            .map_err(|e| match e {
                BrokerError::Unavailable(msg) => {
                    BrokerError::Unavailable(format!("{}: {msg}", redis.redacted_url()))
                }
                other => other,
            })?;
        Ok(broker)
    }

    /// Queues a raw `payload` on `queue`, as a foreign producer would (a payload that is not a
    /// [`TaskMessage`] is dropped with a warning by the fetch that meets it).
    ///
    /// # Errors
    /// [`BrokerError`] when it could not be stored.
    pub async fn publish_payload(&self, queue: &str, payload: &str) -> Result<(), BrokerError> {
        self.push(queue, payload, String::new()).await
    }

    fn queues_key(&self) -> String {
        format!("{}:queues", self.prefix)
    }

    fn keys(&self, queue: &str) -> QueueKeys {
        let base = format!("{}:{queue}", self.prefix);
        QueueKeys {
            ready: format!("{base}:ready"),
            delayed: format!("{base}:delayed"),
            leases: format!("{base}:leases"),
            owners: format!("{base}:owners"),
            jobs: format!("{base}:jobs"),
        }
    }

    async fn query<T: FromRedisValue>(&self, cmd: &redis::Cmd) -> Result<T, BrokerError> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        cmd.query_async(&mut conn).await.map_err(redis_error)
    }

    async fn push(&self, queue: &str, payload: &str, eta: String) -> Result<(), BrokerError> {
        let keys = self.keys(queue);
        let id = uuid::Uuid::new_v4().simple().to_string();
        let cmd = redis::cmd("EVAL")
            .arg(PUBLISH_LUA)
            .arg(4)
            .arg(&keys.jobs)
            .arg(&keys.ready)
            .arg(&keys.delayed)
            .arg(self.queues_key())
            .arg(&id)
            .arg(payload)
            .arg(eta)
            .arg(queue)
            .clone();
        self.query::<i64>(&cmd).await?;
        self.wake.notify_waiters();
        Ok(())
    }

    /// One fetch script run: leases up to `max` ids of `queue` to `worker` (`max` 0 only
    /// returns the due and expired ids to `ready`). The expired leases returned and the leased
    /// `(id, payload)` pairs.
    async fn run_fetch(
        &self,
        worker: &str,
        queue: &str,
        max: usize,
    ) -> Result<(u64, Vec<(String, String)>), BrokerError> {
        let keys = self.keys(queue);
        let cmd = redis::cmd("EVAL")
            .arg(&self.fetch_script)
            .arg(5)
            .arg(&keys.ready)
            .arg(&keys.delayed)
            .arg(&keys.leases)
            .arg(&keys.owners)
            .arg(&keys.jobs)
            .arg(MOVE_BATCH)
            .arg(max)
            .arg(worker)
            .arg(self.visibility_ms)
            .clone();
        let (expired, flat): (u64, Vec<String>) = self.query(&cmd).await?;
        let mut pairs = Vec::with_capacity(flat.len() / 2);
        let mut items = flat.into_iter();
        while let (Some(id), Some(payload)) = (items.next(), items.next()) {
            pairs.push((id, payload));
        }
        Ok((expired, pairs))
    }

    async fn try_fetch(
        &self,
        worker: &str,
        queue: &str,
        max: usize,
    ) -> Result<Vec<Delivery>, BrokerError> {
        let (expired, leased) = self.run_fetch(worker, queue, max).await?;
        if expired > 0 {
            tracing::info!(
                queue,
                recovered = expired,
                "jobs of a stopped worker queued again"
            );
        }
        let mut out = Vec::with_capacity(leased.len());
        for (id, payload) in leased {
            match TaskMessage::decode(&payload) {
                Ok(message) => out.push(Delivery { message, tag: id }),
                Err(e) => {
                    tracing::warn!(queue, id, error = %e, "dropping an undecodable Redis job");
                    self.remove(worker, queue, &id).await?;
                }
            }
        }
        Ok(out)
    }

    /// Removes the job `id` of `queue` if `worker` holds it; whether it did.
    async fn remove(&self, worker: &str, queue: &str, id: &str) -> Result<bool, BrokerError> {
        let keys = self.keys(queue);
        let cmd = redis::cmd("EVAL")
            .arg(ACK_LUA)
            .arg(3)
            .arg(&keys.leases)
            .arg(&keys.owners)
            .arg(&keys.jobs)
            .arg(id)
            .arg(worker)
            .clone();
        let n: i64 = self.query(&cmd).await?;
        Ok(n == 1)
    }
}

#[async_trait::async_trait]
impl Broker for RedisBroker {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn publish(&self, message: &TaskMessage) -> Result<(), BrokerError> {
        let payload = message
            .encode()
            .map_err(|e| BrokerError::Command(e.to_string()))?;
        self.push(&message.queue, &payload, eta_arg(message)).await
    }

    async fn fetch(
        &self,
        worker: &str,
        queue: &str,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<Delivery>, BrokerError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        super::poll_fetch(&self.wake, self.poll_interval, wait, || {
            self.try_fetch(worker, queue, max)
        })
        .await
    }

    async fn ack(&self, worker: &str, delivery: &Delivery) -> Result<(), BrokerError> {
        if !self
            .remove(worker, &delivery.message.queue, &delivery.tag)
            .await?
        {
            tracing::debug!(id = %delivery.tag, "ack of a job this worker no longer holds");
        }
        Ok(())
    }

    async fn requeue(
        &self,
        worker: &str,
        delivery: &Delivery,
        message: &TaskMessage,
    ) -> Result<(), BrokerError> {
        let payload = message
            .encode()
            .map_err(|e| BrokerError::Command(e.to_string()))?;
        let keys = self.keys(&delivery.message.queue);
        let cmd = redis::cmd("EVAL")
            .arg(REQUEUE_LUA)
            .arg(5)
            .arg(&keys.ready)
            .arg(&keys.delayed)
            .arg(&keys.leases)
            .arg(&keys.owners)
            .arg(&keys.jobs)
            .arg(&delivery.tag)
            .arg(worker)
            .arg(payload)
            .arg(eta_arg(message))
            .clone();
        let n: i64 = self.query(&cmd).await?;
        if n == 1 {
            self.wake.notify_waiters();
        } else {
            tracing::debug!(id = %delivery.tag, "requeue of a job this worker no longer holds");
        }
        Ok(())
    }

    async fn keep_alive(&self, worker: &str, running: &[Delivery]) -> Result<(), BrokerError> {
        let mut by_queue: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for delivery in running {
            by_queue
                .entry(delivery.message.queue.as_str())
                .or_default()
                .push(delivery.tag.as_str());
        }
        for (queue, ids) in by_queue {
            let keys = self.keys(queue);
            let mut cmd = redis::cmd("EVAL");
            cmd.arg(KEEP_ALIVE_LUA)
                .arg(2)
                .arg(&keys.leases)
                .arg(&keys.owners)
                .arg(worker)
                .arg(self.visibility_ms);
            for id in ids {
                cmd.arg(id);
            }
            self.query::<i64>(&cmd).await?;
        }
        Ok(())
    }

    async fn recover(&self) -> Result<u64, BrokerError> {
        let queues: Vec<String> = self
            .query(redis::cmd("SMEMBERS").arg(self.queues_key()))
            .await?;
        let mut recovered = 0;
        for queue in queues {
            let (expired, _) = self.run_fetch("", &queue, 0).await?;
            recovered += expired;
        }
        if recovered > 0 {
            self.wake.notify_waiters();
        }
        Ok(recovered)
    }

    async fn len(&self, queue: &str) -> Result<u64, BrokerError> {
        self.query(redis::cmd("HLEN").arg(self.keys(queue).jobs))
            .await
    }
}

/// Connection-level failures are [`BrokerError::Unavailable`], server replies
/// [`BrokerError::Command`] (as the Kv store maps them).
fn redis_error(e: RedisError) -> BrokerError {
    if fba_db::kv::redis_unavailable(&e) {
        BrokerError::Unavailable(e.to_string())
    } else {
        BrokerError::Command(e.to_string())
    }
}

/// A pool that cannot give a connection means the server is out of reach.
fn pool_error(e: PoolError) -> BrokerError {
    match e {
        PoolError::Backend(e) => match redis_error(e) {
            BrokerError::Command(msg) => BrokerError::Unavailable(msg),
            unavailable => unavailable,
        },
        other => BrokerError::Unavailable(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_are_unavailable_and_server_errors_are_commands() {
        let io = RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert!(matches!(redis_error(io), BrokerError::Unavailable(_)));
        let server = RedisError::from((redis::ErrorKind::UnexpectedReturnType, "wrong type"));
        assert!(matches!(redis_error(server), BrokerError::Command(_)));
    }

    #[test]
    fn eta_is_milliseconds_or_empty() {
        let mut m = TaskMessage::new("t", Vec::new(), serde_json::Map::new());
        assert_eq!(eta_arg(&m), "");
        let at = chrono::DateTime::from_timestamp_millis(1_700_000_000_123).unwrap();
        m.eta = Some(at);
        assert_eq!(eta_arg(&m), "1700000000123");
    }
}
