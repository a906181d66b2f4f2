//! FBA-compatible snowflake ids (`backend/utils/snowflake.py`):
//! `((unix_ms − 1262275200000) << 22) | (datacenter_id << 17) | (worker_id << 12) | sequence`
//! — 41/5/5/12 bits, epoch 2010-01-01T00:00:00Z.
//!
//! The bit layout is implemented here rather than with the `rs-snowflake` crate, which has
//! `i32` node ids, needs `&mut self` and silently tolerates a clock that goes backwards; FBA's
//! rule is to wait out a step back of at most 10 s and to fail beyond that.
//!
//! Node ids come from settings (`SNOWFLAKE_DATACENTER_ID`/`SNOWFLAKE_WORKER_ID`) or are leased
//! through the [`Kv`](crate::kv::Kv) store: the first free pair is claimed with
//! `SET {prefix}:nodes:{dc}:{worker} "pid:{pid}-ts:{unix}" NX EX {ttl}`, kept alive by a
//! heartbeat task and released by [`SnowflakeGenerator::shutdown`].

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fba_core_conf::SnowflakeSettings;

use crate::kv::{KvError, SharedKv};

/// The snowflake epoch, 2010-01-01T00:00:00Z, in Unix milliseconds.
pub const EPOCH_MS: i64 = 1_262_275_200_000;
/// The largest datacenter id and the largest worker id (5 bits each).
pub const MAX_NODE_ID: u8 = 31;
/// How far the clock may go backwards before [`SnowflakeGenerator::next_id`] fails instead of
/// waiting.
pub const MAX_CLOCK_BACKWARDS: Duration = Duration::from_secs(10);

const SEQUENCE_BITS: u32 = 12;
const WORKER_SHIFT: u32 = SEQUENCE_BITS;
const DATACENTER_SHIFT: u32 = SEQUENCE_BITS + 5;
const TIMESTAMP_SHIFT: u32 = SEQUENCE_BITS + 10;
const MAX_SEQUENCE: i64 = (1 << SEQUENCE_BITS) - 1;
const MAX_TIMESTAMP: i64 = (1 << 41) - 1;
const NODE_MASK: i64 = 0x1F;

/// Why no id (or no node id) could be produced.
#[derive(Debug, thiserror::Error)]
pub enum SnowflakeError {
    /// The system clock went back further than [`MAX_CLOCK_BACKWARDS`].
    #[error("the system clock moved backwards by {0:?} (more than 10 s); refusing to generate ids")]
    ClockMovedBackwards(Duration),
    /// The system clock is before 2010 or after the 41-bit range (year 2079).
    #[error("the system clock is outside the snowflake range (2010-01-01 to 2079)")]
    ClockOutOfRange,
    /// All 1024 (datacenter, worker) pairs are leased by other processes.
    #[error("all 1024 snowflake node ids are leased by other processes")]
    NoFreeNode,
    /// The Kv store failed while leasing a node id.
    #[error("leasing a snowflake node id: {0}")]
    Kv(#[from] KvError),
}

/// The fields of a snowflake id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnowflakeParts {
    /// Unix milliseconds of generation.
    pub unix_ms: i64,
    /// Datacenter id (0..=31).
    pub datacenter_id: u8,
    /// Worker id (0..=31).
    pub worker_id: u8,
    /// Sequence within the millisecond (0..=4095).
    pub sequence: u16,
}

impl SnowflakeParts {
    /// Splits `id` into its fields.
    pub fn decode(id: i64) -> Self {
        let field = |shift: u32, mask: i64| (id >> shift) & mask;
        Self {
            unix_ms: (id >> TIMESTAMP_SHIFT) + EPOCH_MS,
            datacenter_id: u8::try_from(field(DATACENTER_SHIFT, NODE_MASK)).unwrap_or(0),
            worker_id: u8::try_from(field(WORKER_SHIFT, NODE_MASK)).unwrap_or(0),
            sequence: u16::try_from(field(0, MAX_SEQUENCE)).unwrap_or(0),
        }
    }
}

/// The key of the lease on node `(dc, worker)`: `{prefix}:nodes:{dc}:{worker}`.
pub fn node_key(redis_prefix: &str, datacenter_id: u8, worker_id: u8) -> String {
    format!("{redis_prefix}:nodes:{datacenter_id}:{worker_id}")
}

type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Generates snowflake ids for one node; thread-safe.
pub struct SnowflakeGenerator {
    datacenter_id: u8,
    worker_id: u8,
    state: Mutex<State>,
    clock: Clock,
    lease: Mutex<Option<Lease>>,
}

#[derive(Default)]
struct State {
    last_ms: i64,
    sequence: i64,
}

/// A node id held in the Kv store; dropping it stops the heartbeat (the key then expires).
struct Lease {
    kv: SharedKv,
    key: String,
    value: String,
    heartbeat: tokio::task::AbortHandle,
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}

impl std::fmt::Debug for SnowflakeGenerator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnowflakeGenerator")
            .field("datacenter_id", &self.datacenter_id)
            .field("worker_id", &self.worker_id)
            .field("leased", &lock(&self.lease).as_ref().map(|l| l.key.clone()))
            .finish()
    }
}

impl SnowflakeGenerator {
    /// A generator for node `(dc, worker)` without any lease. Ids above 31 are taken modulo 32.
    pub fn fixed(dc: u8, worker: u8) -> Self {
        Self::with_clock(dc, worker, Arc::new(system_ms))
    }

    fn with_clock(dc: u8, worker: u8, clock: Clock) -> Self {
        Self {
            datacenter_id: dc & MAX_NODE_ID,
            worker_id: worker & MAX_NODE_ID,
            state: Mutex::new(State::default()),
            clock,
            lease: Mutex::new(None),
        }
    }

    /// A generator for the node named in `settings`, or else for the first free node leased
    /// through `kv` (kept alive every `heartbeat_secs`, expiring `node_ttl_secs` after the last
    /// heartbeat). Call [`shutdown`](Self::shutdown) on exit to release the lease at once.
    ///
    /// # Errors
    /// [`SnowflakeError::Kv`] when the store fails, [`SnowflakeError::NoFreeNode`] when all
    /// 1024 nodes are taken.
    pub async fn start(settings: &SnowflakeSettings, kv: SharedKv) -> Result<Self, SnowflakeError> {
        if let (Some(dc), Some(worker)) = (settings.datacenter_id, settings.worker_id) {
            tracing::info!(dc, worker, "snowflake node from settings");
            return Ok(Self::fixed(dc, worker));
        }
        let ttl = Duration::from_secs(settings.node_ttl_secs.max(1));
        let every = Duration::from_secs(settings.heartbeat_secs.max(1));
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let value = format!("pid:{}-ts:{unix}", std::process::id());
        for dc in 0..=MAX_NODE_ID {
            for worker in 0..=MAX_NODE_ID {
                let key = node_key(&settings.redis_prefix, dc, worker);
                if !kv.set_nx(&key, &value, Some(ttl)).await? {
                    continue;
                }
                tracing::info!(dc, worker, %key, "snowflake node leased");
                let heartbeat = tokio::spawn(heartbeat(
                    kv.clone(),
                    key.clone(),
                    value.clone(),
                    ttl,
                    every,
                ))
                .abort_handle();
                let generator = Self::fixed(dc, worker);
                *lock(&generator.lease) = Some(Lease {
                    kv,
                    key,
                    value,
                    heartbeat,
                });
                return Ok(generator);
            }
        }
        Err(SnowflakeError::NoFreeNode)
    }

    /// `(datacenter_id, worker_id)` of this generator.
    pub fn node(&self) -> (u8, u8) {
        (self.datacenter_id, self.worker_id)
    }

    /// The next id: strictly greater than every id this generator returned before.
    ///
    /// Up to 4096 ids per millisecond; beyond that, and when the clock went back by at most
    /// [`MAX_CLOCK_BACKWARDS`], the calling thread sleeps until the clock catches up (so a
    /// call can block for up to 10 s in that rare case).
    ///
    /// # Errors
    /// [`SnowflakeError::ClockMovedBackwards`] when the clock went back further;
    /// [`SnowflakeError::ClockOutOfRange`] when it reads before 2010 or after 2079.
    pub fn next_id(&self) -> Result<i64, SnowflakeError> {
        let mut state = lock(&self.state);
        let mut now = self.wait_until(state.last_ms)?;
        if now == state.last_ms {
            state.sequence = (state.sequence + 1) & MAX_SEQUENCE;
            if state.sequence == 0 {
                now = self.wait_until(state.last_ms + 1)?;
            }
        } else {
            state.sequence = 0;
        }
        state.last_ms = now;
        let elapsed = now - EPOCH_MS;
        if !(0..=MAX_TIMESTAMP).contains(&elapsed) {
            return Err(SnowflakeError::ClockOutOfRange);
        }
        Ok((elapsed << TIMESTAMP_SHIFT)
            | (i64::from(self.datacenter_id) << DATACENTER_SHIFT)
            | (i64::from(self.worker_id) << WORKER_SHIFT)
            | state.sequence)
    }

    /// Stops the heartbeat and deletes the node lease if it is still ours. Idempotent; a
    /// generator with a fixed node has nothing to release. Generating ids afterwards still
    /// works but is unsafe across processes, as the node may be leased again.
    pub async fn shutdown(&self) {
        let Some(lease) = lock(&self.lease).take() else {
            return;
        };
        lease.heartbeat.abort();
        match lease.kv.get(&lease.key).await {
            Ok(Some(v)) if v == lease.value => match lease.kv.del(&lease.key).await {
                Ok(_) => tracing::info!(key = %lease.key, "snowflake node released"),
                Err(e) => tracing::warn!(key = %lease.key, error = %e, "releasing snowflake node"),
            },
            Ok(_) => tracing::warn!(key = %lease.key, "snowflake node lease was no longer ours"),
            Err(e) => tracing::warn!(key = %lease.key, error = %e, "releasing snowflake node"),
        }
    }

    /// Reads the clock until it shows at least `target` ms and returns that reading. Fails
    /// when the clock is more than [`MAX_CLOCK_BACKWARDS`] behind `target`.
    fn wait_until(&self, target: i64) -> Result<i64, SnowflakeError> {
        let max_behind = i64::try_from(MAX_CLOCK_BACKWARDS.as_millis()).unwrap_or(i64::MAX);
        let mut warned = false;
        loop {
            let now = (self.clock)();
            let behind = target - now;
            if behind <= 0 {
                return Ok(now);
            }
            if behind > max_behind + 1 {
                return Err(SnowflakeError::ClockMovedBackwards(Duration::from_millis(
                    behind.unsigned_abs(),
                )));
            }
            if behind > 1 && !warned {
                tracing::warn!(behind_ms = behind, "clock moved backwards; waiting for it");
                warned = true;
            }
            let pause = if behind > 1 {
                Duration::from_millis(behind.unsigned_abs().min(100))
            } else {
                Duration::from_micros(50)
            };
            std::thread::sleep(pause);
        }
    }
}

/// Keeps the lease on `key` alive; re-claims it if it expired meanwhile.
async fn heartbeat(kv: SharedKv, key: String, value: String, ttl: Duration, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        match kv.expire(&key, ttl).await {
            Ok(true) => {}
            Ok(false) => match kv.set_nx(&key, &value, Some(ttl)).await {
                Ok(true) => tracing::warn!(%key, "snowflake node lease had expired; re-claimed"),
                Ok(false) => tracing::error!(
                    %key,
                    "snowflake node lease expired and was taken by another process; ids may collide"
                ),
                Err(e) => tracing::warn!(%key, error = %e, "snowflake heartbeat failed"),
            },
            Err(e) => tracing::warn!(%key, error = %e, "snowflake heartbeat failed"),
        }
    }
}

fn system_ms() -> i64 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(_) => 0,
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use std::collections::HashSet;
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;
    use crate::kv::{Kv, MemoryKv};

    fn settings(prefix: &str) -> SnowflakeSettings {
        SnowflakeSettings {
            enabled: true,
            datacenter_id: None,
            worker_id: None,
            redis_prefix: prefix.to_owned(),
            heartbeat_secs: 30,
            node_ttl_secs: 60,
        }
    }

    /// A clock that advances 1 ms on every reading from a start the test can move.
    fn ticking_clock(start: i64) -> (Arc<AtomicI64>, Clock) {
        let now = Arc::new(AtomicI64::new(start));
        let reader = now.clone();
        (now, Arc::new(move || reader.fetch_add(1, Ordering::SeqCst)))
    }

    #[test]
    fn ids_strictly_increase() {
        let generator = SnowflakeGenerator::fixed(1, 2);
        let mut last = 0;
        for _ in 0..100_000 {
            let id = generator.next_id().unwrap();
            assert!(id > last, "{id} after {last}");
            last = id;
        }
    }

    #[test]
    fn fields_decode_back_to_node_and_time() {
        let before = system_ms();
        let id = SnowflakeGenerator::fixed(17, 29).next_id().unwrap();
        let parts = SnowflakeParts::decode(id);
        assert_eq!(
            (parts.datacenter_id, parts.worker_id, parts.sequence),
            (17, 29, 0)
        );
        assert!(parts.unix_ms >= before && parts.unix_ms <= system_ms());
        assert!(id > 0);
    }

    #[test]
    fn layout_matches_fba() {
        let (_, clock) = ticking_clock(EPOCH_MS + 1000);
        let generator = SnowflakeGenerator::with_clock(3, 5, clock);
        assert_eq!(
            generator.next_id().unwrap(),
            (1000 << 22) | (3 << 17) | (5 << 12)
        );
    }

    #[test]
    fn generators_on_different_nodes_never_collide() {
        let a = Arc::new(SnowflakeGenerator::fixed(0, 1));
        let b = Arc::new(SnowflakeGenerator::fixed(1, 0));
        let threads: Vec<_> = [a.clone(), a, b.clone(), b]
            .into_iter()
            .map(|g| {
                std::thread::spawn(move || {
                    (0..20_000)
                        .map(|_| g.next_id().unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut seen = HashSet::new();
        for t in threads {
            for id in t.join().unwrap() {
                assert!(seen.insert(id), "duplicate id {id}");
            }
        }
        assert_eq!(seen.len(), 80_000);
    }

    #[test]
    fn sequence_overflow_moves_to_the_next_millisecond() {
        let now = Arc::new(AtomicI64::new(EPOCH_MS + 5));
        let reader = now.clone();
        let generator =
            SnowflakeGenerator::with_clock(0, 0, Arc::new(move || reader.load(Ordering::SeqCst)));
        let ids: Vec<i64> = (0..4096).map(|_| generator.next_id().unwrap()).collect();
        assert_eq!(SnowflakeParts::decode(ids[4095]).sequence, 4095);
        let advance = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            now.fetch_add(1, Ordering::SeqCst);
        });
        let next = generator.next_id().unwrap();
        advance.join().unwrap();
        let parts = SnowflakeParts::decode(next);
        assert_eq!((parts.unix_ms, parts.sequence), (EPOCH_MS + 6, 0));
        assert!(next > ids[4095]);
    }

    #[test]
    fn small_clock_step_back_is_waited_out() {
        let (now, clock) = ticking_clock(EPOCH_MS + 10_000);
        let generator = SnowflakeGenerator::with_clock(0, 0, clock);
        let first = generator.next_id().unwrap();
        let first_ms = SnowflakeParts::decode(first).unix_ms;
        now.fetch_sub(20, Ordering::SeqCst);
        let second = generator.next_id().unwrap();
        assert!(second > first);
        // It waited for the clock instead of reusing an older timestamp.
        assert!(SnowflakeParts::decode(second).unix_ms >= first_ms);
        assert!(now.load(Ordering::SeqCst) > first_ms);
    }

    #[test]
    fn large_clock_step_back_is_an_error() {
        let (now, clock) = ticking_clock(EPOCH_MS + 100_000);
        let generator = SnowflakeGenerator::with_clock(0, 0, clock);
        generator.next_id().unwrap();
        now.fetch_sub(20_000, Ordering::SeqCst);
        let err = generator.next_id().unwrap_err();
        assert!(matches!(err, SnowflakeError::ClockMovedBackwards(d) if d > MAX_CLOCK_BACKWARDS));
    }

    #[test]
    fn clock_before_2010_is_an_error() {
        let (_, clock) = ticking_clock(EPOCH_MS - 100_000);
        let generator = SnowflakeGenerator::with_clock(0, 0, clock);
        assert!(matches!(
            generator.next_id(),
            Err(SnowflakeError::ClockOutOfRange)
        ));
    }

    #[tokio::test]
    async fn node_from_settings_needs_no_lease() {
        let kv = Arc::new(MemoryKv::new());
        let mut s = settings("fba:snowflake");
        s.datacenter_id = Some(4);
        s.worker_id = Some(9);
        let generator = SnowflakeGenerator::start(&s, kv.clone()).await.unwrap();
        assert_eq!(generator.node(), (4, 9));
        assert!(
            kv.keys_with_prefix("fba:snowflake")
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn lease_takes_the_first_free_node_and_shutdown_releases_it() {
        let kv = Arc::new(MemoryKv::new());
        let s = settings("fba:snowflake");
        let first = SnowflakeGenerator::start(&s, kv.clone()).await.unwrap();
        assert_eq!(first.node(), (0, 0));
        let value = kv.get("fba:snowflake:nodes:0:0").await.unwrap().unwrap();
        assert!(
            value.starts_with(&format!("pid:{}-ts:", std::process::id())),
            "{value}"
        );

        let second = SnowflakeGenerator::start(&s, kv.clone()).await.unwrap();
        assert_eq!(second.node(), (0, 1));

        first.shutdown().await;
        first.shutdown().await;
        assert!(!kv.exists("fba:snowflake:nodes:0:0").await.unwrap());
        assert!(kv.exists("fba:snowflake:nodes:0:1").await.unwrap());
        let third = SnowflakeGenerator::start(&s, kv.clone()).await.unwrap();
        assert_eq!(third.node(), (0, 0));
        second.shutdown().await;
        third.shutdown().await;
        assert!(
            kv.keys_with_prefix("fba:snowflake:")
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn lease_skips_nodes_taken_by_other_processes() {
        let kv = Arc::new(MemoryKv::new());
        for worker in 0..=MAX_NODE_ID {
            kv.set(&node_key("p", 0, worker), "pid:1-ts:1", None)
                .await
                .unwrap();
        }
        let generator = SnowflakeGenerator::start(&settings("p"), kv.clone())
            .await
            .unwrap();
        assert_eq!(generator.node(), (1, 0));
        generator.shutdown().await;
        assert_eq!(
            kv.get(&node_key("p", 0, 0)).await.unwrap().as_deref(),
            Some("pid:1-ts:1")
        );
    }

    #[tokio::test]
    async fn no_free_node_is_an_error() {
        let kv = Arc::new(MemoryKv::new());
        for dc in 0..=MAX_NODE_ID {
            for worker in 0..=MAX_NODE_ID {
                kv.set(&node_key("p", dc, worker), "x", None).await.unwrap();
            }
        }
        let err = SnowflakeGenerator::start(&settings("p"), kv)
            .await
            .unwrap_err();
        assert!(matches!(err, SnowflakeError::NoFreeNode));
    }

    #[tokio::test(start_paused = true)]
    async fn heartbeat_keeps_the_lease_alive() {
        let kv = Arc::new(MemoryKv::new());
        let mut s = settings("p");
        s.heartbeat_secs = 1;
        s.node_ttl_secs = 3;
        let generator = SnowflakeGenerator::start(&s, kv.clone()).await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(kv.exists(&node_key("p", 0, 0)).await.unwrap());
        drop(generator);
        tokio::time::sleep(Duration::from_secs(10)).await;
        assert!(!kv.exists(&node_key("p", 0, 0)).await.unwrap());
    }
}
