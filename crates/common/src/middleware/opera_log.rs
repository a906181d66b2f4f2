//! FBA's operation log (`OperaLogMiddleware`): one row per API request, written off the request
//! path in batches.
//!
//! Three parts:
//! - [`OperaLog`], the middleware. For a path under `FASTAPI_API_V1_PATH` that is not in
//!   `OPERA_LOG_PATH_EXCLUDE`, with a method other than `OPTIONS`, it reads the request body
//!   (and gives it back to the handler), builds FBA's `args` (query, JSON or form body,
//!   top-level `OPERA_LOG_REDACT_KEYS` redacted, the 10 240-byte truncation object), runs the
//!   request, then queues an [`OperaLogRecord`] with the outcome the client was told (the
//!   [`ErrorOutcome`] that [`crate::AppError`] attaches to error responses) before the response
//!   leaves. Rejections of the JWT middleware (a bearer token that did not authenticate) are not
//!   logged, as in FBA where that middleware sits outside the operation log.
//! - [`OperaLogQueue`], the bounded queue (`OPERA_LOG_QUEUE_MAXSIZE`) and its consumer task,
//!   which writes up to `OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE` rows at a time, at the latest
//!   `OPERA_LOG_QUEUE_TIMEOUT` seconds after the first row of a batch arrived.
//!   [`OperaLogQueue::flush_and_stop`] closes the queue and waits until every queued row has
//!   been handed to the sink, so a request that got its response does not lose its row on a
//!   graceful shutdown.
//! - [`OperaLogSink`], where batches go; fba-admin implements it over `sys_opera_log`.
//!
//! Full queue: a request waits at most [`FULL_QUEUE_WAIT`] for room (FBA's `Queue.put` waits
//! forever), then its row is dropped, counted ([`OperaLogStats::dropped`]) and logged. A batch
//! the sink refuses because the database is unreachable is retried twice (0.5 s, then 1 s
//! later) and then dropped; a batch refused for any other reason is retried row by row so one
//! bad row does not take the others with it (FBA drops the whole batch).
//!
//! Differences from FBA's `args`: a form body is recorded only as its parsed (redacted) fields,
//! not also as raw `data` text (FBA's copy leaks unredacted passwords and file bytes); a JSON
//! body that is not an object, or not valid JSON, is kept as `data` text (FBA: `str()` of the
//! value, or a 500); object keys come out sorted; a body beyond the capture limit (the largest
//! upload plus 64 KiB, at least 2 MiB) streams on to the handler uncopied and is recorded as the
//! truncation object, its `_original_size` counting the bytes not read.
//!
//! Titles: FBA records the route's OpenAPI `summary`. [`RouteTitles`] maps `(method, route
//! pattern)` to a title, filled from the OpenAPI document ([`RouteTitles::from_openapi`]) and/or
//! by hand; a matched route without a title is recorded with its pattern
//! (`/api/v1/sys/users/{pk}`), a path no route matches with `""` (FBA's value without a route).

use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::error::PayloadError;
use actix_web::http::Method;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{Error, HttpMessage, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

use crate::context::{ClientInfo, client_ip};
use crate::error::{AppError, AppResult};
use crate::security::{AuthContext, Security, bearer};

/// Largest `args` JSON kept as is (bytes, FBA's `max_size`); larger ones become the truncation
/// object.
pub const ARGS_MAX_SIZE: usize = 10_240;

/// How long a request waits for room in a full queue before its row is dropped.
pub const FULL_QUEUE_WAIT: Duration = Duration::from_secs(1);

/// Value that replaces a redacted argument.
pub const REDACTED: &str = "[REDACTED]";

/// Extra bytes allowed above the largest upload for the multipart framing.
const MULTIPART_SLACK: usize = 64 * 1024;

/// One operation log row, as the middleware builds it (`sys_opera_log` without `id` and
/// `created_time`).
#[derive(Debug, Clone, PartialEq)]
pub struct OperaLogRecord {
    /// The request id (`X-Request-ID`), `-` when unknown.
    pub trace_id: String,
    /// The authenticated user, `None` for anonymous requests.
    pub username: Option<String>,
    /// HTTP method.
    pub method: String,
    /// The route's title (see [`RouteTitles`]).
    pub title: String,
    /// Request path.
    pub path: String,
    /// Client ip.
    pub ip: String,
    /// Country of the ip ([`crate::AppState::ip_locator`]; `None` when unknown).
    pub country: Option<String>,
    /// Region of the ip (`None` when unknown).
    pub region: Option<String>,
    /// City of the ip (`None` when unknown).
    pub city: Option<String>,
    /// Raw `User-Agent`.
    pub user_agent: Option<String>,
    /// Operating system from the user agent.
    pub os: Option<String>,
    /// Browser from the user agent.
    pub browser: Option<String>,
    /// Device from the user agent.
    pub device: Option<String>,
    /// FBA's request arguments object, `None` when the request had none.
    pub args: Option<Value>,
    /// 1 success, 0 failure.
    pub status: i32,
    /// The envelope code as text (`"200"` on success, soft failures included).
    pub code: String,
    /// `Success` or the error message.
    pub msg: Option<String>,
    /// Milliseconds from the request's arrival to its response, 3 decimals.
    pub cost_time: f64,
    /// When the request arrived.
    pub opera_time: DateTime<Utc>,
}

/// Where batches of rows are written.
#[async_trait::async_trait]
pub trait OperaLogSink: Send + Sync + 'static {
    /// Writes `rows` in one transaction: all of them or none.
    ///
    /// # Errors
    /// [`AppError::Unavailable`] when the store cannot be reached (the batch is retried), any
    /// other error when a row was refused (the batch is retried row by row).
    async fn write_batch(&self, rows: &[OperaLogRecord]) -> AppResult<()>;

    /// Releases the sink's resources once the queue has been flushed (nothing by default).
    async fn close(&self) {}
}

/// The code and message of an error response, attached to its extensions by
/// [`crate::AppError`] (FBA keeps them in the request context for the operation log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorOutcome {
    /// The body's `code`.
    pub code: u16,
    /// The body's `msg`.
    pub msg: String,
}

// ---------------------------------------------------------------------------------------------
// Titles

/// Titles of routes by method and route pattern (FBA's OpenAPI `summary`).
#[derive(Debug, Clone, Default)]
pub struct RouteTitles {
    titles: HashMap<(Method, String), String>,
}

impl RouteTitles {
    /// No titles: every route is recorded with its pattern.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `summary` of every operation of an OpenAPI document, by method and path template.
    pub fn from_openapi(doc: &utoipa::openapi::OpenApi) -> Self {
        let mut titles = Self::new();
        for (path, item) in &doc.paths.paths {
            let operations = [
                (Method::GET, &item.get),
                (Method::PUT, &item.put),
                (Method::POST, &item.post),
                (Method::DELETE, &item.delete),
                (Method::OPTIONS, &item.options),
                (Method::HEAD, &item.head),
                (Method::PATCH, &item.patch),
                (Method::TRACE, &item.trace),
            ];
            for (method, op) in operations {
                if let Some(summary) = op.as_ref().and_then(|o| o.summary.as_ref()) {
                    titles.insert(method, path.clone(), summary.clone());
                }
            }
        }
        titles
    }

    /// Sets the title of `method pattern` (`pattern` as actix matches it, e.g.
    /// `/api/v1/sys/users/{pk}`).
    pub fn insert(&mut self, method: Method, pattern: impl Into<String>, title: impl Into<String>) {
        self.titles.insert((method, pattern.into()), title.into());
    }

    /// Adds every title of `other` (its titles win).
    pub fn extend(&mut self, other: RouteTitles) {
        self.titles.extend(other.titles);
    }

    /// The title of a request: its registered title, else the matched pattern, else `""`.
    pub fn title(&self, method: &Method, pattern: Option<&str>) -> String {
        let Some(pattern) = pattern else {
            return String::new();
        };
        self.titles
            .get(&(method.clone(), pattern.to_owned()))
            .cloned()
            .unwrap_or_else(|| pattern.to_owned())
    }
}

// ---------------------------------------------------------------------------------------------
// Queue

#[derive(Debug, Default)]
struct Counters {
    accepted: AtomicU64,
    written: AtomicU64,
    dropped: AtomicU64,
}

/// What the queue has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OperaLogStats {
    /// Rows accepted into the queue.
    pub accepted: u64,
    /// Rows the sink has written.
    pub written: u64,
    /// Rows lost: queue full or closed, or refused by the sink.
    pub dropped: u64,
}

/// The sending side of the queue, held by the middleware.
#[derive(Debug, Clone)]
pub struct OperaLogSender {
    tx: mpsc::Sender<OperaLogRecord>,
    counters: Arc<Counters>,
}

impl OperaLogSender {
    /// Queues `row`; when the queue is full waits at most [`FULL_QUEUE_WAIT`] for room, then
    /// drops the row. Returns whether the row was queued.
    pub async fn send(&self, row: OperaLogRecord) -> bool {
        let row = match self.tx.try_send(row) {
            Ok(()) => {
                self.counters.accepted.fetch_add(1, Ordering::Relaxed);
                return true;
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.dropped("queue closed");
                return false;
            }
            Err(mpsc::error::TrySendError::Full(row)) => row,
        };
        match self.tx.send_timeout(row, FULL_QUEUE_WAIT).await {
            Ok(()) => {
                self.counters.accepted.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
                self.dropped("queue full");
                false
            }
            Err(mpsc::error::SendTimeoutError::Closed(_)) => {
                self.dropped("queue closed");
                false
            }
        }
    }

    fn dropped(&self, why: &str) {
        let n = self.counters.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        // One line for the first loss and every thousandth after it, not one per request.
        if n % 1000 == 1 {
            tracing::warn!(dropped_total = n, reason = why, "opera log: row dropped");
        }
    }
}

/// The bounded queue and its consumer task. Create it once at start-up (inside the Tokio
/// runtime), give [`OperaLogQueue::sender`] to the [`OperaLog`] middleware, and call
/// [`OperaLogQueue::flush_and_stop`] after the server has stopped.
#[derive(Debug)]
pub struct OperaLogQueue {
    sender: OperaLogSender,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl OperaLogQueue {
    /// Starts the consumer with `OPERA_LOG_QUEUE_MAXSIZE`, `OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE`
    /// and `OPERA_LOG_QUEUE_TIMEOUT` from `settings`. Must be called inside a Tokio runtime.
    pub fn start(settings: &fba_core_conf::OperaLogSettings, sink: Arc<dyn OperaLogSink>) -> Self {
        Self::with_limits(
            settings.queue_maxsize,
            settings.batch_size,
            Duration::from_secs(settings.flush_secs),
            sink,
        )
    }

    /// Starts the consumer with explicit limits (capacity and batch size at least 1).
    pub fn with_limits(
        capacity: usize,
        batch_size: usize,
        timeout: Duration,
        sink: Arc<dyn OperaLogSink>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let (stop_tx, stop_rx) = oneshot::channel();
        let counters = Arc::new(Counters::default());
        let consumer = Consumer {
            rx,
            stop: stop_rx,
            stopping: false,
            sink,
            batch_size: batch_size.max(1),
            timeout,
            counters: Arc::clone(&counters),
        };
        let task = tokio::spawn(consumer.run());
        Self {
            sender: OperaLogSender { tx, counters },
            stop: Some(stop_tx),
            task,
        }
    }

    /// The sending side, for [`OperaLog::new`].
    pub fn sender(&self) -> OperaLogSender {
        self.sender.clone()
    }

    /// Rows accepted, written and dropped so far.
    pub fn stats(&self) -> OperaLogStats {
        let c = &self.sender.counters;
        OperaLogStats {
            accepted: c.accepted.load(Ordering::Relaxed),
            written: c.written.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
        }
    }

    /// Closes the queue (later rows are dropped) and waits until every queued row has been
    /// handed to the sink; returns the final counts.
    pub async fn flush_and_stop(mut self) -> OperaLogStats {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Err(e) = (&mut self.task).await {
            tracing::error!(error = %e, "opera log: the writer task failed");
        }
        let stats = self.stats();
        tracing::info!(
            accepted = stats.accepted,
            written = stats.written,
            dropped = stats.dropped,
            "opera log: queue flushed and stopped"
        );
        stats
    }
}

struct Consumer {
    rx: mpsc::Receiver<OperaLogRecord>,
    stop: oneshot::Receiver<()>,
    stopping: bool,
    sink: Arc<dyn OperaLogSink>,
    batch_size: usize,
    timeout: Duration,
    counters: Arc<Counters>,
}

impl Consumer {
    async fn run(mut self) {
        loop {
            // Whatever is queued at once (up to a batch), else wait for the first row.
            let mut batch = Vec::with_capacity(self.batch_size);
            if self.fill(&mut batch, None).await == 0 {
                break;
            }
            // Then fill the batch until it is full or the timeout since its first row passed.
            let deadline = tokio::time::Instant::now() + self.timeout;
            while batch.len() < self.batch_size {
                if self.fill(&mut batch, Some(deadline)).await == 0 {
                    break;
                }
            }
            self.write(batch).await;
        }
        self.sink.close().await;
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
                _ = &mut self.stop, if !self.stopping => {
                    self.stopping = true;
                    self.rx.close();
                }
                n = self.rx.recv_many(batch, room) => return n,
                () = sleep => return 0,
            }
        }
    }

    async fn write(&self, batch: Vec<OperaLogRecord>) {
        let n = batch.len() as u64;
        let mut delay = Duration::from_millis(500);
        for attempt in 0..3 {
            match self.sink.write_batch(&batch).await {
                Ok(()) => {
                    self.counters.written.fetch_add(n, Ordering::Relaxed);
                    return;
                }
                Err(AppError::Unavailable(what)) if attempt < 2 => {
                    tracing::warn!(rows = n, store = %what, "opera log: store unavailable; retrying");
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                }
                Err(AppError::Unavailable(what)) => {
                    tracing::error!(rows = n, store = %what, "opera log: store unavailable; batch dropped");
                    self.counters.dropped.fetch_add(n, Ordering::Relaxed);
                    return;
                }
                Err(e) => {
                    tracing::error!(rows = n, error = %e, "opera log: batch refused; writing row by row");
                    self.write_one_by_one(&batch).await;
                    return;
                }
            }
        }
    }

    async fn write_one_by_one(&self, batch: &[OperaLogRecord]) {
        for row in batch {
            match self.sink.write_batch(std::slice::from_ref(row)).await {
                Ok(()) => {
                    self.counters.written.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    tracing::error!(trace_id = %row.trace_id, path = %row.path, error = %e, "opera log: row dropped");
                    self.counters.dropped.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Middleware

/// The operation-log middleware (see the module docs). Wrap it inside the request-context
/// middleware and outside the JWT middleware.
#[derive(Clone)]
pub struct OperaLog {
    config: Arc<Config>,
}

struct Config {
    prefix: String,
    exclude: Vec<String>,
    redact: Vec<String>,
    capture_limit: usize,
    titles: RouteTitles,
    sender: OperaLogSender,
}

impl OperaLog {
    /// The middleware for `settings` (`FASTAPI_API_V1_PATH`, `OPERA_LOG_*`, the upload limits
    /// that bound how much of a body is read), sending rows to `sender`.
    pub fn new(
        settings: &fba_core_conf::Settings,
        sender: OperaLogSender,
        titles: RouteTitles,
    ) -> Self {
        let upload_max = settings
            .upload
            .image_size_max
            .max(settings.upload.video_size_max);
        let capture_limit = usize::try_from(upload_max)
            .unwrap_or(usize::MAX)
            .saturating_add(MULTIPART_SLACK)
            .max(crate::extract::JSON_LIMIT);
        Self {
            config: Arc::new(Config {
                prefix: settings.api.v1_path.clone(),
                exclude: settings.opera_log.path_exclude.clone(),
                redact: settings.opera_log.redact_keys.clone(),
                capture_limit,
                titles,
                sender,
            }),
        }
    }
}

impl std::fmt::Debug for OperaLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OperaLog")
            .field("prefix", &self.config.prefix)
            .field("exclude", &self.config.exclude)
            .finish_non_exhaustive()
    }
}

impl Config {
    fn should_log(&self, method: &Method, path: &str) -> bool {
        method != Method::OPTIONS
            && path.starts_with(&self.prefix)
            && !self.exclude.iter().any(|p| p == path)
    }
}

impl<S, B> Transform<S, ServiceRequest> for OperaLog
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = OperaLogService<S>;
    type InitError = ();
    type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        std::future::ready(Ok(OperaLogService {
            service: Rc::new(service),
            config: Arc::clone(&self.config),
        }))
    }
}

/// The service of [`OperaLog`].
pub struct OperaLogService<S> {
    service: Rc<S>,
    config: Arc<Config>,
}

impl<S, B> Service<ServiceRequest> for OperaLogService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        if !self.config.should_log(req.method(), req.path()) {
            return Box::pin(async move {
                service
                    .call(req)
                    .await
                    .map(ServiceResponse::map_into_boxed_body)
            });
        }
        let cfg = Arc::clone(&self.config);
        Box::pin(async move {
            let client = req.extensions().get::<ClientInfo>().cloned();
            let started = client.as_ref().map_or_else(Instant::now, |c| c.started);
            let method = req.method().clone();
            let path = req.path().to_owned();
            let pattern = req.match_pattern();
            let checked_by_jwt = req
                .headers()
                .get(actix_web::http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(bearer)
                .is_some()
                && req
                    .app_data::<web::Data<Security>>()
                    .is_none_or(|s| !s.is_excluded(&path));
            let content_type = req
                .headers()
                .get(actix_web::http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let declared_len = req
                .headers()
                .get(actix_web::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let captured = capture_body(&mut req, cfg.capture_limit).await;
            let uncaptured = if captured.complete {
                0
            } else {
                declared_len
                    .unwrap_or(0)
                    .saturating_sub(captured.bytes.len() as u64)
            };
            let args = build_args(
                req.query_string(),
                content_type.as_deref(),
                &captured.bytes,
                &cfg.redact,
                (!captured.complete).then_some(uncaptured),
            );
            let (ip, trace_id, user_agent, opera_time) = match &client {
                Some(c) => (
                    c.ip.clone(),
                    c.trace_id.clone(),
                    c.user_agent.clone(),
                    c.start_time,
                ),
                None => (
                    client_ip(&req),
                    "-".to_owned(),
                    req.headers()
                        .get("user-agent")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    Utc::now(),
                ),
            };
            drop(captured);
            let locator = req
                .app_data::<web::Data<crate::AppState>>()
                .map(|state| Arc::clone(&state.ip_locator));

            let result = service.call(req).await;

            let (outcome, username, log) = match &result {
                Ok(res) => {
                    let username = res
                        .request()
                        .extensions()
                        .get::<Arc<AuthContext>>()
                        .map(|ctx| ctx.user.username.clone());
                    let outcome = res.response().extensions().get::<ErrorOutcome>().cloned();
                    let status = res.status();
                    let outcome = outcome.or_else(|| {
                        (status.is_client_error() || status.is_server_error()).then(|| {
                            ErrorOutcome {
                                code: status.as_u16(),
                                msg: status.canonical_reason().unwrap_or("").to_owned(),
                            }
                        })
                    });
                    // The JWT middleware refused the token: FBA rejects such requests before
                    // its operation log runs.
                    let jwt_rejected = checked_by_jwt && username.is_none() && outcome.is_some();
                    (outcome, username, !jwt_rejected)
                }
                Err(err) => {
                    let resp = err.error_response();
                    let outcome = resp
                        .extensions()
                        .get::<ErrorOutcome>()
                        .cloned()
                        .unwrap_or_else(|| ErrorOutcome {
                            code: resp.status().as_u16(),
                            msg: err.to_string(),
                        });
                    (Some(outcome), None, true)
                }
            };
            if log {
                let agent = crate::context::UserAgentInfo::parse(user_agent.as_deref());
                let (status, code, msg) = match outcome {
                    None => (1, "200".to_owned(), "Success".to_owned()),
                    Some(o) => (0, o.code.to_string(), o.msg),
                };
                let elapsed = started.elapsed().as_secs_f64() * 1000.0;
                let location = locator.and_then(|l| l.lookup(&ip)).unwrap_or_default();
                let record = OperaLogRecord {
                    trace_id,
                    username,
                    title: cfg.titles.title(&method, pattern.as_deref()),
                    method: method.to_string(),
                    path,
                    ip,
                    country: location.country,
                    region: location.region,
                    city: location.city,
                    user_agent,
                    os: agent.os,
                    browser: agent.browser,
                    device: agent.device,
                    args,
                    status,
                    code,
                    msg: Some(msg),
                    cost_time: (elapsed * 1000.0).round() / 1000.0,
                    opera_time,
                };
                cfg.sender.send(record).await;
            }
            result.map(ServiceResponse::map_into_boxed_body)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Body capture

struct Captured {
    bytes: Bytes,
    /// The whole body was read (not cut at the capture limit, no read error).
    complete: bool,
}

/// Reads the body (up to `limit` bytes) and puts an identical payload back for the handler:
/// the bytes read, then whatever was not read, then the read error if one happened.
async fn capture_body(req: &mut ServiceRequest, limit: usize) -> Captured {
    let mut payload = req.take_payload();
    let mut buf = BytesMut::new();
    let mut failure: Option<PayloadError> = None;
    let mut exhausted = false;
    while buf.len() < limit {
        match payload.next().await {
            Some(Ok(chunk)) => buf.extend_from_slice(&chunk),
            Some(Err(e)) => {
                failure = Some(e);
                break;
            }
            None => {
                exhausted = true;
                break;
            }
        }
    }
    let bytes = buf.freeze();
    let complete = exhausted && failure.is_none();
    if complete {
        if !bytes.is_empty() {
            req.set_payload(Payload::from(bytes.clone()));
        }
    } else {
        // Cut at the limit: the rest follows the bytes read. A read error ends the stream.
        let cut = failure.is_none();
        let head = futures_util::stream::iter(
            [Ok(bytes.clone())]
                .into_iter()
                .chain(failure.map(Err))
                .collect::<Vec<Result<Bytes, PayloadError>>>(),
        );
        let stream: std::pin::Pin<
            Box<dyn futures_util::Stream<Item = Result<Bytes, PayloadError>>>,
        > = if cut {
            Box::pin(head.chain(payload))
        } else {
            Box::pin(head)
        };
        req.set_payload(Payload::from(stream));
    }
    Captured { bytes, complete }
}

// ---------------------------------------------------------------------------------------------
// Arguments

/// FBA's `args`: `query_params`, then `json` (a JSON object body) or `data` (any other body as
/// text), or `x-www-form-urlencoded` / `form-data` (form bodies, files as
/// `{filename, content_type, size}`); top-level `redact` keys of each map replaced by
/// `[REDACTED]`; `None` when empty; the truncation object when its JSON exceeds
/// [`ARGS_MAX_SIZE`] bytes. `uncaptured` is `Some(bytes not read)` when the body was cut at
/// the capture limit: the truncation object is then forced and its `_original_size` counts
/// those bytes too.
pub fn build_args(
    query: &str,
    content_type: Option<&str>,
    body: &[u8],
    redact: &[String],
    uncaptured: Option<u64>,
) -> Option<Value> {
    let mut sections: Vec<(&'static str, Value)> = Vec::new();
    if !query.is_empty() {
        let params = last_wins(url::form_urlencoded::parse(query.as_bytes()));
        if !params.is_empty() {
            sections.push(("query_params", Value::Object(redacted(params, redact))));
        }
    }
    if !body.is_empty() {
        let media = MediaType::of(content_type);
        if media.json {
            match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(map)) => {
                    sections.push(("json", Value::Object(redacted(map, redact))))
                }
                _ => sections.push(("data", Value::String(text(body)))),
            }
        } else if media.urlencoded {
            let form = last_wins(url::form_urlencoded::parse(body));
            if !form.is_empty() {
                sections.push((
                    "x-www-form-urlencoded",
                    Value::Object(redacted(form, redact)),
                ));
            }
        } else if let Some(boundary) = media.multipart_boundary {
            let form = parse_multipart(body, &boundary);
            if !form.is_empty() {
                sections.push(("form-data", Value::Object(redacted(form, redact))));
            }
        } else {
            sections.push(("data", Value::String(text(body))));
        }
    }
    if sections.is_empty() && uncaptured.is_none() {
        return None;
    }
    let dumped = py_dump_sections(&sections);
    let size = dumped.len() as u64 + uncaptured.unwrap_or(0);
    if uncaptured.is_none() && size <= ARGS_MAX_SIZE as u64 {
        return Some(Value::Object(
            sections
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        ));
    }
    let preview: String = dumped.chars().take(ARGS_MAX_SIZE).collect();
    let mut truncated = Map::new();
    truncated.insert("_truncated".to_owned(), Value::Bool(true));
    truncated.insert("_original_size".to_owned(), Value::from(size));
    truncated.insert("_max_size".to_owned(), Value::from(ARGS_MAX_SIZE));
    truncated.insert(
        "_message".to_owned(),
        Value::String(format!(
            "数据过大已截断：原始大小 {size} 字节，限制 {ARGS_MAX_SIZE} 字节"
        )),
    );
    truncated.insert("data_preview".to_owned(), Value::String(preview));
    Some(Value::Object(truncated))
}

/// Body text; NUL characters are dropped (PostgreSQL cannot store them).
fn text(body: &[u8]) -> String {
    strip_nul(String::from_utf8_lossy(body).into_owned())
}

fn strip_nul(s: String) -> String {
    if s.contains('\0') {
        s.replace('\0', "")
    } else {
        s
    }
}

/// Pairs into a map, the last value of a repeated key winning (Starlette's `dict(...)`).
fn last_wins<'a>(
    pairs: impl Iterator<Item = (std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>)>,
) -> Map<String, Value> {
    pairs
        .map(|(k, v)| {
            (
                strip_nul(k.into_owned()),
                Value::String(strip_nul(v.into_owned())),
            )
        })
        .collect()
}

fn redacted(mut map: Map<String, Value>, keys: &[String]) -> Map<String, Value> {
    for key in keys {
        if let Some(v) = map.get_mut(key) {
            *v = Value::String(REDACTED.to_owned());
        }
    }
    map
}

#[derive(Debug, Default)]
struct MediaType {
    json: bool,
    urlencoded: bool,
    multipart_boundary: Option<String>,
}

impl MediaType {
    fn of(content_type: Option<&str>) -> Self {
        let Some(ct) = content_type else {
            return Self::default();
        };
        let mut parts = ct.split(';').map(str::trim);
        let essence = parts.next().unwrap_or("").to_ascii_lowercase();
        let params: Vec<&str> = parts.collect();
        let mut media = Self {
            // FBA looks for an exact `application/json` among the `;`-separated parts.
            json: essence == "application/json"
                || params
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case("application/json")),
            urlencoded: essence == "application/x-www-form-urlencoded",
            multipart_boundary: None,
        };
        if essence == "multipart/form-data" {
            media.multipart_boundary = params.iter().find_map(|p| {
                let (k, v) = p.split_once('=')?;
                k.trim()
                    .eq_ignore_ascii_case("boundary")
                    .then(|| v.trim().trim_matches('"').to_owned())
                    .filter(|b| !b.is_empty())
            });
        }
        media
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The fields of a `multipart/form-data` body: text fields as strings, files as
/// `{filename, content_type, size}`; an unfinished last part is ignored.
fn parse_multipart(body: &[u8], boundary: &str) -> Map<String, Value> {
    let mut form = Map::new();
    let delimiter = format!("--{boundary}").into_bytes();
    let mut closing = b"\r\n".to_vec();
    closing.extend_from_slice(&delimiter);
    let Some(start) = find(body, &delimiter) else {
        return form;
    };
    let mut pos = start + delimiter.len();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            break;
        }
        let after_line = match find(rest, b"\r\n") {
            Some(i) => pos + i + 2,
            None => break,
        };
        let Some(header_len) = find(&body[after_line..], b"\r\n\r\n") else {
            break;
        };
        let headers = String::from_utf8_lossy(&body[after_line..after_line + header_len]);
        let data_start = after_line + header_len + 4;
        let Some(data_len) = find(&body[data_start..], &closing) else {
            break;
        };
        let data = &body[data_start..data_start + data_len];
        let mut name = None;
        let mut filename = None;
        let mut part_type = None;
        for line in headers.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim();
            if key.eq_ignore_ascii_case("content-disposition") {
                for param in split_params(value) {
                    let Some((k, v)) = param.split_once('=') else {
                        continue;
                    };
                    let v = unquote(v.trim());
                    match k.trim().to_ascii_lowercase().as_str() {
                        "name" => name = Some(v),
                        "filename" => filename = Some(v),
                        _ => {}
                    }
                }
            } else if key.eq_ignore_ascii_case("content-type") {
                part_type = Some(value.trim().to_owned());
            }
        }
        if let Some(name) = name {
            let value = match filename {
                Some(filename) => serde_json::json!({
                    "filename": strip_nul(filename),
                    "content_type": part_type.map(strip_nul),
                    "size": data.len(),
                }),
                None => Value::String(text(data)),
            };
            form.insert(strip_nul(name), value);
        }
        pos = data_start + data_len + closing.len();
    }
    form
}

/// `;`-separated parameters, ignoring `;` inside quotes.
fn split_params(value: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => {
                cur.push(c);
                escaped = false;
            }
            '\\' if quoted => {
                cur.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_owned(),
    }
}

/// `json.dumps(args, ensure_ascii=False)` of the sections in order (Python's `", "` and `": "`
/// separators), to measure and preview as FBA does.
fn py_dump_sections(sections: &[(&str, Value)]) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in sections.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&py_dump(&Value::String((*key).to_owned())));
        out.push_str(": ");
        out.push_str(&py_dump(value));
    }
    out.push('}');
    out
}

struct PyFormatter;

impl serde_json::ser::Formatter for PyFormatter {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }
}

fn py_dump(value: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PyFormatter);
    if serde::Serialize::serialize(value, &mut ser).is_err() {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys() -> Vec<String> {
        [
            "password",
            "old_password",
            "new_password",
            "confirm_password",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    }

    #[test]
    fn query_and_json_object_are_redacted_at_the_top_level_only() {
        let args = build_args(
            "a=1&password=x&a=2",
            Some("application/json;charset=utf-8"),
            br#"{"username":"u","password":"p","nested":{"password":"kept"}}"#,
            &keys(),
            None,
        )
        .unwrap();
        assert_eq!(
            args,
            json!({
                "query_params": {"a": "2", "password": "[REDACTED]"},
                "json": {"username": "u", "password": "[REDACTED]", "nested": {"password": "kept"}},
            })
        );
    }

    #[test]
    fn other_bodies_are_text_and_nothing_is_null() {
        assert_eq!(build_args("", None, b"", &keys(), None), None);
        assert_eq!(
            build_args("", Some("text/plain"), b"hello", &keys(), None),
            Some(json!({"data": "hello"}))
        );
        assert_eq!(
            build_args("", Some("application/json"), b"[1,2]", &keys(), None),
            Some(json!({"data": "[1,2]"}))
        );
        assert_eq!(
            build_args("", Some("application/json"), b"{oops", &keys(), None),
            Some(json!({"data": "{oops"}))
        );
    }

    #[test]
    fn forms_are_parsed_and_redacted() {
        assert_eq!(
            build_args(
                "",
                Some("application/x-www-form-urlencoded"),
                b"username=a&password=b",
                &keys(),
                None
            ),
            Some(json!({"x-www-form-urlencoded": {"username": "a", "password": "[REDACTED]"}}))
        );
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n\x00\x01\r\n--XyZ\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\nsecret\r\n--XyZ--\r\n";
        assert_eq!(
            build_args(
                "",
                Some("multipart/form-data; boundary=XyZ"),
                body,
                &keys(),
                None
            ),
            Some(json!({"form-data": {
                "title": "hello",
                "file": {"filename": "a;b.png", "content_type": "image/png", "size": 8},
                "password": "[REDACTED]",
            }}))
        );
    }

    #[test]
    fn large_args_become_fbas_truncation_object() {
        let big = "界".repeat(4000); // 12 000 bytes in UTF-8
        let body = serde_json::to_vec(&json!({ "text": big })).unwrap();
        let args = build_args("", Some("application/json"), &body, &keys(), None).unwrap();
        let expected_text = format!("{{\"json\": {{\"text\": \"{big}\"}}}}");
        let size = expected_text.len();
        assert_eq!(args["_truncated"], json!(true));
        assert_eq!(args["_original_size"], json!(size));
        assert_eq!(args["_max_size"], json!(10240));
        assert_eq!(
            args["_message"],
            json!(format!(
                "数据过大已截断：原始大小 {size} 字节，限制 10240 字节"
            ))
        );
        let preview: String = expected_text.chars().take(10240).collect();
        assert_eq!(args["data_preview"], json!(preview));
    }

    #[test]
    fn a_body_cut_at_the_capture_limit_is_always_truncated() {
        let args = build_args("", Some("text/plain"), b"abc", &keys(), Some(100)).unwrap();
        assert_eq!(args["_truncated"], json!(true));
        assert_eq!(
            args["_original_size"],
            json!(r#"{"data": "abc"}"#.len() + 100)
        );
    }

    #[test]
    fn python_separators_are_used_for_the_size() {
        assert_eq!(
            py_dump(&json!({"a": [1, 2], "b": "é"})),
            r#"{"a": [1, 2], "b": "é"}"#
        );
    }

    fn row(id: &str) -> OperaLogRecord {
        OperaLogRecord {
            trace_id: id.to_owned(),
            username: None,
            method: "GET".to_owned(),
            title: String::new(),
            path: "/api/v1/x".to_owned(),
            ip: "127.0.0.1".to_owned(),
            country: None,
            region: None,
            city: None,
            user_agent: None,
            os: None,
            browser: None,
            device: None,
            args: None,
            status: 1,
            code: "200".to_owned(),
            msg: Some("Success".to_owned()),
            cost_time: 0.0,
            opera_time: Utc::now(),
        }
    }

    /// Records batches; refuses rows whose id starts with `bad`, and the first `unavailable`
    /// calls as if the database were down; waits for `gate` before each write when set.
    #[derive(Default)]
    struct TestSink {
        batches: std::sync::Mutex<Vec<Vec<String>>>,
        unavailable: AtomicU64,
        gate: Option<Arc<tokio::sync::Semaphore>>,
    }

    #[async_trait::async_trait]
    impl OperaLogSink for TestSink {
        async fn write_batch(&self, rows: &[OperaLogRecord]) -> AppResult<()> {
            if let Some(gate) = &self.gate {
                gate.acquire().await.unwrap().forget();
            }
            if self
                .unavailable
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err(AppError::Unavailable("database".to_owned()));
            }
            if rows.iter().any(|r| r.trace_id.starts_with("bad")) {
                return Err(AppError::Internal("refused".to_owned()));
            }
            self.batches
                .lock()
                .unwrap()
                .push(rows.iter().map(|r| r.trace_id.clone()).collect());
            Ok(())
        }
    }

    impl TestSink {
        fn batches(&self) -> Vec<Vec<String>> {
            self.batches.lock().unwrap().clone()
        }
    }

    #[tokio::test]
    async fn stop_writes_every_queued_row_in_batches() {
        let sink = Arc::new(TestSink::default());
        let queue = OperaLogQueue::with_limits(100, 3, Duration::from_secs(3600), sink.clone());
        let sender = queue.sender();
        for i in 0..7 {
            assert!(sender.send(row(&i.to_string())).await);
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
                dropped: 0
            }
        );
        assert_eq!(
            sink.batches(),
            vec![vec!["0", "1", "2"], vec!["3", "4", "5"], vec!["6"]]
        );
        assert!(!sender.send(row("late")).await, "closed after the stop");
    }

    #[tokio::test]
    async fn a_partial_batch_is_written_after_the_timeout() {
        let sink = Arc::new(TestSink::default());
        let queue = OperaLogQueue::with_limits(100, 50, Duration::from_millis(200), sink.clone());
        queue.sender().send(row("a")).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(sink.batches().is_empty());
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(sink.batches(), vec![vec!["a"]]);
        queue.flush_and_stop().await;
    }

    #[tokio::test]
    async fn an_unreachable_store_is_retried_and_a_bad_row_does_not_sink_its_batch() {
        let sink = Arc::new(TestSink {
            unavailable: AtomicU64::new(2),
            ..TestSink::default()
        });
        let queue = OperaLogQueue::with_limits(100, 10, Duration::from_secs(3600), sink.clone());
        let sender = queue.sender();
        for id in ["a", "b"] {
            sender.send(row(id)).await;
        }
        let stats = queue.flush_and_stop().await;
        assert_eq!((stats.written, stats.dropped), (2, 0));
        assert_eq!(sink.batches(), vec![vec!["a", "b"]]);

        let sink = Arc::new(TestSink::default());
        let queue = OperaLogQueue::with_limits(100, 10, Duration::from_secs(3600), sink.clone());
        let sender = queue.sender();
        for id in ["a", "bad", "c"] {
            sender.send(row(id)).await;
        }
        let stats = queue.flush_and_stop().await;
        assert_eq!((stats.written, stats.dropped), (2, 1));
        assert_eq!(sink.batches(), vec![vec!["a"], vec!["c"]]);
    }

    #[tokio::test]
    async fn a_full_queue_drops_the_row_after_a_bounded_wait() {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let sink = Arc::new(TestSink {
            gate: Some(Arc::clone(&gate)),
            ..TestSink::default()
        });
        let queue = OperaLogQueue::with_limits(1, 1, Duration::from_secs(3600), sink.clone());
        let sender = queue.sender();
        assert!(sender.send(row("writing")).await);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(sender.send(row("queued")).await);
        let started = Instant::now();
        assert!(!sender.send(row("dropped")).await);
        assert!(started.elapsed() >= FULL_QUEUE_WAIT);
        gate.add_permits(10);
        let stats = queue.flush_and_stop().await;
        assert_eq!(
            stats,
            OperaLogStats {
                accepted: 2,
                written: 2,
                dropped: 1
            }
        );
    }

    #[actix_web::test]
    async fn bodies_reach_the_handler_intact_below_and_above_the_capture_limit() {
        use actix_web::{App, HttpResponse, test as atest};
        let settings = fba_core_conf::Settings::from_source(&fba_core_conf::Source::from_pairs([
            ("UPLOAD_IMAGE_SIZE_MAX", "1"),
            ("UPLOAD_VIDEO_SIZE_MAX", "1"),
        ]))
        .unwrap();
        let (tx, mut rx) = mpsc::channel(10);
        let spy = Arc::new(SpySink(tx));
        let spy_queue = OperaLogQueue::with_limits(100, 1, Duration::from_secs(3600), spy);
        let app = atest::init_service(
            App::new()
                .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                .route(
                    "/api/v1/echo",
                    web::post().to(|body: Bytes| async move {
                        HttpResponse::Ok().body(format!(
                            "{}:{}",
                            body.len(),
                            body.iter().map(|b| u64::from(*b)).sum::<u64>()
                        ))
                    }),
                )
                .wrap(OperaLog::new(
                    &settings,
                    spy_queue.sender(),
                    RouteTitles::new(),
                )),
        )
        .await;
        // 2 MiB is the capture limit here (the uploads are limited to 1 byte).
        for len in [10usize, 3 * 1024 * 1024] {
            let body: Vec<u8> = (0..len).map(|i| (i % 250 + 1) as u8).collect();
            let sum: u64 = body.iter().map(|b| u64::from(*b)).sum();
            let req = atest::TestRequest::post()
                .uri("/api/v1/echo?k=v")
                .insert_header(("content-type", "application/octet-stream"))
                .set_payload(body)
                .to_request();
            let resp = atest::call_service(&app, req).await;
            assert_eq!(resp.status().as_u16(), 200);
            let text = atest::read_body(resp).await;
            assert_eq!(text, format!("{len}:{sum}").as_bytes());
            let row = rx.recv().await.unwrap();
            let args = row.args.unwrap();
            if len == 10 {
                assert_eq!(args["query_params"], serde_json::json!({"k": "v"}));
                assert_eq!(args["data"].as_str().map(str::len), Some(10));
            } else {
                assert_eq!(args["_truncated"], serde_json::json!(true));
                assert!(args["_original_size"].as_u64().unwrap() > len as u64);
            }
            assert_eq!(row.title, "/api/v1/echo");
            assert_eq!((row.status, row.code.as_str()), (1, "200"));
        }
        spy_queue.flush_and_stop().await;
    }

    /// Forwards every row to a channel.
    struct SpySink(mpsc::Sender<OperaLogRecord>);

    #[async_trait::async_trait]
    impl OperaLogSink for SpySink {
        async fn write_batch(&self, rows: &[OperaLogRecord]) -> AppResult<()> {
            for r in rows {
                let _ = self.0.send(r.clone()).await;
            }
            Ok(())
        }
    }

    #[test]
    fn titles_fall_back_to_the_pattern_then_empty() {
        let mut titles = RouteTitles::new();
        titles.insert(Method::GET, "/api/v1/logs/opera", "分页获取操作日志");
        assert_eq!(
            titles.title(&Method::GET, Some("/api/v1/logs/opera")),
            "分页获取操作日志"
        );
        assert_eq!(
            titles.title(&Method::DELETE, Some("/api/v1/logs/opera")),
            "/api/v1/logs/opera"
        );
        assert_eq!(titles.title(&Method::GET, None), "");
    }
}
