//! No-op job throughput and enqueue-to-start latency of one broker, on the test harness's
//! database and Redis (`FBA_TEST_DATABASE`, `FBA_TEST_POSTGRES_URL`, `FBA_TEST_REDIS_URL`), for
//! `scripts/bench-tasks.sh`.
//!
//! ```text
//! BENCH_BROKER=database|redis|rabbitmq BENCH_JOBS=5000 BENCH_CONCURRENCY=16 \
//!   cargo run --release -p fba-task --example bench_tasks
//! ```
//!
//! Throughput: `BENCH_JOBS` jobs are queued first, then one worker runs them; the rate is jobs
//! over the time from the first job's start to the last job's end (what the Celery side of the
//! script measures too). Latency: with the worker idle, `BENCH_LATENCY_JOBS` jobs are sent
//! `BENCH_LATENCY_GAP_MS` (50) ms apart and each records the time from its sending to its start. Every job writes its
//! `STARTED` and `SUCCESS` rows, as Celery with FBA's `task_track_started` and database result
//! backend does. Prints one JSON line.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fba_task::registry::{TaskCall, TaskContext, TaskDef, TaskOutcome};
use fba_task::worker::{Worker, WorkerOptions};
use fba_task::{TaskRegistry, Tasks};
use fba_testing::TestApp;
use serde_json::{Map, Value, json};

static DONE: AtomicUsize = AtomicUsize::new(0);
static FIRST_START: OnceLock<Instant> = OnceLock::new();
static LATENCIES: Mutex<Vec<f64>> = Mutex::new(Vec::new());

fn now_micros() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_micros(),
    )
    .unwrap()
}

async fn noop(_ctx: TaskContext, call: TaskCall) -> TaskOutcome {
    FIRST_START.get_or_init(Instant::now);
    if let Ok(Some(sent)) = call.opt_arg::<i64>(0, "sent_us") {
        let waited_ms = (now_micros() - sent) as f64 / 1000.0;
        LATENCIES.lock().unwrap().push(waited_ms);
    }
    DONE.fetch_add(1, Ordering::SeqCst);
    Ok(Value::Null)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn wait_done(target: usize) {
    while DONE.load(Ordering::SeqCst) < target {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let broker = std::env::var("BENCH_BROKER").unwrap_or_else(|_| "database".into());
    let jobs = env_usize("BENCH_JOBS", 5000);
    let latency_jobs = env_usize("BENCH_LATENCY_JOBS", 200);
    let gap = Duration::from_millis(env_usize("BENCH_LATENCY_GAP_MS", 50) as u64);
    let concurrency = env_usize("BENCH_CONCURRENCY", 16).to_string();
    let app = TestApp::builder()
        .settings(&[
            ("TASK_EMBEDDED_WORKER", "false"),
            ("CELERY_BROKER", broker.as_str()),
            ("TASK_WORKER_CONCURRENCY", concurrency.as_str()),
            ("LOG_STD_LEVEL", "error"),
        ])
        .spawn()
        .await;
    let mut registry = TaskRegistry::new();
    registry.register(TaskDef::new("noop", "does nothing", noop));
    let tasks = Tasks::open(&app.app_state, registry).await.unwrap();

    // Throughput: queue everything, then run.
    let senders = 16;
    let per_sender = jobs.div_ceil(senders);
    let sent = Instant::now();
    let mut handles = Vec::new();
    for s in 0..senders {
        let tasks = tasks.clone();
        let count = per_sender.min(jobs.saturating_sub(s * per_sender));
        handles.push(tokio::spawn(async move {
            for _ in 0..count {
                tasks.send("noop", Vec::new(), Map::new()).await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let enqueue_rate = jobs as f64 / sent.elapsed().as_secs_f64();
    let worker = Worker::spawn(
        app.app_state.clone(),
        tasks.clone(),
        WorkerOptions::new(&tasks),
    );
    wait_done(jobs).await;
    let elapsed = FIRST_START.get().unwrap().elapsed().as_secs_f64();
    let throughput = jobs as f64 / elapsed;

    // Latency: an idle worker, jobs sent `gap` apart.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let base = DONE.load(Ordering::SeqCst);
    for _ in 0..latency_jobs {
        tasks
            .send("noop", vec![Value::from(now_micros())], Map::new())
            .await
            .unwrap();
        tokio::time::sleep(gap).await;
    }
    wait_done(base + latency_jobs).await;
    let mut lat = LATENCIES.lock().unwrap().clone();
    lat.sort_by(f64::total_cmp);
    println!(
        "{}",
        json!({
            "system": "fba-rs",
            "broker": broker,
            "database": std::env::var("FBA_TEST_DATABASE").unwrap_or_else(|_| "sqlite".into()),
            "jobs": jobs,
            "concurrency": concurrency,
            "enqueue_per_s": enqueue_rate.round(),
            "jobs_per_s": throughput.round(),
            "latency_ms_p50": (percentile(&lat, 50.0) * 100.0).round() / 100.0,
            "latency_ms_p99": (percentile(&lat, 99.0) * 100.0).round() / 100.0,
        })
    );
    worker.stop(Duration::from_secs(5)).await;
    app.stop().await;
}
