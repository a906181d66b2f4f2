//! FBA's operation log (`OperaLogMiddleware`): one row per API request, written off the request
//! path in batches, never blocking a request and never losing a row it acknowledged.
//!
//! This module owns the row type ([`OperaLogRecord`]), the [`OperaLogSink`] trait (fba-admin
//! implements it over `sys_opera_log`) and the outcome type errors attach ([`ErrorOutcome`]);
//! its parts live in small files:
//! - `middleware` ([`OperaLog`]): for a path under `FASTAPI_API_V1_PATH` that is not in
//!   `OPERA_LOG_PATH_EXCLUDE`, with a method other than `OPTIONS`, it reads the request body
//!   (and gives it back to the handler), builds FBA's `args`, runs the request, then hands an
//!   [`OperaLogRecord`] with the outcome the client was told to the queue before the response
//!   leaves. Rejections of the JWT middleware (a bearer token that did not authenticate) are not
//!   logged, as in FBA where that middleware sits outside the operation log.
//! - `queue` ([`OperaLogQueue`], [`OperaLogSender`], [`OperaLogStats`]): the bounded queue
//!   (`OPERA_LOG_QUEUE_MAXSIZE`) and its writer task, which writes up to
//!   `OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE` rows at a time; a batch lingers at most
//!   min(`OPERA_LOG_QUEUE_TIMEOUT`, 500 ms) for more rows, so a lone row is in the database
//!   within about a second. [`OperaLogQueue::flush_and_stop`] writes (or spools) every queued
//!   row on a graceful shutdown.
//! - `spool`: a local append-only file of JSON lines, one per replica
//!   (`OPERA_LOG_SPOOL_DIR/opera-log.{slot}.spool`, the first slot whose lock is free). Rows go
//!   there instead of waiting or being dropped: when the queue is full
//!   ([`OperaLogSender::send`] never waits), and while the sink answers
//!   [`crate::AppError::Unavailable`]. The writer replays the spool in order, records how far in
//!   an offset file, de-duplicates the one chunk whose commit is uncertain
//!   ([`OperaLogSink::already_written`]) and empties the file once it is replayed. A spool left
//!   by a crash or by an outage that outlived the process is replayed at the next start. Beyond
//!   `OPERA_LOG_SPOOL_MAX_BYTES` rows are dropped, counted and logged: the only way a row is
//!   lost (besides a row the database refuses, which is logged too).
//! - `args` ([`build_args`]): FBA's `args` (query, JSON or form body, top-level
//!   `OPERA_LOG_REDACT_KEYS` redacted, the 10 240-byte truncation object).
//! - `titles` ([`RouteTitles`]): the route's OpenAPI `summary` by method and route pattern; a
//!   matched route without a title is recorded with its pattern (`/api/v1/sys/users/{pk}`), a
//!   path no route matches with `""` (FBA's value without a route).
//!
//! Differences from FBA: FBA's `Queue.put` waits forever on a full queue and a failed batch is
//! dropped; here a full queue or an unreachable database sends rows to the spool, and a batch
//! refused for another reason is retried row by row so one bad row does not take the others
//! with it. In `args`, a form body is recorded only as its parsed (redacted) fields, not also as
//! raw `data` text (FBA's copy leaks unredacted passwords and file bytes); a JSON body that is
//! not an object, or not valid JSON, is kept as `data` text (FBA: `str()` of the value, or a
//! 500); object keys come out sorted; a body beyond the capture limit (the largest upload plus
//! 64 KiB, at least 2 MiB) streams on to the handler uncopied and is recorded as the truncation
//! object, its `_original_size` counting the bytes not read.

mod args;
mod middleware;
mod queue;
mod spool;
mod titles;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::error::AppResult;

pub use args::build_args;
pub use middleware::{OperaLog, OperaLogService};
pub use queue::{
    MAX_LINGER, OperaLogQueue, OperaLogSender, OperaLogStats, OperaLogStatsHandle, REPLAY_RETRY,
};
pub use spool::{SpoolConfig, SpoolError};
pub use titles::RouteTitles;

/// Largest `args` JSON kept as is (bytes, FBA's `max_size`); larger ones become the truncation
/// object.
pub const ARGS_MAX_SIZE: usize = 10_240;

/// Value that replaces a redacted argument.
pub const REDACTED: &str = "[REDACTED]";

/// One operation log row, as the middleware builds it (`sys_opera_log` without `id` and
/// `created_time`). Serialised as one JSON object per spool line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    #[serde(default, deserialize_with = "finite_or_zero")]
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
    /// [`crate::AppError::Unavailable`] when the store cannot be reached (the batch goes to the
    /// spool and is replayed later), any other error when a row was refused (the batch is
    /// retried row by row).
    async fn write_batch(&self, rows: &[OperaLogRecord]) -> AppResult<()>;

    /// For each of `rows`, whether it is already stored: asked before replaying the one chunk of
    /// the spool whose earlier write may have committed without the writer learning it (the
    /// first chunk after a restart, a chunk whose write failed with a connection error). The
    /// default answers `false` for every row (a sink that cannot tell may write a row twice).
    ///
    /// # Errors
    /// [`crate::AppError::Unavailable`] when the store cannot be reached (asked again later); any
    /// other error makes the writer write the chunk unchecked.
    async fn already_written(&self, rows: &[OperaLogRecord]) -> AppResult<Vec<bool>> {
        Ok(vec![false; rows.len()])
    }

    /// Releases the sink's resources once the queue has been flushed (nothing by default).
    async fn close(&self) {}
}

pub use crate::error::ErrorOutcome;

/// `cost_time` from a spool line: a number, or 0 for `null` (how JSON writes a non-finite
/// number).
fn finite_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?
        .filter(|v| v.is_finite())
        .unwrap_or(0.0))
}

/// Fixtures shared by the operation log's unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use std::path::PathBuf;

    use chrono::{DateTime, Utc};

    use super::OperaLogRecord;

    /// A plain successful `GET /api/v1/x` row with request id `id` and a fixed time.
    pub(crate) fn row(id: &str) -> OperaLogRecord {
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
            opera_time: DateTime::<Utc>::from_timestamp(1_700_000_000, 123_456_789)
                .unwrap_or_default(),
        }
    }

    /// A fresh spool directory under the system temp dir.
    pub(crate) fn temp_dir() -> PathBuf {
        std::env::temp_dir().join(format!("fba-spool-{}", uuid::Uuid::new_v4()))
    }
}
