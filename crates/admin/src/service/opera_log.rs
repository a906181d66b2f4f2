//! The operation log: the [`DbOperaLogSink`] the opera-log middleware's queue writes batches
//! through, and listing and deleting rows.
//!
//! The sink has its own small pool, opened on the runtime that runs the queue's writer (the
//! main one). The app's pool also holds connections opened by the HTTP workers' runtimes, which
//! die with the workers when the server stops — exactly when the final flush needs the database.
//!
//! Rows are fitted to `sys_opera_log`'s columns before the insert (texts cut to the column
//! length in characters, NUL characters dropped) so one odd request (a 40-character request id,
//! a 2 000-character path) cannot make PostgreSQL or MySQL refuse a whole batch. A request id
//! longer than the 32-character column that is a UUID is stored in its 32-hex form. Numbers in
//! `args` that could not be read back (a float of magnitude 1e300 or more: PostgreSQL's JSONB
//! writes 1.7976931348623157e308 as 309 digits, which serde_json refuses as out of range) are
//! stored as their JSON text in a string, so every stored row can be listed.
//!
//! [`OperaLogSink::already_written`] looks rows up by their stored `(trace_id, opera_time,
//! path)`, so a chunk of the queue's spool whose earlier write may have committed is not
//! written twice.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, Utc};
use fba_common::middleware::opera_log::{OperaLogRecord, OperaLogSink};
use fba_common::pagination::{Page, PageParams};
use fba_common::{AppResult, AppState};
use fba_db::Repository;
use sea_orm::{
    ActiveValue, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, TransactionTrait,
};
use serde_json::Value;

use super::fit;
use crate::crud;
use crate::model::sys_opera_log;
use crate::schema::opera_log::{OperaLogDetail, OperaLogFilter};

/// Rows per `INSERT` statement (keeps SQLite's bound-parameter limit far away).
const INSERT_CHUNK: usize = 500;

/// Connections of the sink's own pool.
const SINK_POOL_SIZE: u32 = 2;

/// Prepared statements each sink connection keeps (the duplicate check and the common batch
/// sizes).
const SINK_STATEMENT_CACHE: usize = 4;

/// Writes the middleware's batches into `sys_opera_log`.
#[derive(Debug, Clone)]
pub struct DbOperaLogSink {
    state: AppState,
    db: fba_db::Db,
}

impl DbOperaLogSink {
    /// A sink over the app's database with its own pool of two connections behind its own
    /// outage breaker ([`fba_db::Db`]: an unreachable database is reported at once, so rows go
    /// to the spool without waiting for the pool timeout; snowflake ids from `state` when
    /// enabled). Call it where the queue's writer runs (`OperaLogQueue::start`).
    ///
    /// # Errors
    /// [`fba_db::DbError`] when the database cannot be reached.
    pub async fn connect(state: AppState) -> Result<Self, fba_db::DbError> {
        let mut settings = state.settings.database.clone();
        settings.pool.max_connections = SINK_POOL_SIZE;
        // Bulk inserts of 1..500 rows are statements of up to ~100 KB of text, each size its
        // own: caching them per connection cost ~10 MB of RSS under load for no gain.
        settings.pool.statement_cache = Some(SINK_STATEMENT_CACHE);
        settings.pool.min_connections = settings.pool.min_connections.min(1);
        let db = fba_db::Db::connect(&settings).await?;
        Ok(Self { state, db })
    }
}

#[async_trait::async_trait]
impl OperaLogSink for DbOperaLogSink {
    async fn write_batch(&self, rows: &[OperaLogRecord]) -> AppResult<()> {
        bulk_create(&self.state, &self.db, rows).await
    }

    async fn already_written(&self, rows: &[OperaLogRecord]) -> AppResult<Vec<bool>> {
        already_written(&self.db, rows).await
    }

    async fn close(&self) {
        if let Err(e) = self.db.clone().close().await {
            tracing::warn!(error = %e, "opera log: closing the writer's pool failed");
        }
    }
}

/// Inserts `rows` through `db` in one transaction (one `INSERT` per [`INSERT_CHUNK`] rows), with
/// snowflake ids from `state` when enabled.
///
/// # Errors
/// [`fba_common::AppError::Unavailable`] when the database cannot be reached, another error when
/// a row is refused or no snowflake id can be made; nothing is written then.
pub async fn bulk_create<C>(state: &AppState, db: &C, rows: &[OperaLogRecord]) -> AppResult<()>
where
    C: TransactionTrait<Transaction = DatabaseTransaction>,
{
    let mut models = Vec::with_capacity(rows.len());
    for row in rows {
        models.push(active_model(state.next_id()?, row));
    }
    let txn = fba_db::begin_write(db).await?;
    for chunk in models.chunks(INSERT_CHUNK) {
        crud::opera_log::insert_many(&txn, chunk.to_vec()).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// For each of `rows`, whether `sys_opera_log` holds a row with its stored `trace_id`, `path`
/// and `opera_time` (to the microsecond, the precision every backend keeps). One query,
/// bounded by `trace_id IN (...)` and the rows' time range (widened by a second).
///
/// # Errors
/// [`fba_common::AppError::Unavailable`] when the database cannot be reached, another error
/// when the query fails.
pub async fn already_written(
    db: &impl ConnectionTrait,
    rows: &[OperaLogRecord],
) -> AppResult<Vec<bool>> {
    let (Some(first), Some(last)) = (
        rows.iter().map(|r| r.opera_time).min(),
        rows.iter().map(|r| r.opera_time).max(),
    ) else {
        return Ok(Vec::new());
    };
    let margin = chrono::TimeDelta::seconds(1);
    let keys: Vec<(String, String, i64)> = rows.iter().map(stored_key).collect();
    let ids: BTreeSet<&str> = keys.iter().map(|(id, _, _)| id.as_str()).collect();
    let found: Vec<(String, String, DateTime<Utc>)> = sys_opera_log::Entity::find()
        .select_only()
        .column(sys_opera_log::Column::TraceId)
        .column(sys_opera_log::Column::Path)
        .column(sys_opera_log::Column::OperaTime)
        .filter(sys_opera_log::Column::TraceId.is_in(ids))
        .filter(sys_opera_log::Column::OperaTime.between(first - margin, last + margin))
        .into_tuple()
        .all(db)
        .await?;
    let found: HashSet<(String, String, i64)> = found
        .into_iter()
        .map(|(id, path, at)| (id, path, at.timestamp_micros()))
        .collect();
    Ok(keys.iter().map(|k| found.contains(k)).collect())
}

/// `(trace_id, path, opera_time in µs)` as [`active_model`] stores them.
fn stored_key(r: &OperaLogRecord) -> (String, String, i64) {
    (
        trace_id(&r.trace_id),
        fit(&r.path, PATH_MAX),
        r.opera_time.timestamp_micros(),
    )
}

/// Length of the `path` column.
const PATH_MAX: usize = 512;

fn active_model(id: Option<i64>, r: &OperaLogRecord) -> sys_opera_log::ActiveModel {
    let opt = |v: &Option<String>, max: usize| v.as_deref().map(|s| fit(s, max));
    sys_opera_log::ActiveModel {
        id: id.map_or(ActiveValue::NotSet, ActiveValue::Set),
        trace_id: ActiveValue::Set(trace_id(&r.trace_id)),
        username: ActiveValue::Set(opt(&r.username, 64)),
        method: ActiveValue::Set(fit(&r.method, 32)),
        title: ActiveValue::Set(fit(&r.title, 256)),
        path: ActiveValue::Set(fit(&r.path, PATH_MAX)),
        ip: ActiveValue::Set(fit(&r.ip, 64)),
        country: ActiveValue::Set(opt(&r.country, 64)),
        region: ActiveValue::Set(opt(&r.region, 64)),
        city: ActiveValue::Set(opt(&r.city, 64)),
        user_agent: ActiveValue::Set(opt(&r.user_agent, 512)),
        os: ActiveValue::Set(opt(&r.os, 64)),
        browser: ActiveValue::Set(opt(&r.browser, 64)),
        device: ActiveValue::Set(opt(&r.device, 64)),
        args: ActiveValue::Set(r.args.clone().map(storable_args)),
        status: ActiveValue::Set(r.status),
        code: ActiveValue::Set(fit(&r.code, 32)),
        msg: ActiveValue::Set(r.msg.as_deref().map(|m| m.replace('\0', ""))),
        cost_time: ActiveValue::Set(if r.cost_time.is_finite() {
            r.cost_time
        } else {
            0.0
        }),
        opera_time: ActiveValue::Set(r.opera_time),
        created_time: ActiveValue::Set(Utc::now()),
    }
}

/// The request id in the 32-character column: as is when it fits, a UUID in its 32-hex form,
/// anything else cut.
fn trace_id(raw: &str) -> String {
    if raw.chars().count() <= 32 {
        return fit(raw, 32);
    }
    match uuid::Uuid::parse_str(raw.trim()) {
        Ok(id) => id.simple().to_string(),
        Err(_) => fit(raw, 32),
    }
}

/// Floats at least this large (in magnitude) are stored as text: PostgreSQL's JSONB prints them
/// with every digit (1.7976931348623157e308 as 309 digits), which serde_json refuses to read
/// back ("number out of range").
const FLOAT_AS_TEXT_FROM: f64 = 1e300;

/// `args` as they can be stored and read back on every backend: no NUL characters in keys and
/// strings (PostgreSQL's JSON cannot hold `\u0000`), and floats of magnitude 1e300 or more (or
/// not finite) replaced by their JSON text in a string.
fn storable_args(v: Value) -> Value {
    match v {
        Value::String(s) if s.contains('\0') => Value::String(s.replace('\0', "")),
        Value::Number(n) if n.is_f64() && !n.as_f64().is_some_and(storable_float) => {
            Value::String(n.to_string())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(storable_args).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.replace('\0', ""), storable_args(v)))
                .collect(),
        ),
        other => other,
    }
}

fn storable_float(f: f64) -> bool {
    f.is_finite() && f.abs() < FLOAT_AS_TEXT_FROM
}

/// One page of the log, newest first.
///
/// # Errors
/// A database failure.
pub async fn list(
    state: &AppState,
    filter: &OperaLogFilter,
    params: &PageParams,
) -> AppResult<Page<OperaLogDetail>> {
    let (rows, total) = crud::log::page::<sys_opera_log::Entity, _>(
        &state.db,
        filter.into(),
        params.offset(),
        params.limit(),
    )
    .await?;
    Ok(Page::new(
        rows.into_iter().map(OperaLogDetail::from).collect(),
        total,
        params,
    ))
}

/// Deletes the rows with these ids (committed before returning); returns how many were
/// deleted.
///
/// # Errors
/// A database failure.
pub async fn delete(state: &AppState, pks: &[i64]) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let count = sys_opera_log::Entity::delete_ids(&txn, pks).await?;
    txn.commit().await?;
    Ok(count)
}

/// Deletes every row (committed before returning).
///
/// # Errors
/// A database failure.
pub async fn delete_all(state: &AppState) -> AppResult<()> {
    let txn = fba_db::begin_write(&state.db).await?;
    sys_opera_log::Entity::delete_all(&txn).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_fitted_to_their_columns() {
        assert_eq!(fit("a\0b", 32), "ab");
        assert_eq!(fit(&"界".repeat(70), 64).chars().count(), 64);
        assert_eq!(
            trace_id("0f8fad5b-d9cb-469f-a165-70867728950e"),
            "0f8fad5bd9cb469fa16570867728950e"
        );
        assert_eq!(trace_id("-"), "-");
        assert_eq!(trace_id(&"x".repeat(40)), "x".repeat(32));
        assert_eq!(
            storable_args(serde_json::json!({"a\u{0}": ["b\u{0}"]})),
            serde_json::json!({"a": ["b"]})
        );
    }

    #[test]
    fn huge_floats_in_args_are_stored_as_text_the_rest_unchanged() {
        let args: Value = serde_json::from_str(
            r#"{"json": {"name": "p", "status": 1, "z": 1.7976931348623157e308,
                "list": [-1e300, 1e299, 1.5, 18446744073709551615, -9223372036854775808]}}"#,
        )
        .unwrap();
        let stored = storable_args(args);
        let text = |v: &Value| v.as_str().map(|t| t.parse::<f64>().unwrap());
        let json = &stored["json"];
        assert_eq!(text(&json["z"]), Some(f64::MAX), "the float's JSON text");
        assert_eq!(text(&json["list"][0]), Some(-1e300));
        assert_eq!(
            json["list"][1].as_f64(),
            Some(1e299),
            "smaller floats stay numbers"
        );
        assert_eq!(
            (&json["name"], &json["status"], &json["list"][2]),
            (
                &serde_json::json!("p"),
                &serde_json::json!(1),
                &serde_json::json!(1.5)
            )
        );
        assert_eq!(
            json["list"][3].as_u64(),
            Some(u64::MAX),
            "integers stay numbers"
        );
        assert_eq!(json["list"][4].as_i64(), Some(i64::MIN));
    }

    #[test]
    fn the_stored_key_uses_the_stored_forms() {
        let row = OperaLogRecord {
            trace_id: "0f8fad5b-d9cb-469f-a165-70867728950e".to_owned(),
            username: None,
            method: "GET".to_owned(),
            title: String::new(),
            path: format!("/api/v1/{}", "a".repeat(600)),
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
            msg: None,
            cost_time: 0.0,
            opera_time: Utc::now(),
        };
        let (id, path, micros) = stored_key(&row);
        assert_eq!(id, "0f8fad5bd9cb469fa16570867728950e");
        assert_eq!(path.len(), PATH_MAX);
        assert_eq!(micros, row.opera_time.timestamp_micros());
    }
}
