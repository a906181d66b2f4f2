//! `fba-worker`: runs task workers and the scheduler (FBA's `celery worker` and `celery beat`)
//! against the broker and database of the settings, until SIGTERM or SIGINT. Running jobs then
//! get `SERVER_SHUTDOWN_TIMEOUT` seconds to finish; the rest go back to the queue.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use fba_server::bootstrap::{self, BootstrapError};
use fba_task::scheduler::Scheduler;
use fba_task::worker::{Worker, WorkerOptions};

/// fba-worker: runs the jobs FBA's task API and scheduler send.
#[derive(Debug, Parser)]
#[command(name = "fba-worker", version, about)]
struct Cli {
    /// Jobs run at once (default: `TASK_WORKER_CONCURRENCY`).
    #[arg(long, short = 'c')]
    concurrency: Option<usize>,
    /// The queue to take jobs from.
    #[arg(long, short = 'Q', default_value = fba_task::message::DEFAULT_QUEUE)]
    queue: String,
    /// Serve Prometheus metrics (`fba_task_total`, `fba_task_running`, `fba_task_cost_time` and
    /// the process metrics, `app_name="fba_worker"`) at `/metrics` on this port of
    /// `SERVER_HOST`; 0 = none.
    #[arg(long, env = "TASK_METRICS_PORT", default_value_t = 0)]
    metrics_port: u16,
    /// Do not run the scheduler in this process (by default every worker runs one; the lock
    /// lets one of them send the scheduled jobs).
    #[arg(long)]
    no_scheduler: bool,
}

/// Why the worker could not start.
#[derive(Debug, thiserror::Error)]
enum WorkerError {
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
    #[error(transparent)]
    Tasks(#[from] fba_task::OpenError),
    #[error("cannot serve /metrics on {addr}: {source}")]
    Metrics {
        addr: String,
        source: std::io::Error,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match fba_core_conf::Settings::load()
        .map_err(BootstrapError::from)
        .and_then(bootstrap::prepare)
    {
        Ok(prepared) => prepared,
        Err(e) => {
            eprintln!("fba-worker: {e}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match fba_common::telemetry::init(&settings.0, "fba_worker") {
        Ok(t) => t,
        Err(e) => {
            eprintln!("fba-worker: {e}");
            return ExitCode::from(2);
        }
    };
    let code = match run(settings, cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("fba-worker failed: {e}");
            eprintln!("fba-worker: {e}");
            ExitCode::from(1)
        }
    };
    telemetry.shutdown().await;
    code
}

async fn run(
    (settings, modules): (fba_core_conf::Settings, fba_common::module::Modules),
    cli: Cli,
) -> Result<(), WorkerError> {
    let settings = std::sync::Arc::new(settings);
    let db = bootstrap::connect_database(&settings).await?;
    // A worker may start before the first server: the schema is brought up to date the same way.
    Box::pin(bootstrap::migrate(db.inner(), &modules, &settings)).await?;
    let kv = bootstrap::open_kv(&settings).await?;
    let ip_locator = fba_common::ip_location::IpLocator::from_settings(&settings.ip_location);
    let state = bootstrap::app_state(
        std::sync::Arc::clone(&settings),
        db,
        kv,
        ip_locator,
        modules,
    )
    .await?;
    fba_common::datetime::set_timezone(settings.time.timezone);
    let tasks = fba_task::Tasks::open(&state, fba_task::default_registry()).await?;
    let mut options = WorkerOptions::new(&tasks);
    options.queue = cli.queue;
    if let Some(c) = cli.concurrency {
        options.concurrency = c.max(1);
    }
    let metrics = match cli.metrics_port {
        0 => None,
        port => {
            let task_metrics = fba_task::metrics::TaskMetrics::default();
            options.metrics = Some(task_metrics.clone());
            Some(serve_metrics(&settings.server.host, port, &task_metrics)?)
        }
    };
    let scheduler = (!cli.no_scheduler)
        .then(|| Scheduler::spawn(state.clone(), tasks.clone(), options.hostname.clone()));
    let worker = Worker::spawn(state.clone(), tasks, options);
    tracing::info!(worker = worker.hostname(), "fba-worker ready");
    wait_for_signal().await;
    tracing::info!("stopping: running jobs finish or go back to the queue");
    if let Some(scheduler) = scheduler {
        scheduler.stop().await;
    }
    worker
        .stop(Duration::from_secs(settings.server.shutdown_timeout_secs))
        .await;
    if let Some(metrics) = metrics {
        metrics.stop(true).await;
    }
    if let Some(ids) = &state.ids {
        ids.shutdown().await;
    }
    let _ = state.db.clone().close().await;
    Ok(())
}

/// Serves `/metrics` (the worker's task metrics and the process metrics) on `host:port`.
fn serve_metrics(
    host: &str,
    port: u16,
    tasks: &fba_task::metrics::TaskMetrics,
) -> Result<actix_web::dev::ServerHandle, WorkerError> {
    use actix_web::{App, HttpServer, web};
    let metrics = web::Data::new(fba_common::metrics::Metrics::for_app("fba_worker", |r| {
        tasks.register(r);
    }));
    let addr = format!("{host}:{port}");
    let server = HttpServer::new(move || {
        App::new()
            .app_data(metrics.clone())
            .route("/metrics", web::get().to(fba_common::metrics::serve))
    })
    .workers(1)
    .disable_signals()
    .bind(&addr)
    .map_err(|source| WorkerError::Metrics {
        addr: addr.clone(),
        source,
    })?
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    tracing::info!(%addr, "serving /metrics");
    Ok(handle)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
