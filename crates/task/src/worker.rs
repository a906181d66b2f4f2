//! [`Worker`]: fetches jobs from the broker and runs them, `TASK_WORKER_CONCURRENCY` at a time
//! (Celery's worker with `task_track_started`, FBA's `TaskBase` retries and notifications).
//!
//! For each job: a revoked or expired one is recorded `REVOKED`; an unknown task name is a
//! `NotRegistered` failure; otherwise the row turns `STARTED`, Socket.IO's
//! `task_notification` says `任务 {id} 开始执行`, the task runs (in its own tokio task, so a
//! panic is a failure, within `TASK_TIME_LIMIT`), and the row ends `SUCCESS` (`执行成功`),
//! `RETRY` (a retryable failure under `CELERY_TASK_MAX_RETRIES`: queued again with a doubling
//! delay) or `FAILURE` (`执行失败`, Celery's failure dict). The job is acknowledged only after
//! its row is written; a worker killed before that leaves it leased, and it runs again once the
//! lease runs out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use fba_common::AppState;
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};
use tracing::Instrument;

use crate::broker::Delivery;
use crate::client::Tasks;
use crate::control::{AnnouncedTask, WorkerInfo};
use crate::message::{TaskMessage, TaskStatus};
use crate::registry::{TaskCall, TaskContext, TaskFailure};
use crate::results::{self, Outcome};

/// The longest delay before a retry.
const MAX_RETRY_DELAY: Duration = Duration::from_secs(600);
/// How long one fetch waits for a job before the worker checks whether it should stop.
const FETCH_WAIT: Duration = Duration::from_secs(1);
/// The pause after a broker failure.
const BROKER_BACKOFF: Duration = Duration::from_secs(1);

/// How one worker runs.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// Its name in heartbeats and `task_result.worker`.
    pub hostname: String,
    /// The queue it takes jobs from.
    pub queue: String,
    /// Jobs it runs at once.
    pub concurrency: usize,
    /// Where it counts its runs (`fba-worker --metrics-port`), if anywhere.
    pub metrics: Option<crate::metrics::TaskMetrics>,
}

impl WorkerOptions {
    /// A worker named `fba@{host}.{pid}.{random}` on the default queue with the concurrency of
    /// `tasks`' settings.
    pub fn new(tasks: &Tasks) -> Self {
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".to_owned());
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        Self {
            hostname: format!("fba@{host}.{}.{}", std::process::id(), &suffix[..6]),
            queue: crate::message::DEFAULT_QUEUE.to_owned(),
            concurrency: tasks.settings.concurrency,
            metrics: None,
        }
    }
}

struct Shared {
    state: AppState,
    tasks: Tasks,
    options: WorkerOptions,
    running: Mutex<HashMap<String, Delivery>>,
    slots: Arc<Semaphore>,
}

impl Shared {
    fn running(&self) -> MutexGuard<'_, HashMap<String, Delivery>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn info(&self) -> WorkerInfo {
        WorkerInfo {
            hostname: self.options.hostname.clone(),
            tasks: self
                .tasks
                .registry
                .iter()
                .map(|t| AnnouncedTask {
                    name: t.name.to_owned(),
                    doc: t.doc.to_owned(),
                })
                .collect(),
            concurrency: self.options.concurrency,
            active: self.running().len(),
        }
    }
}

/// A running worker; [`Worker::stop`] ends it.
pub struct Worker {
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    main: JoinHandle<JoinSet<()>>,
    heartbeat: JoinHandle<()>,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("hostname", &self.shared.options.hostname)
            .finish_non_exhaustive()
    }
}

impl Worker {
    /// Starts a worker running `tasks`' registry against its broker.
    pub fn spawn(state: AppState, tasks: Tasks, options: WorkerOptions) -> Self {
        let slots = Arc::new(Semaphore::new(options.concurrency.max(1)));
        let shared = Arc::new(Shared {
            state,
            tasks,
            options,
            running: Mutex::new(HashMap::new()),
            slots,
        });
        let (stop, stop_rx) = watch::channel(false);
        let heartbeat = tokio::spawn(heartbeat(Arc::clone(&shared), stop_rx.clone()));
        let main = tokio::spawn(fetch_loop(Arc::clone(&shared), stop_rx));
        tracing::info!(
            worker = %shared.options.hostname,
            broker = shared.tasks.broker.kind(),
            concurrency = shared.options.concurrency,
            "task worker started"
        );
        Self {
            shared,
            stop,
            main,
            heartbeat,
        }
    }

    /// The worker's name.
    pub fn hostname(&self) -> &str {
        &self.shared.options.hostname
    }

    /// Stops at once, like a killed process: running jobs are dropped, nothing is acknowledged,
    /// put back or withdrawn. Their leases run out after `TASK_VISIBILITY_TIMEOUT` and another
    /// worker runs them (what the tests of crash recovery use).
    pub fn abort(self) {
        self.main.abort();
        self.heartbeat.abort();
    }

    /// Stops taking jobs, lets running ones finish for up to `grace`, then stops them and puts
    /// them back in the queue (they run again on another worker), and withdraws the heartbeat.
    pub async fn stop(self, grace: Duration) {
        let _ = self.stop.send(true);
        let mut jobs = match self.main.await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "task worker loop failed");
                JoinSet::new()
            }
        };
        let finished =
            tokio::time::timeout(grace, async { while jobs.join_next().await.is_some() {} })
                .await
                .is_ok();
        if !finished {
            jobs.abort_all();
            while jobs.join_next().await.is_some() {}
        }
        let left: Vec<Delivery> = self.shared.running().drain().map(|(_, d)| d).collect();
        for delivery in &left {
            requeue(&self.shared, delivery, &delivery.message).await;
        }
        if !left.is_empty() {
            tracing::info!(
                requeued = left.len(),
                "task worker put unfinished jobs back"
            );
        }
        if let Err(e) = self
            .shared
            .tasks
            .broker
            .release(&self.shared.options.hostname)
            .await
        {
            tracing::warn!(error = %e, "the broker did not let go of the stopped worker");
        }
        self.heartbeat.abort();
        let _ = self.heartbeat.await;
        if let Err(e) = self
            .shared
            .tasks
            .control
            .withdraw(&self.shared.options.hostname)
            .await
        {
            tracing::debug!(error = %e, "worker heartbeat not withdrawn");
        }
        tracing::info!(worker = %self.shared.options.hostname, "task worker stopped");
    }
}

async fn fetch_loop(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) -> JoinSet<()> {
    let mut jobs = JoinSet::new();
    loop {
        while jobs.try_join_next().is_some() {}
        if *stop.borrow() {
            break;
        }
        let permit = tokio::select! {
            permit = Arc::clone(&shared.slots).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stop.changed() => break,
        };
        let free = shared.slots.available_permits() + 1;
        let fetched = shared
            .tasks
            .broker
            .fetch(
                &shared.options.hostname,
                &shared.options.queue,
                free,
                FETCH_WAIT,
            )
            .await;
        let deliveries = match fetched {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "task broker fetch failed");
                drop(permit);
                tokio::select! {
                    () = tokio::time::sleep(BROKER_BACKOFF) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
        };
        let mut permit = Some(permit);
        for delivery in deliveries {
            if *stop.borrow() {
                // Fetched while stopping: back to the queue at once.
                requeue(&shared, &delivery, &delivery.message).await;
                continue;
            }
            let slot = match permit.take() {
                Some(p) => p,
                None => match Arc::clone(&shared.slots).acquire_owned().await {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            shared
                .running()
                .insert(delivery.tag.clone(), delivery.clone());
            let span = job_span(&delivery.message);
            jobs.spawn(run_job(Arc::clone(&shared), delivery, slot).instrument(span));
        }
    }
    jobs
}

async fn heartbeat(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let interval = shared.tasks.settings.heartbeat_interval;
    let mut tick: u64 = 0;
    loop {
        if let Err(e) = shared.tasks.control.announce(&shared.info()).await {
            tracing::warn!(error = %e, "worker heartbeat failed");
        }
        let running: Vec<Delivery> = shared.running().values().cloned().collect();
        if let Err(e) = shared
            .tasks
            .broker
            .keep_alive(&shared.options.hostname, &running)
            .await
        {
            tracing::warn!(error = %e, "task lease renewal failed");
        }
        if tick.is_multiple_of(5) {
            match shared.tasks.broker.recover().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(recovered = n, "jobs of a stopped worker queued again"),
                Err(e) => tracing::debug!(error = %e, "task recovery failed"),
            }
        }
        tick += 1;
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn requeue(shared: &Shared, delivery: &Delivery, message: &TaskMessage) {
    if let Err(e) = shared
        .tasks
        .broker
        .requeue(&shared.options.hostname, delivery, message)
        .await
    {
        tracing::warn!(task_id = %message.id, error = %e, "job not requeued; it returns after the visibility timeout");
    }
}

async fn ack(shared: &Shared, delivery: &Delivery) {
    if let Err(e) = shared
        .tasks
        .broker
        .ack(&shared.options.hostname, delivery)
        .await
    {
        tracing::warn!(task_id = %delivery.message.id, error = %e, "job not acknowledged; it may run again");
    }
}

/// Writes a state, retrying a failing database a few times (a result is not given up for one
/// lost connection).
async fn record(shared: &Shared, message: &TaskMessage, status: TaskStatus, outcome: Outcome) {
    let mut delay = Duration::from_millis(200);
    for attempt in 1..=5 {
        match results::record(
            &shared.state.db,
            message,
            status,
            &shared.options.hostname,
            outcome.clone(),
        )
        .await
        {
            Ok(()) => return,
            Err(e) if attempt == 5 => {
                tracing::error!(task_id = %message.id, %status, error = %e, "task result not recorded");
            }
            Err(_) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
    }
}

async fn notify(shared: &Shared, task_id: &str, what: &str) {
    let msg = format!("任务 {task_id} {what}");
    if let Err(e) = shared
        .state
        .socket
        .emit("task_notification", &json!({ "msg": msg }))
        .await
    {
        tracing::debug!(error = %e, "task_notification not sent");
    }
}

fn failed(failure: &TaskFailure) -> Outcome {
    Outcome {
        result: Some(failure.to_value()),
        traceback: Some(format!(
            "{}.{}: {}",
            failure.exc_module, failure.exc_type, failure.exc_message
        )),
    }
}

/// The consumer span of one run (`run {task name}`), continuing the trace of the request that
/// sent the job; the task's database statements and Redis commands are its children.
fn job_span(message: &TaskMessage) -> tracing::Span {
    // An unsampled trace gets no span (nor, then, child spans).
    if !fba_common::telemetry::keeps_trace(message.traceparent.as_deref()) {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        target: fba_common::telemetry::TASK_SPAN_TARGET,
        "task",
        otel.name = %format!("run {}", message.name),
        otel.kind = "consumer",
        task.id = %message.id,
        task.name = %message.name,
        task.retries = message.retries,
        messaging.destination.name = %message.queue,
    );
    if let Some(parent) = &message.traceparent {
        fba_common::telemetry::continue_trace(&span, parent);
    }
    span
}

/// Aborts a spawned task when dropped.
struct AbortOnDrop(tokio::task::AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The delay before retry number `retries + 1`: the base doubled per earlier retry.
pub fn retry_delay(base: Duration, retries: u32) -> Duration {
    base.saturating_mul(2u32.saturating_pow(retries.min(20)))
        .min(MAX_RETRY_DELAY)
}

async fn run_job(shared: Arc<Shared>, delivery: Delivery, _slot: OwnedSemaphorePermit) {
    let message = delivery.message.clone();
    let finish = |shared: Arc<Shared>, delivery: Delivery| async move {
        ack(&shared, &delivery).await;
        shared.running().remove(&delivery.tag);
    };
    let revoked = match shared.tasks.control.is_revoked(&message.id).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "revocation check failed; running the job");
            false
        }
    };
    let count = |status: TaskStatus, elapsed: Option<Duration>| {
        if let Some(metrics) = &shared.options.metrics {
            metrics.ended(&message.name, status, elapsed);
        }
    };
    if revoked || message.is_expired(Utc::now()) {
        count(TaskStatus::Revoked, None);
        record(&shared, &message, TaskStatus::Revoked, Outcome::default()).await;
        finish(shared, delivery).await;
        return;
    }
    if let Some(wait) = message.eta.and_then(|eta| (eta - Utc::now()).to_std().ok()) {
        tokio::time::sleep(wait).await;
    }
    let Some(def) = shared.tasks.registry.get(&message.name).cloned() else {
        let failure =
            TaskFailure::new("NotRegistered", message.name.clone()).in_module("celery.exceptions");
        count(TaskStatus::Failure, None);
        record(&shared, &message, TaskStatus::Failure, failed(&failure)).await;
        notify(&shared, &message.id, "执行失败").await;
        finish(shared, delivery).await;
        return;
    };
    let ctx = TaskContext {
        state: shared.state.clone(),
        task_id: message.id.clone(),
        name: message.name.clone(),
        retries: message.retries,
    };
    let call = TaskCall {
        args: message.args.clone(),
        kwargs: message.kwargs.clone(),
    };
    if let Some(metrics) = &shared.options.metrics {
        metrics.started();
    }
    let began = std::time::Instant::now();
    let mut run = tokio::spawn((def.run)(ctx, call).instrument(tracing::Span::current()));
    // A job stopped from outside (shutdown past its grace, a worker aborted) stops its body too.
    let _stop_body = AbortOnDrop(run.abort_handle());
    // `STARTED` and its notification are written while the body already runs (the body does not
    // wait for two round trips); the final state is written only after them, so it is the last.
    let started = async {
        record(&shared, &message, TaskStatus::Started, Outcome::default()).await;
        notify(&shared, &message.id, "开始执行").await;
    };
    let body = async {
        match shared.tasks.settings.time_limit {
            Some(limit) => match tokio::time::timeout(limit, &mut run).await {
                Ok(joined) => joined,
                Err(_) => {
                    run.abort();
                    Ok(Err(TaskFailure::new(
                        "TimeLimitExceeded",
                        format!("TimeLimitExceeded({})", limit.as_secs_f64()),
                    )
                    .in_module("billiard.exceptions")))
                }
            },
            None => (&mut run).await,
        }
    };
    let ((), joined) = tokio::join!(started, body);
    let outcome = joined.unwrap_or_else(|e| {
        Err(TaskFailure::new(
            "Panic",
            if e.is_panic() {
                "the task panicked".to_owned()
            } else {
                "the task was cancelled".to_owned()
            },
        ))
    });
    let elapsed = Some(began.elapsed());
    match outcome {
        Ok(value) => {
            count(TaskStatus::Success, elapsed);
            record(
                &shared,
                &message,
                TaskStatus::Success,
                Outcome {
                    result: Some(value),
                    traceback: None,
                },
            )
            .await;
            notify(&shared, &message.id, "执行成功").await;
            finish(shared, delivery).await;
        }
        Err(failure)
            if failure.retryable && message.retries < shared.tasks.settings.max_retries =>
        {
            count(TaskStatus::Retry, elapsed);
            let delay = retry_delay(shared.tasks.settings.retry_delay, message.retries);
            let mut next = message.clone();
            next.retries += 1;
            next.eta = chrono::TimeDelta::from_std(delay)
                .ok()
                .and_then(|d| Utc::now().checked_add_signed(d));
            record(&shared, &message, TaskStatus::Retry, failed(&failure)).await;
            requeue(&shared, &delivery, &next).await;
            shared.running().remove(&delivery.tag);
        }
        Err(failure) => {
            count(TaskStatus::Failure, elapsed);
            record(&shared, &message, TaskStatus::Failure, failed(&failure)).await;
            notify(&shared, &message.id, "执行失败").await;
            finish(shared, delivery).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_doubling_up_to_ten_minutes() {
        let base = Duration::from_millis(100);
        assert_eq!(retry_delay(base, 0), Duration::from_millis(100));
        assert_eq!(retry_delay(base, 3), Duration::from_millis(800));
        assert_eq!(retry_delay(base, 50), MAX_RETRY_DELAY);
    }
}
