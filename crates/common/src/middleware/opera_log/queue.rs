//! The operation log's bounded queue ([`OperaLogQueue`]), the senders the middleware holds
//! ([`OperaLogSender`]) and the writer task that hands batches to the [`OperaLogSink`].
//!
//! Direct mode (the spool is empty): the writer takes up to the batch size of queued rows,
//! waits at most the linger time for more, and writes them. Spool mode (the spool holds rows
//! not yet replayed): every queued row is appended to the spool behind them, so order is kept,
//! and the spool is replayed chunk after chunk; while the sink answers
//! [`AppError::Unavailable`] a chunk is tried again every [`REPLAY_RETRY`]. Once the spool is
//! replayed it is emptied and the writer returns to direct mode.
//!
//! What enters the spool: a row [`OperaLogSender::send`] finds no room for (it never waits), a
//! batch or row the sink refused as unavailable (it may have committed: the chunk holding it is
//! checked with [`OperaLogSink::already_written`] before it is replayed), the queue on a
//! shutdown while the sink is unavailable. Rows reach the sink in arrival order, except
//! around an overflow of the full queue, where a few may be written slightly out of order.
//!
//! This module owns the counters ([`OperaLogStats`]); it does not know the files (see
//! `spool`).

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use super::spool::{Appended, Chunk, Cursor, REPLAY_CHUNK, Spool, SpoolConfig, SpoolError};
use super::{OperaLogRecord, OperaLogSink};
use crate::error::AppError;

/// Longest a batch waits for more rows in the server ([`OperaLogQueue::start`] caps
/// `OPERA_LOG_QUEUE_TIMEOUT` at it), so that a lone row reaches the database within about a
/// second of its reply; under load batches fill up long before.
pub const MAX_LINGER: Duration = Duration::from_millis(500);

/// Pause before replaying again while the sink is unavailable.
pub const REPLAY_RETRY: Duration = Duration::from_millis(500);

/// How often rows appended by senders are synced to disk.
const SYNC_INTERVAL: Duration = Duration::from_millis(100);

/// How long a shutdown keeps replaying the spool to a reachable sink; what is left then is
/// replayed at the next start.
const SHUTDOWN_REPLAY_BUDGET: Duration = Duration::from_secs(10);

#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    written: AtomicU64,
    spooled: AtomicU64,
    replayed: AtomicU64,
    dropped: AtomicU64,
    /// Where batch timings and failures are reported ([`OperaLogQueue::observe`]).
    metrics: OnceLock<crate::metrics::QueueMetrics>,
}

impl Counters {
    fn add(counter: &AtomicU64, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Counts `n` lost rows; one log line for the first loss and every thousandth after it.
    fn dropped(&self, n: u64, why: &str) {
        if n == 0 {
            return;
        }
        let before = self.dropped.fetch_add(n, Ordering::Relaxed);
        let total = before + n;
        if before == 0 || before / 1000 != total / 1000 {
            tracing::error!(
                rows = n,
                dropped_total = total,
                reason = why,
                "opera log: rows dropped"
            );
        }
    }
}

/// What the queue has done so far (also the `opera_log` object of `/health`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OperaLogStats {
    /// Rows taken by [`OperaLogSender::send`] (into the queue or the spool).
    pub accepted: u64,
    /// Rows the sink has written (directly or replayed from the spool).
    pub written: u64,
    /// Rows appended to the spool (queue full, store unavailable, shutdown).
    pub spooled: u64,
    /// Rows written from the spool (including those found already written).
    pub replayed: u64,
    /// Rows lost: spool full (or no spool), refused by the sink, unreadable spool lines.
    pub dropped: u64,
    /// Rows in the spool not yet replayed (also those left by an earlier run).
    pub pending: u64,
}

/// A cheap handle that reads the queue's [`OperaLogStats`] (for `/health`).
#[derive(Debug, Clone)]
pub struct OperaLogStatsHandle {
    counters: Arc<Counters>,
    spool: Option<Arc<Spool>>,
}

impl OperaLogStatsHandle {
    /// The counts now.
    pub fn get(&self) -> OperaLogStats {
        let c = &self.counters;
        OperaLogStats {
            accepted: c.accepted.load(Ordering::Relaxed),
            written: c.written.load(Ordering::Relaxed),
            spooled: c.spooled.load(Ordering::Relaxed),
            replayed: c.replayed.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            pending: self.spool.as_ref().map_or(0, |s| s.pending()),
        }
    }
}

/// Appends `rows` to the spool (drops them without one), counting and logging; returns what
/// the append did.
fn spool_rows(
    spool: Option<&Spool>,
    counters: &Counters,
    rows: &[OperaLogRecord],
    reason: &str,
) -> Appended {
    let Some(spool) = spool else {
        counters.dropped(rows.len() as u64, reason);
        return Appended {
            dropped: rows.len() as u64,
            ..Appended::default()
        };
    };
    let appended = spool.append(rows);
    Counters::add(&counters.spooled, appended.rows);
    if appended.started {
        tracing::warn!(
            reason,
            spool = %spool.path().display(),
            "opera log: rows go to the spool until the store takes them again"
        );
    }
    counters.dropped(appended.dropped, "spool full (OPERA_LOG_SPOOL_MAX_BYTES)");
    appended
}

/// The sending side of the queue, held by the middleware.
#[derive(Debug, Clone)]
pub struct OperaLogSender {
    tx: mpsc::Sender<OperaLogRecord>,
    counters: Arc<Counters>,
    spool: Option<Arc<Spool>>,
}

impl OperaLogSender {
    /// A handle on the counts of the queue this sender feeds (for `/health`).
    pub fn stats_handle(&self) -> OperaLogStatsHandle {
        OperaLogStatsHandle {
            counters: Arc::clone(&self.counters),
            spool: self.spool.clone(),
        }
    }

    /// Hands `row` to the writer without waiting: into the queue, or when it is full (or
    /// closed) straight into the spool. Returns whether the row was taken; `false` only when
    /// the spool is full or there is none (the row is dropped, counted and logged).
    pub fn send(&self, row: OperaLogRecord) -> bool {
        let (row, closed) = match self.tx.try_send(row) {
            Ok(()) => {
                Counters::add(&self.counters.accepted, 1);
                return true;
            }
            Err(mpsc::error::TrySendError::Full(row)) => (row, false),
            Err(mpsc::error::TrySendError::Closed(row)) => (row, true),
        };
        let reason = if closed { "queue closed" } else { "queue full" };
        let appended = spool_rows(
            self.spool.as_deref(),
            &self.counters,
            std::slice::from_ref(&row),
            reason,
        );
        if appended.rows == 0 {
            return false;
        }
        Counters::add(&self.counters.accepted, 1);
        if closed {
            // The writer has stopped: nothing else syncs this row before the next start.
            if let Some(Err(e)) = self.spool.as_deref().map(Spool::sync) {
                tracing::error!(error = %e, "opera log: syncing the spool failed");
            }
        }
        true
    }
}

/// The bounded queue, its writer task and its spool. Create it once at start-up (inside the
/// Tokio runtime), give [`OperaLogQueue::sender`] to the [`super::OperaLog`] middleware, and
/// call [`OperaLogQueue::flush_and_stop`] after the server has stopped.
#[derive(Debug)]
pub struct OperaLogQueue {
    sender: OperaLogSender,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    syncer: Option<tokio::task::JoinHandle<()>>,
}

impl OperaLogQueue {
    /// Starts the writer with `OPERA_LOG_QUEUE_MAXSIZE`, `OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE`,
    /// `OPERA_LOG_QUEUE_TIMEOUT` (capped at [`MAX_LINGER`]) and the spool of
    /// `OPERA_LOG_SPOOL_DIR` / `OPERA_LOG_SPOOL_MAX_BYTES` from `settings`; rows an earlier run
    /// left in the spool are replayed first. Must be called inside a Tokio runtime.
    ///
    /// # Errors
    /// [`SpoolError`] when the spool directory or file cannot be created, locked or read.
    pub fn start(
        settings: &fba_core_conf::OperaLogSettings,
        sink: Arc<dyn OperaLogSink>,
    ) -> Result<Self, SpoolError> {
        Self::with_spool(
            settings.queue_maxsize,
            settings.batch_size,
            Duration::from_secs(settings.flush_secs).min(MAX_LINGER),
            &SpoolConfig::from_settings(settings),
            sink,
        )
    }

    /// Starts the writer with explicit limits (capacity and batch size at least 1; `timeout` is
    /// the longest a batch waits for more rows) and no spool: a row that finds the queue full,
    /// or that the sink refuses as unavailable, is dropped and counted.
    pub fn with_limits(
        capacity: usize,
        batch_size: usize,
        timeout: Duration,
        sink: Arc<dyn OperaLogSink>,
    ) -> Self {
        Self::spawn_with(
            capacity,
            batch_size,
            timeout,
            None,
            Counters::default(),
            sink,
        )
    }

    /// Starts the writer with explicit limits and the spool of `spool` (see
    /// [`OperaLogQueue::start`]).
    ///
    /// # Errors
    /// [`SpoolError`] when the spool directory or file cannot be created, locked or read.
    pub fn with_spool(
        capacity: usize,
        batch_size: usize,
        timeout: Duration,
        spool: &SpoolConfig,
        sink: Arc<dyn OperaLogSink>,
    ) -> Result<Self, SpoolError> {
        let (spool, cursor, recovered) = Spool::open(spool)?;
        let spool = Arc::new(spool);
        let counters = Counters::default();
        if recovered.torn > 0 {
            tracing::warn!(spool = %spool.path().display(), lines = recovered.torn, "opera log: torn last lines (a crash while writing) were cut off the spool");
            counters.dropped(recovered.torn, "torn spool line");
        }
        if recovered.suspect_offset {
            tracing::warn!(spool = %spool.path().display(), "opera log: the spool's offset file is unreadable; replaying from the start, skipping rows already written");
        }
        if recovered.adopted > 0 {
            tracing::warn!(rows = recovered.adopted, spool = %spool.path().display(), "opera log: took over the rows of spool files no running process holds");
        }
        let mut episode = None;
        if cursor.has_pending(&spool) {
            tracing::warn!(
                rows = recovered.pending,
                spool = %spool.path().display(),
                "opera log: replaying rows an earlier run left in the spool"
            );
            episode = Some(Episode::begin(0));
        }
        let replay = Replay {
            spool,
            cursor,
            uncertain_until: recovered.uncertain_until,
            episode,
        };
        Ok(Self::spawn_with(
            capacity,
            batch_size,
            timeout,
            Some(replay),
            counters,
            sink,
        ))
    }

    fn spawn_with(
        capacity: usize,
        batch_size: usize,
        timeout: Duration,
        replay: Option<Replay>,
        counters: Counters,
        sink: Arc<dyn OperaLogSink>,
    ) -> Self {
        let capacity = capacity.max(1);
        let (tx, rx) = mpsc::channel(capacity);
        let (stop_tx, stop_rx) = oneshot::channel();
        let counters = Arc::new(counters);
        let spool = replay.as_ref().map(|r| Arc::clone(&r.spool));
        let (syncer_done, syncer) = spool
            .as_ref()
            .map(|spool| {
                let (done_tx, done_rx) = oneshot::channel();
                let task = tokio::spawn(sync_periodically(Arc::clone(spool), done_rx));
                (done_tx, task)
            })
            .unzip();
        let consumer = Consumer {
            rx,
            stop: stop_rx,
            stopping: false,
            stop_deadline: None,
            sink,
            capacity,
            batch_size: batch_size.max(1),
            timeout,
            counters: Arc::clone(&counters),
            replay,
            _syncer: syncer_done,
        };
        let task = tokio::spawn(consumer.run());
        Self {
            sender: OperaLogSender {
                tx,
                counters,
                spool,
            },
            stop: Some(stop_tx),
            task,
            syncer,
        }
    }

    /// The sending side, for [`super::OperaLog::new`].
    pub fn sender(&self) -> OperaLogSender {
        self.sender.clone()
    }

    /// Rows accepted, written, spooled, replayed, dropped and pending so far.
    pub fn stats(&self) -> OperaLogStats {
        self.stats_handle().get()
    }

    /// A handle that reads the counts later (for `/health`).
    pub fn stats_handle(&self) -> OperaLogStatsHandle {
        self.sender.stats_handle()
    }

    /// Reports batch timings and failed writes to `queue` and the queue's depth
    /// (`fba_queue_size`) to `metrics` from now on (the first call wins).
    pub fn observe(&self, metrics: &crate::metrics::Metrics) {
        let name = crate::metrics::OPERA_LOG_QUEUE;
        let _ = self.sender.counters.metrics.set(metrics.queue(name));
        let tx = self.sender.tx.clone();
        metrics.watch_queue(name, move || tx.max_capacity() - tx.capacity());
    }

    /// This process's spool file (`None` without a spool).
    pub fn spool_path(&self) -> Option<&Path> {
        self.sender.spool.as_deref().map(Spool::path)
    }

    /// Closes the queue and waits until every queued row has been written, or (the sink being
    /// unavailable) appended to the spool and synced for the next start; returns the final
    /// counts. Rows sent later go straight to the spool.
    pub async fn flush_and_stop(mut self) -> OperaLogStats {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(e) = (&mut self.task).await {
            tracing::error!(error = %e, "opera log: the writer task failed");
        }
        // The syncer ends with the writer; once both are done only senders hold the spool.
        if let Some(syncer) = self.syncer.take()
            && let Err(e) = syncer.await
        {
            tracing::error!(error = %e, "opera log: the spool sync task failed");
        }
        let stats = self.stats();
        tracing::info!(
            accepted = stats.accepted,
            written = stats.written,
            spooled = stats.spooled,
            replayed = stats.replayed,
            dropped = stats.dropped,
            pending = stats.pending,
            "opera log: queue flushed and stopped"
        );
        if let Some(path) = self.spool_path().filter(|_| stats.pending > 0) {
            tracing::warn!(
                rows = stats.pending,
                spool = %path.display(),
                "opera log: rows stay in the spool; they are replayed at the next start"
            );
        }
        stats
    }
}

/// Syncs appends by senders every [`SYNC_INTERVAL`] until `done` resolves.
async fn sync_periodically(spool: Arc<Spool>, mut done: oneshot::Receiver<()>) {
    let mut tick = tokio::time::interval(SYNC_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            _ = &mut done => return,
            _ = tick.tick() => {
                if spool.is_dirty() {
                    let spool = Arc::clone(&spool);
                    match tokio::task::spawn_blocking(move || spool.sync()).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => tracing::error!(error = %e, "opera log: syncing the spool failed"),
                        Err(e) => tracing::error!(error = %e, "opera log: the spool sync task failed"),
                    }
                }
            }
        }
    }
}

/// One spooling episode: from the first spooled row to the spool replayed.
#[derive(Debug)]
struct Episode {
    started: Instant,
    replayed_before: u64,
}

impl Episode {
    fn begin(replayed_before: u64) -> Self {
        Self {
            started: Instant::now(),
            replayed_before,
        }
    }
}

/// The writer's side of the spool.
struct Replay {
    spool: Arc<Spool>,
    cursor: Cursor,
    /// Chunks starting before this offset may hold rows already written: ask the sink.
    uncertain_until: u64,
    episode: Option<Episode>,
}

/// What a replay step did.
enum Step {
    /// A chunk was written (or skipped as already written): go on at once.
    Progress,
    /// Nothing is left to replay.
    Drained,
    /// The sink is unavailable (or the spool unreadable): try again later.
    Retry,
}

impl Replay {
    fn has_pending(&self) -> bool {
        self.cursor.has_pending(&self.spool)
    }

    /// Moves the cursor past `lines` lines to `offset`; counts rows written and lost.
    fn advance(&mut self, counters: &Counters, to: (u64, u64), written: u64, refused: u64) {
        let (offset, lines) = to;
        Counters::add(&counters.written, written);
        Counters::add(&counters.replayed, written);
        counters.dropped(
            lines.saturating_sub(written + refused),
            "unreadable spool line",
        );
        if let Err(e) = self.cursor.advance(&self.spool, offset, lines) {
            tracing::error!(error = %e, "opera log: saving the spool offset failed");
        }
    }

    /// Writes the next chunk of the spool to `sink`.
    async fn step(&mut self, sink: &dyn OperaLogSink, counters: &Counters) -> Step {
        let start = self.cursor.offset();
        let chunk = match self.cursor.read_chunk(&self.spool, REPLAY_CHUNK) {
            Ok(chunk) => chunk,
            Err(e) => {
                tracing::error!(error = %e, "opera log: reading the spool failed");
                return Step::Retry;
            }
        };
        if chunk.lines == 0 {
            // Either empty, or a line a failed write left unfinished: wait for the next append.
            return if self.has_pending() {
                Step::Retry
            } else {
                Step::Drained
            };
        }
        let n = chunk.rows.len();
        let mut stored = vec![false; n];
        if self.uncertain_until > start && n > 0 {
            match sink.already_written(&chunk.rows).await {
                Ok(flags) if flags.len() == n => stored = flags,
                Ok(flags) => tracing::error!(
                    rows = n,
                    answers = flags.len(),
                    "opera log: already_written answered for another number of rows; replaying unchecked"
                ),
                Err(AppError::Unavailable(_)) => return Step::Retry,
                Err(e) => tracing::error!(
                    error = %e,
                    "opera log: checking for rows already written failed; replaying unchecked"
                ),
            }
            let found = stored.iter().filter(|s| **s).count();
            if found > 0 {
                tracing::info!(
                    rows = found,
                    "opera log: spooled rows already in the store are skipped"
                );
                // The offset may be older still: check the next chunk too.
                self.uncertain_until = self.uncertain_until.max(chunk.end + 1);
            }
        }
        let result = if stored.iter().all(|s| !*s) {
            sink.write_batch(&chunk.rows).await
        } else {
            let todo: Vec<OperaLogRecord> = chunk
                .rows
                .iter()
                .zip(&stored)
                .filter(|(_, s)| !**s)
                .map(|(r, _)| r.clone())
                .collect();
            if todo.is_empty() {
                Ok(())
            } else {
                sink.write_batch(&todo).await
            }
        };
        match result {
            Ok(()) => {
                self.advance(counters, (chunk.end, chunk.lines), n as u64, 0);
                Step::Progress
            }
            Err(AppError::Unavailable(_)) => {
                // The write may have committed before the connection failed.
                self.uncertain_until = self.uncertain_until.max(chunk.end);
                Step::Retry
            }
            Err(e) => {
                tracing::error!(rows = n, error = %e, "opera log: spooled batch refused; writing row by row");
                self.step_one_by_one(sink, counters, start, &chunk, &stored)
                    .await
            }
        }
    }

    async fn step_one_by_one(
        &mut self,
        sink: &dyn OperaLogSink,
        counters: &Counters,
        start: u64,
        chunk: &Chunk,
        stored: &[bool],
    ) -> Step {
        let mut refused = 0u64;
        for (i, row) in chunk.rows.iter().enumerate() {
            if stored[i] {
                continue;
            }
            match sink.write_batch(std::slice::from_ref(row)).await {
                Ok(()) => {}
                Err(AppError::Unavailable(_)) => {
                    let done = if i == 0 {
                        (start, 0)
                    } else {
                        chunk.marks[i - 1]
                    };
                    self.advance(counters, done, i as u64 - refused, refused);
                    self.uncertain_until = self.uncertain_until.max(chunk.marks[i].0);
                    return Step::Retry;
                }
                Err(e) => {
                    tracing::error!(trace_id = %row.trace_id, path = %row.path, error = %e, "opera log: row dropped");
                    Counters::add(&counters.dropped, 1);
                    refused += 1;
                }
            }
        }
        self.advance(
            counters,
            (chunk.end, chunk.lines),
            chunk.rows.len() as u64 - refused,
            refused,
        );
        Step::Progress
    }
}

struct Consumer {
    rx: mpsc::Receiver<OperaLogRecord>,
    stop: oneshot::Receiver<()>,
    stopping: bool,
    /// When a shutdown stops replaying a reachable sink (the rest waits for the next start).
    stop_deadline: Option<tokio::time::Instant>,
    sink: Arc<dyn OperaLogSink>,
    capacity: usize,
    batch_size: usize,
    timeout: Duration,
    counters: Arc<Counters>,
    replay: Option<Replay>,
    /// Dropped with the writer: ends the periodic sync.
    _syncer: Option<oneshot::Sender<()>>,
}

impl Consumer {
    async fn run(mut self) {
        loop {
            if self.spool_pending() {
                if self.spool_mode().await.is_break() {
                    break;
                }
                continue;
            }
            // Whatever is queued at once (up to a batch), else wait for the first row.
            let mut batch = Vec::with_capacity(self.batch_size);
            if self.fill(&mut batch, None).await == 0 {
                break;
            }
            // Then fill the batch until it is full or the timeout since its first row passed.
            let began = Instant::now();
            let deadline = tokio::time::Instant::now() + self.timeout;
            while batch.len() < self.batch_size {
                if self.fill(&mut batch, Some(deadline)).await == 0 {
                    break;
                }
            }
            if let Some(m) = self.counters.metrics.get() {
                m.batch_dequeued(began.elapsed());
            }
            self.write(batch).await;
        }
        self.sync();
        self.sink.close().await;
    }

    fn spool_pending(&self) -> bool {
        self.replay.as_ref().is_some_and(Replay::has_pending)
    }

    fn spool(&self) -> Option<&Spool> {
        self.replay.as_ref().map(|r| &*r.spool)
    }

    fn sync(&self) {
        if let Some(Err(e)) = self.spool().map(Spool::sync) {
            tracing::error!(error = %e, "opera log: syncing the spool failed");
        }
    }

    fn begin_stop(&mut self) {
        self.stopping = true;
        self.stop_deadline = Some(tokio::time::Instant::now() + SHUTDOWN_REPLAY_BUDGET);
        self.rx.close();
    }

    /// Notices a stop request (or the queue handle dropped) without waiting.
    fn poll_stop(&mut self) {
        if !self.stopping
            && !matches!(
                self.stop.try_recv(),
                Err(oneshot::error::TryRecvError::Empty)
            )
        {
            self.begin_stop();
        }
    }

    /// Appends `rows` to the spool, marking them as possibly written already when `uncertain`
    /// (synced by the periodic sync within [`SYNC_INTERVAL`], and when the writer ends).
    fn spool_batch(&mut self, rows: &[OperaLogRecord], reason: &str, uncertain: bool) {
        let appended = spool_rows(self.spool(), &self.counters, rows, reason);
        if let Some(replay) = self.replay.as_mut() {
            if appended.started && replay.episode.is_none() {
                replay.episode = Some(Episode::begin(
                    self.counters.replayed.load(Ordering::Relaxed),
                ));
            }
            if uncertain {
                replay.uncertain_until = replay.uncertain_until.max(appended.end);
            }
        }
    }

    /// Moves the queued rows (up to the capacity, all of them once stopping) to the spool.
    fn queue_to_spool(&mut self) {
        let limit = if self.stopping {
            usize::MAX
        } else {
            self.capacity
        };
        let mut rows = Vec::new();
        while rows.len() < limit {
            match self.rx.try_recv() {
                Ok(row) => rows.push(row),
                Err(_) => break,
            }
        }
        if !rows.is_empty() {
            self.spool_batch(&rows, "behind rows already spooled", false);
        }
    }

    /// Replays the spool, spooling queued rows behind it, until it is empty (`Continue`: back to
    /// direct writes) or a shutdown cannot finish it (`Break`: the rest stays for the next
    /// start).
    async fn spool_mode(&mut self) -> ControlFlow<()> {
        if let Some(replay) = self.replay.as_mut()
            && replay.episode.is_none()
        {
            replay.episode = Some(Episode::begin(
                self.counters.replayed.load(Ordering::Relaxed),
            ));
        }
        loop {
            self.poll_stop();
            self.queue_to_spool();
            let Some(replay) = self.replay.as_mut() else {
                return ControlFlow::Continue(());
            };
            match replay.step(&*self.sink, &self.counters).await {
                Step::Progress => {
                    if self
                        .stop_deadline
                        .is_some_and(|d| tokio::time::Instant::now() >= d)
                    {
                        self.queue_to_spool();
                        return ControlFlow::Break(());
                    }
                }
                Step::Drained => match replay.cursor.finish_if_drained(&replay.spool) {
                    Ok(true) => {
                        if let Some(episode) = replay.episode.take() {
                            let replayed = self.counters.replayed.load(Ordering::Relaxed);
                            tracing::info!(
                                rows = replayed.saturating_sub(episode.replayed_before),
                                secs = episode.started.elapsed().as_secs_f64(),
                                "opera log: spool replayed; writing directly again"
                            );
                        }
                        replay.uncertain_until = 0;
                        return ControlFlow::Continue(());
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!(error = %e, "opera log: emptying the replayed spool failed");
                        if self.stopping {
                            return ControlFlow::Break(());
                        }
                        self.wait_moving_rows(REPLAY_RETRY).await;
                    }
                },
                Step::Retry => {
                    if self.stopping {
                        self.queue_to_spool();
                        return ControlFlow::Break(());
                    }
                    self.wait_moving_rows(REPLAY_RETRY).await;
                }
            }
        }
    }

    /// Waits `pause`, moving rows that arrive to the spool; returns early on a stop request.
    async fn wait_moving_rows(&mut self, pause: Duration) {
        let deadline = tokio::time::Instant::now() + pause;
        let mut rows = Vec::with_capacity(self.batch_size);
        loop {
            tokio::select! {
                biased;
                _ = &mut self.stop, if !self.stopping => {
                    self.begin_stop();
                    return;
                }
                n = self.rx.recv_many(&mut rows, self.batch_size) => {
                    if n == 0 {
                        tokio::time::sleep_until(deadline).await;
                        return;
                    }
                    let batch = std::mem::take(&mut rows);
                    self.spool_batch(&batch, "behind rows already spooled", false);
                }
                () = tokio::time::sleep_until(deadline) => return,
            }
        }
    }

    /// Moves the rows queued now (at least one, waiting for it) into `batch`, up to the batch
    /// size; returns how many. 0 when the deadline passed, or the queue is closed and empty. A
    /// stop request (or the queue handle dropped) closes the queue: what is in it is still
    /// returned.
    async fn fill(
        &mut self,
        batch: &mut Vec<OperaLogRecord>,
        deadline: Option<tokio::time::Instant>,
    ) -> usize {
        let room = self.batch_size.saturating_sub(batch.len());
        if room == 0 {
            return 0;
        }
        loop {
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                _ = &mut self.stop, if !self.stopping => self.begin_stop(),
                n = self.rx.recv_many(batch, room) => return n,
                () = sleep => return 0,
            }
        }
    }

    async fn write(&mut self, batch: Vec<OperaLogRecord>) {
        let n = batch.len() as u64;
        let result = self.sink.write_batch(&batch).await;
        if result.is_err()
            && let Some(m) = self.counters.metrics.get()
        {
            m.batch_failed();
        }
        match result {
            Ok(()) => Counters::add(&self.counters.written, n),
            Err(AppError::Unavailable(what)) => {
                tracing::debug!(rows = n, store = %what, "opera log: store unavailable");
                self.spool_batch(&batch, "store unavailable", true);
            }
            Err(e) => {
                tracing::error!(rows = n, error = %e, "opera log: batch refused; writing row by row");
                self.write_one_by_one(&batch).await;
            }
        }
    }

    async fn write_one_by_one(&mut self, batch: &[OperaLogRecord]) {
        for (i, row) in batch.iter().enumerate() {
            match self.sink.write_batch(std::slice::from_ref(row)).await {
                Ok(()) => Counters::add(&self.counters.written, 1),
                Err(AppError::Unavailable(_)) => {
                    self.spool_batch(&batch[i..], "store unavailable", true);
                    return;
                }
                Err(e) => {
                    tracing::error!(trace_id = %row.trace_id, path = %row.path, error = %e, "opera log: row dropped");
                    Counters::add(&self.counters.dropped, 1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::error::AppResult;
    use crate::middleware::opera_log::fixtures::{row, temp_dir};

    fn ids(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    fn spool_at(dir: &Path, max_bytes: u64) -> SpoolConfig {
        SpoolConfig {
            dir: dir.to_owned(),
            max_bytes,
        }
    }

    /// Records what it writes, in order; refuses rows whose id starts with `bad`; answers
    /// Unavailable while `down` (and for the first `unavailable` calls, and after committing
    /// the first `lost_commits` writes); waits for `gate` before each write when set; reports
    /// rows in `stored` (and those it wrote) as already written.
    #[derive(Default)]
    struct TestSink {
        batches: Mutex<Vec<Vec<String>>>,
        down: AtomicBool,
        unavailable: AtomicU64,
        lost_commits: AtomicU64,
        gate: Option<Arc<tokio::sync::Semaphore>>,
        calls: AtomicU64,
        stored: Mutex<HashSet<String>>,
    }

    #[async_trait::async_trait]
    impl OperaLogSink for TestSink {
        async fn write_batch(&self, rows: &[OperaLogRecord]) -> AppResult<()> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            if let Some(gate) = &self.gate {
                gate.acquire().await.unwrap().forget();
            }
            if self.down.load(Ordering::SeqCst)
                || self
                    .unavailable
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                    .is_ok()
            {
                return Err(AppError::Unavailable("database".to_owned()));
            }
            if rows.iter().any(|r| r.trace_id.starts_with("bad")) {
                return Err(AppError::Internal("refused".to_owned()));
            }
            let ids: Vec<String> = rows.iter().map(|r| r.trace_id.clone()).collect();
            self.stored.lock().unwrap().extend(ids.iter().cloned());
            self.batches.lock().unwrap().push(ids);
            if self
                .lost_commits
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(AppError::Unavailable("database".to_owned()));
            }
            Ok(())
        }

        async fn already_written(&self, rows: &[OperaLogRecord]) -> AppResult<Vec<bool>> {
            if self.down.load(Ordering::SeqCst) {
                return Err(AppError::Unavailable("database".to_owned()));
            }
            let stored = self.stored.lock().unwrap();
            Ok(rows.iter().map(|r| stored.contains(&r.trace_id)).collect())
        }
    }

    impl TestSink {
        fn down() -> Self {
            Self {
                down: AtomicBool::new(true),
                ..Self::default()
            }
        }

        fn batches(&self) -> Vec<Vec<String>> {
            self.batches.lock().unwrap().clone()
        }

        fn rows(&self) -> Vec<String> {
            self.batches().concat()
        }
    }

    /// Waits up to 5 s for `done`.
    async fn until(what: &str, done: impl Fn() -> bool) {
        for _ in 0..500 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("timed out waiting for {what}");
    }

    #[tokio::test]
    async fn stop_writes_every_queued_row_in_batches() {
        let sink = Arc::new(TestSink::default());
        let queue = OperaLogQueue::with_limits(100, 3, Duration::from_secs(3600), sink.clone());
        let sender = queue.sender();
        for i in 0..7 {
            assert!(sender.send(row(&i.to_string())));
        }
        // Two full batches go at once; the last row waits for the timeout (an hour).
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(sink.batches().len(), 2);
        let stats = queue.flush_and_stop().await;
        assert_eq!(
            stats,
            OperaLogStats {
                accepted: 7,
                written: 7,
                ..OperaLogStats::default()
            }
        );
        assert_eq!(
            sink.batches(),
            vec![vec!["0", "1", "2"], vec!["3", "4", "5"], vec!["6"]]
        );
        assert!(
            !sender.send(row("late")),
            "no spool: dropped after the stop"
        );
    }

    #[tokio::test]
    async fn a_partial_batch_is_written_after_the_timeout() {
        let sink = Arc::new(TestSink::default());
        let queue = OperaLogQueue::with_limits(100, 50, Duration::from_millis(200), sink.clone());
        queue.sender().send(row("a"));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(sink.batches().is_empty());
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(sink.batches(), vec![vec!["a"]]);
        queue.flush_and_stop().await;
    }

    #[tokio::test]
    async fn the_server_queue_writes_a_lone_row_within_a_second() {
        let dir = temp_dir();
        let settings = fba_core_conf::Settings::from_source(&fba_core_conf::Source::from_pairs([
            ("OPERA_LOG_QUEUE_TIMEOUT", "60".to_owned()),
            ("OPERA_LOG_SPOOL_DIR", dir.display().to_string()),
        ]))
        .unwrap();
        let sink = Arc::new(TestSink::default());
        let queue = OperaLogQueue::start(&settings.opera_log, sink.clone()).unwrap();
        let started = Instant::now();
        queue.sender().send(row("lone"));
        until("the lone row", || !sink.batches().is_empty()).await;
        assert!(started.elapsed() < Duration::from_secs(1));
        queue.flush_and_stop().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_bad_row_does_not_sink_its_batch() {
        let sink = Arc::new(TestSink::default());
        let queue = OperaLogQueue::with_limits(100, 10, Duration::from_secs(3600), sink.clone());
        let sender = queue.sender();
        for id in ["a", "bad", "c"] {
            sender.send(row(id));
        }
        let stats = queue.flush_and_stop().await;
        assert_eq!((stats.written, stats.dropped), (2, 1));
        assert_eq!(sink.batches(), vec![vec!["a"], vec!["c"]]);
    }

    #[tokio::test]
    async fn without_a_spool_a_full_queue_drops_at_once() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let sink = Arc::new(TestSink {
            gate: Some(Arc::clone(&gate)),
            ..TestSink::default()
        });
        let queue = OperaLogQueue::with_limits(1, 1, Duration::from_secs(3600), sink.clone());
        let sender = queue.sender();
        assert!(sender.send(row("writing")));
        until("the writer to hold a row", || {
            sink.calls.load(Ordering::SeqCst) == 1
        })
        .await;
        assert!(sender.send(row("queued")));
        let started = Instant::now();
        assert!(!sender.send(row("dropped")));
        assert!(started.elapsed() < Duration::from_millis(200), "no wait");
        gate.add_permits(10);
        let stats = queue.flush_and_stop().await;
        assert_eq!((stats.accepted, stats.written, stats.dropped), (2, 2, 1));
    }

    #[tokio::test]
    async fn a_full_queue_spools_instead_of_waiting() {
        let dir = temp_dir();
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let sink = Arc::new(TestSink {
            gate: Some(Arc::clone(&gate)),
            ..TestSink::default()
        });
        let queue = OperaLogQueue::with_spool(
            1,
            1,
            Duration::from_secs(3600),
            &spool_at(&dir, 1 << 20),
            sink.clone(),
        )
        .unwrap();
        let sender = queue.sender();
        assert!(sender.send(row("writing")));
        until("the writer to hold a row", || {
            sink.calls.load(Ordering::SeqCst) == 1
        })
        .await;
        assert!(sender.send(row("queued")));
        let started = Instant::now();
        assert!(sender.send(row("spooled")));
        assert!(started.elapsed() < Duration::from_millis(200), "no wait");
        let stats = queue.stats();
        assert_eq!((stats.accepted, stats.spooled, stats.pending), (3, 1, 1));
        gate.add_permits(100);
        let stats = queue.flush_and_stop().await;
        assert_eq!(
            stats,
            OperaLogStats {
                accepted: 3,
                written: 3,
                spooled: 2,
                replayed: 2,
                dropped: 0,
                pending: 0,
            }
        );
        let mut rows = sink.rows();
        rows.sort();
        assert_eq!(rows, vec!["queued", "spooled", "writing"], "each once");
        drop(sender);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn an_unavailable_store_spools_and_every_row_is_written_once_in_order() {
        let dir = temp_dir();
        let sink = Arc::new(TestSink::down());
        let queue = OperaLogQueue::with_spool(
            100,
            3,
            Duration::from_millis(20),
            &spool_at(&dir, 1 << 20),
            sink.clone(),
        )
        .unwrap();
        let sender = queue.sender();
        let expected = ids("r", 25);
        for id in &expected[..10] {
            assert!(sender.send(row(id)));
        }
        until("10 rows spooled", || queue.stats().spooled == 10).await;
        for id in &expected[10..20] {
            assert!(sender.send(row(id)));
        }
        until("20 rows spooled", || queue.stats().spooled == 20).await;
        assert!(sink.rows().is_empty());
        assert_eq!(queue.stats().pending, 20);
        sink.down.store(false, Ordering::SeqCst);
        until("the spool replayed", || queue.stats().pending == 0).await;
        for id in &expected[20..] {
            assert!(sender.send(row(id)));
        }
        until("25 rows written", || queue.stats().written == 25).await;
        assert_eq!(sink.rows(), expected, "every row once, in order");
        let spool_len = std::fs::metadata(queue.spool_path().unwrap())
            .unwrap()
            .len();
        assert_eq!(spool_len, 0, "the replayed spool is emptied");
        let stats = queue.flush_and_stop().await;
        assert_eq!(
            stats,
            OperaLogStats {
                accepted: 25,
                written: 25,
                spooled: 20,
                replayed: 20,
                dropped: 0,
                pending: 0,
            }
        );
        drop(sender);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_write_that_committed_but_answered_unavailable_is_not_repeated() {
        let dir = temp_dir();
        let sink = Arc::new(TestSink {
            lost_commits: AtomicU64::new(1),
            ..TestSink::default()
        });
        let queue = OperaLogQueue::with_spool(
            100,
            3,
            Duration::from_millis(10),
            &spool_at(&dir, 1 << 20),
            sink.clone(),
        )
        .unwrap();
        let sender = queue.sender();
        let expected = ids("c", 7);
        for id in &expected {
            assert!(sender.send(row(id)));
        }
        until("7 rows written", || queue.stats().written == 7).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            sink.rows(),
            expected,
            "the committed batch is not written again"
        );
        let stats = queue.flush_and_stop().await;
        assert_eq!((stats.spooled, stats.replayed, stats.pending), (7, 7, 0));
        drop(sender);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_restart_replays_the_spool_skipping_rows_already_written() {
        let dir = temp_dir();
        let expected = ids("s", 6);
        // The database is down through the shutdown: everything stays in the spool.
        let first = Arc::new(TestSink::down());
        let queue = OperaLogQueue::with_spool(
            100,
            4,
            Duration::from_secs(3600),
            &spool_at(&dir, 1 << 20),
            first.clone(),
        )
        .unwrap();
        let sender = queue.sender();
        for id in &expected {
            assert!(sender.send(row(id)));
        }
        let stats = queue.flush_and_stop().await;
        assert_eq!((stats.spooled, stats.pending, stats.written), (6, 6, 0));
        drop(sender);

        // The next start: two rows had been committed before the connection broke.
        let second = Arc::new(TestSink::default());
        second
            .stored
            .lock()
            .unwrap()
            .extend(expected[..2].iter().cloned());
        let queue = OperaLogQueue::with_spool(
            100,
            4,
            Duration::from_secs(3600),
            &spool_at(&dir, 1 << 20),
            second.clone(),
        )
        .unwrap();
        assert!(queue.spool_path().unwrap().ends_with("opera-log.0.spool"));
        assert_eq!(queue.stats().pending, 6);
        until("the spool replayed", || queue.stats().pending == 0).await;
        assert_eq!(second.rows(), expected[2..]);
        let stats = queue.flush_and_stop().await;
        assert_eq!(
            (stats.written, stats.replayed, stats.dropped, stats.pending),
            (6, 6, 0, 0)
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_torn_last_line_is_ignored() {
        let dir = temp_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let mut text = String::new();
        for id in ["t0", "t1"] {
            text.push_str(&serde_json::to_string(&row(id)).unwrap());
            text.push('\n');
        }
        text.push_str(r#"{"trace_id":"t2","username":nu"#);
        std::fs::write(dir.join("opera-log.0.spool"), text).unwrap();
        let sink = Arc::new(TestSink::default());
        let queue = OperaLogQueue::with_spool(
            100,
            1,
            Duration::from_millis(10),
            &spool_at(&dir, 1 << 20),
            sink.clone(),
        )
        .unwrap();
        until("the spool replayed", || queue.stats().pending == 0).await;
        queue.sender().send(row("t3"));
        until("t3 written", || queue.stats().written == 3).await;
        assert_eq!(sink.rows(), vec!["t0", "t1", "t3"]);
        let stats = queue.flush_and_stop().await;
        assert_eq!((stats.replayed, stats.dropped), (2, 1));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn rows_beyond_the_spool_bound_are_dropped_and_counted() {
        let dir = temp_dir();
        let line = serde_json::to_string(&row("b0")).unwrap().len() as u64 + 1;
        let sink = Arc::new(TestSink::down());
        let queue = OperaLogQueue::with_spool(
            100,
            10,
            Duration::from_secs(3600),
            &spool_at(&dir, 2 * line + line / 2),
            sink.clone(),
        )
        .unwrap();
        let sender = queue.sender();
        for id in ids("b", 5) {
            assert!(sender.send(row(&id)), "queued");
        }
        let path = queue.spool_path().unwrap().to_owned();
        let handle = queue.stats_handle();
        let stats = queue.flush_and_stop().await;
        assert_eq!(
            (stats.spooled, stats.dropped, stats.pending, stats.written),
            (2, 3, 2, 0)
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * line);
        assert!(!sender.send(row("b5")), "the spool is full");
        assert_eq!(handle.get().dropped, 4);
        drop(sender);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn a_spool_no_process_holds_any_more_is_taken_over() {
        let dir = temp_dir();
        let config = spool_at(&dir, 1 << 20);
        let down = |ids: &[&str]| {
            let queue = OperaLogQueue::with_spool(
                100,
                10,
                Duration::from_secs(3600),
                &config,
                Arc::new(TestSink::down()),
            )
            .unwrap();
            for id in ids {
                assert!(queue.sender().send(row(id)));
            }
            queue
        };
        // Two replicas stop while the database is down; only one comes back.
        let (a, b) = (down(&["a0"]), down(&["b0", "b1", "b2"]));
        assert_eq!(a.flush_and_stop().await.pending, 1);
        assert_eq!(b.flush_and_stop().await.pending, 3);
        let sink = Arc::new(TestSink::default());
        let queue =
            OperaLogQueue::with_spool(100, 10, Duration::from_secs(3600), &config, sink.clone())
                .unwrap();
        assert!(queue.spool_path().unwrap().ends_with("opera-log.0.spool"));
        until("both spools replayed", || queue.stats().pending == 0).await;
        assert_eq!(sink.rows(), vec!["a0", "b0", "b1", "b2"]);
        assert_eq!(
            std::fs::metadata(dir.join("opera-log.1.spool"))
                .unwrap()
                .len(),
            0,
            "the orphan is emptied"
        );
        let stats = queue.flush_and_stop().await;
        assert_eq!((stats.replayed, stats.dropped), (4, 0));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[tokio::test]
    async fn two_queues_on_one_directory_take_different_slots() {
        let dir = temp_dir();
        let config = spool_at(&dir, 1 << 20);
        let start = || {
            OperaLogQueue::with_spool(
                10,
                1,
                Duration::from_millis(10),
                &config,
                Arc::new(TestSink::default()),
            )
            .unwrap()
        };
        let (a, b) = (start(), start());
        assert!(a.spool_path().unwrap().ends_with("opera-log.0.spool"));
        assert!(b.spool_path().unwrap().ends_with("opera-log.1.spool"));
        a.flush_and_stop().await;
        let c = start();
        assert!(
            c.spool_path().unwrap().ends_with("opera-log.0.spool"),
            "freed"
        );
        b.flush_and_stop().await;
        c.flush_and_stop().await;
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
