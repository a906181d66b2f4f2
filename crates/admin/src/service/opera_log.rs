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
//! longer than the 32-character column that is a UUID is stored in its 32-hex form.

use chrono::Utc;
use fba_common::middleware::opera_log::{OperaLogRecord, OperaLogSink};
use fba_common::pagination::{Page, PageParams};
use fba_common::{AppResult, AppState};
use sea_orm::{ActiveValue, DatabaseConnection};
use serde_json::Value;

use super::fit;
use crate::crud;
use crate::model::sys_opera_log;
use crate::schema::opera_log::{OperaLogDetail, OperaLogFilter};

/// Rows per `INSERT` statement (keeps SQLite's bound-parameter limit far away).
const INSERT_CHUNK: usize = 500;

/// Connections of the sink's own pool.
const SINK_POOL_SIZE: u32 = 2;

/// Writes the middleware's batches into `sys_opera_log`.
#[derive(Debug, Clone)]
pub struct DbOperaLogSink {
    state: AppState,
    db: DatabaseConnection,
}

impl DbOperaLogSink {
    /// A sink over the app's database with its own pool of two connections (snowflake ids from
    /// `state` when enabled). Call it where the queue's writer runs (`OperaLogQueue::start`).
    ///
    /// # Errors
    /// [`fba_db::DbError`] when the database cannot be reached.
    pub async fn connect(state: AppState) -> Result<Self, fba_db::DbError> {
        let mut settings = state.settings.database.clone();
        settings.pool.max_connections = SINK_POOL_SIZE;
        settings.pool.min_connections = settings.pool.min_connections.min(1);
        let db = fba_db::connect(&settings).await?;
        Ok(Self { state, db })
    }
}

#[async_trait::async_trait]
impl OperaLogSink for DbOperaLogSink {
    async fn write_batch(&self, rows: &[OperaLogRecord]) -> AppResult<()> {
        bulk_create(&self.state, &self.db, rows).await
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
pub async fn bulk_create(
    state: &AppState,
    db: &DatabaseConnection,
    rows: &[OperaLogRecord],
) -> AppResult<()> {
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

fn active_model(id: Option<i64>, r: &OperaLogRecord) -> sys_opera_log::ActiveModel {
    let opt = |v: &Option<String>, max: usize| v.as_deref().map(|s| fit(s, max));
    sys_opera_log::ActiveModel {
        id: id.map_or(ActiveValue::NotSet, ActiveValue::Set),
        trace_id: ActiveValue::Set(trace_id(&r.trace_id)),
        username: ActiveValue::Set(opt(&r.username, 64)),
        method: ActiveValue::Set(fit(&r.method, 32)),
        title: ActiveValue::Set(fit(&r.title, 256)),
        path: ActiveValue::Set(fit(&r.path, 512)),
        ip: ActiveValue::Set(fit(&r.ip, 64)),
        country: ActiveValue::Set(opt(&r.country, 64)),
        region: ActiveValue::Set(opt(&r.region, 64)),
        city: ActiveValue::Set(opt(&r.city, 64)),
        user_agent: ActiveValue::Set(opt(&r.user_agent, 512)),
        os: ActiveValue::Set(opt(&r.os, 64)),
        browser: ActiveValue::Set(opt(&r.browser, 64)),
        device: ActiveValue::Set(opt(&r.device, 64)),
        args: ActiveValue::Set(r.args.clone().map(without_nul)),
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

/// `args` without NUL characters in keys and strings (PostgreSQL's JSON cannot hold `\u0000`).
fn without_nul(v: Value) -> Value {
    match v {
        Value::String(s) if s.contains('\0') => Value::String(s.replace('\0', "")),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nul).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k.replace('\0', ""), without_nul(v)))
                .collect(),
        ),
        other => other,
    }
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
    let (rows, total) =
        crud::opera_log::list(&state.db, filter, params.offset(), params.limit()).await?;
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
    let count = crud::opera_log::delete(&txn, pks).await?;
    txn.commit().await?;
    Ok(count)
}

/// Deletes every row (committed before returning).
///
/// # Errors
/// A database failure.
pub async fn delete_all(state: &AppState) -> AppResult<()> {
    let txn = fba_db::begin_write(&state.db).await?;
    crud::opera_log::delete_all(&txn).await?;
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
            without_nul(serde_json::json!({"a\u{0}": ["b\u{0}"]})),
            serde_json::json!({"a": ["b"]})
        );
    }
}
