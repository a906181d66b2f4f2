//! Prometheus metrics under FBA's names (`GRAFANA_METRICS_ENABLE`), served at `/metrics`.
//!
//! [`Metrics`] is one registry per app (two apps in one process count apart). Its parts:
//! - [`RequestMetrics`], the middleware that counts every request under the API prefix:
//!   `fba_request_in_progress`, `fba_request_total`, `fba_request_cost_time` (ms),
//!   `fba_exception_total` (responses with a 5xx status) and `fba_response_total` (by envelope
//!   code), each labelled `app_name`, `method` and `path`;
//! - [`QueueMetrics`], what a background queue reports (`fba_queue_batch_dequeue_cost_time`,
//!   `fba_queue_exception_total`), and [`Metrics::watch_queue`] for `fba_queue_size`;
//! - [`Metrics::watch_pool`] for `fba_sqlalchemy_pool_connections` (the name FBA's dashboards
//!   query, for any database);
//! - the `process_*` metrics of the Prometheus client libraries (Linux).
//!
//! Differences from FBA: `path` is the route template (`/api/v1/sys/users/{pk}`), not the raw
//! path, so one route is one series however many ids are asked for (a path no route matches
//! is [`UNMATCHED`]); the cost histogram has FBA's buckets plus ones up to 10 s; requests the
//! JWT middleware refuses are counted too, and the in-progress gauge always comes back down.
//! The exposition format is OpenMetrics (what Prometheus asks for first).

mod middleware;
mod process;
mod watched;

use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::exemplar::HistogramWithExemplars;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

pub use middleware::{RequestMetrics, RequestMetricsService};

/// The `app_name` label of every `fba_*` metric (FBA's `PROMETHEUS_APP_NAME`).
pub const APP_NAME: &str = "fba_server";

/// The `Content-Type` of `/metrics`.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The `path` label of a request under the API prefix that no route matches.
pub const UNMATCHED: &str = "unmatched";

/// The `queue_name` of the operation log's queue.
pub const OPERA_LOG_QUEUE: &str = "opera_log_queue";

/// Upper bounds (ms) of the cost histograms: the Prometheus client's default buckets FBA uses
/// (read as milliseconds), then 25 ms to 10 s so slow requests are told apart.
pub const COST_BUCKETS_MS: [f64; 23] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 25.0, 50.0,
    100.0, 250.0, 500.0, 1_000.0, 2_500.0, 5_000.0, 10_000.0,
];

/// `method` and `path` (the route template).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RouteLabels {
    pub(crate) method: String,
    pub(crate) path: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ExceptionLabels {
    method: String,
    path: String,
    exception_type: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResponseLabels {
    method: String,
    path: String,
    status_code: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue_name: String,
}

/// The exemplar of a cost observation: FBA's `TraceID` label.
type TraceExemplar = [(&'static str, String); 1];

type CostHistogram = HistogramWithExemplars<TraceExemplar>;

fn cost_histogram() -> CostHistogram {
    HistogramWithExemplars::new(COST_BUCKETS_MS.into_iter())
}

fn plain_cost_histogram() -> Histogram {
    Histogram::new(COST_BUCKETS_MS)
}

/// One app's metrics (cheap to clone: a shared handle).
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    registry: Registry,
    in_progress: Family<RouteLabels, Gauge>,
    requests: Family<RouteLabels, Counter>,
    cost: Family<RouteLabels, CostHistogram, fn() -> CostHistogram>,
    exceptions: Family<ExceptionLabels, Counter>,
    responses: Family<ResponseLabels, Counter>,
    queue_cost: Family<QueueLabels, Histogram, fn() -> Histogram>,
    queue_errors: Family<QueueLabels, Counter>,
    watched: Arc<watched::Watched>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with FBA's metrics (no series yet) and the process metrics.
    pub fn new() -> Self {
        Self::for_app(APP_NAME, |_| {})
    }

    /// Like [`Metrics::new`] with `app_name` as the label of the `fba_*` metrics, and the
    /// metrics `extra` registers under that label (another process's own: `fba-worker`'s task
    /// metrics).
    pub fn for_app(app_name: &str, extra: impl FnOnce(&mut Registry)) -> Self {
        let mut registry = Registry::default();
        process::register(&mut registry);
        let fba = registry.sub_registry_with_label(("app_name".into(), app_name.to_owned().into()));
        extra(fba);
        let in_progress = Family::<RouteLabels, Gauge>::default();
        fba.register(
            "fba_request_in_progress",
            "Requests being handled, by method and path",
            in_progress.clone(),
        );
        let requests = Family::<RouteLabels, Counter>::default();
        fba.register(
            "fba_request",
            "Requests received, by method and path",
            requests.clone(),
        );
        let cost: Family<RouteLabels, CostHistogram, fn() -> CostHistogram> =
            Family::new_with_constructor(cost_histogram);
        fba.register(
            "fba_request_cost_time",
            "Time to answer a request (ms), by method and path",
            cost.clone(),
        );
        let exceptions = Family::<ExceptionLabels, Counter>::default();
        fba.register(
            "fba_exception",
            "Requests that failed on the server (5xx), by method, path and error type",
            exceptions.clone(),
        );
        let responses = Family::<ResponseLabels, Counter>::default();
        fba.register(
            "fba_response",
            "Responses, by method, path and the envelope's code",
            responses.clone(),
        );
        let queue_cost: Family<QueueLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(plain_cost_histogram);
        fba.register(
            "fba_queue_batch_dequeue_cost_time",
            "Time to take one batch off a queue (ms), by queue",
            queue_cost.clone(),
        );
        let queue_errors = Family::<QueueLabels, Counter>::default();
        fba.register(
            "fba_queue_exception",
            "Batches a queue failed to write, by queue",
            queue_errors.clone(),
        );
        let watched = Arc::new(watched::Watched::default());
        fba.register_collector(Box::new(Arc::clone(&watched)));
        Self {
            inner: Arc::new(Inner {
                registry,
                in_progress,
                requests,
                cost,
                exceptions,
                responses,
                queue_cost,
                queue_errors,
                watched,
            }),
        }
    }

    /// The exposition of every metric now (OpenMetrics text, ends with `# EOF`).
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.inner.registry);
        out
    }

    /// What the queue named `name` reports.
    pub fn queue(&self, name: &str) -> QueueMetrics {
        let labels = QueueLabels {
            queue_name: name.to_owned(),
        };
        QueueMetrics {
            cost: self.inner.queue_cost.get_or_create_owned(&labels),
            errors: self.inner.queue_errors.get_or_create_owned(&labels),
        }
    }

    /// Reports `fba_queue_size{queue_name=name}` from `depth`, read at each scrape.
    pub fn watch_queue(&self, name: &str, depth: impl Fn() -> usize + Send + Sync + 'static) {
        self.inner.watched.add_queue(name, Box::new(depth));
    }

    /// Reports `fba_sqlalchemy_pool_connections` from `stats`, read at each scrape (the last
    /// pool given wins).
    pub fn watch_pool(&self, stats: impl Fn() -> PoolGauge + Send + Sync + 'static) {
        self.inner.watched.set_pool(Box::new(stats));
    }
}

/// The values of `fba_sqlalchemy_pool_connections` (SQLAlchemy's pool states).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PoolGauge {
    /// `size`: connections open.
    pub size: u64,
    /// `checked_out`: connections in use.
    pub checked_out: u64,
    /// `idle`: connections waiting in the pool.
    pub idle: u64,
    /// `overflow`: connections open beyond the pool's kept size.
    pub overflow: u64,
}

/// What a background queue reports about its batches.
#[derive(Debug, Clone)]
pub struct QueueMetrics {
    cost: Histogram,
    errors: Counter,
}

impl QueueMetrics {
    /// A batch was taken off the queue in `elapsed`.
    pub fn batch_dequeued(&self, elapsed: Duration) {
        self.cost.observe(elapsed.as_secs_f64() * 1000.0);
    }

    /// Writing a batch failed.
    pub fn batch_failed(&self) {
        self.errors.inc();
    }
}

/// `GET /metrics`: the exposition of the app's [`Metrics`].
pub async fn serve(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .body(metrics.encode())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_pool_and_process_metrics_carry_fba_names_and_labels() {
        let m = Metrics::new();
        m.watch_queue(OPERA_LOG_QUEUE, || 3);
        m.watch_pool(|| PoolGauge {
            size: 4,
            checked_out: 1,
            idle: 3,
            overflow: 0,
        });
        m.queue(OPERA_LOG_QUEUE)
            .batch_dequeued(Duration::from_millis(2));
        m.queue(OPERA_LOG_QUEUE).batch_failed();
        let text = m.encode();
        // No request yet: no request series.
        assert!(!text.contains("fba_request_total{"), "{text}");
        for line in [
            "# TYPE fba_queue_batch_dequeue_cost_time histogram",
            "# TYPE fba_queue_exception counter",
            "fba_queue_size{app_name=\"fba_server\",queue_name=\"opera_log_queue\"} 3",
            "fba_sqlalchemy_pool_connections{app_name=\"fba_server\",state=\"checked_out\"} 1",
            "fba_sqlalchemy_pool_connections{app_name=\"fba_server\",state=\"overflow\"} 0",
            "fba_queue_batch_dequeue_cost_time_count{app_name=\"fba_server\",queue_name=\"opera_log_queue\"} 1",
            "fba_queue_exception_total{app_name=\"fba_server\",queue_name=\"opera_log_queue\"} 1",
            "# EOF",
        ] {
            assert!(text.contains(line), "missing {line:?} in\n{text}");
        }
        if cfg!(target_os = "linux") {
            assert!(text.contains("process_resident_memory_bytes "), "{text}");
            assert!(text.contains("process_cpu_seconds_total "), "{text}");
            assert!(text.contains("process_open_fds "), "{text}");
        }
    }
}
