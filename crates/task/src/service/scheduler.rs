//! Schedule entries (`task_scheduler`, FBA's `TaskSchedulerService`): the built-in entries'
//! seed, details, lists and pages, writes in one write transaction each (unique name, valid
//! crontab for `type` 1, not both `expire_time` and `expire_seconds`), the `enabled` switch,
//! and running an entry now. Every write also stamps `{CELERY_REDIS_PREFIX}:last_update` in the
//! Kv store, the key FBA's beat watches (our scheduler reads the table on every tick; the key
//! is kept for a beat sharing the database).

use chrono::Utc;
use fba_common::pagination::{Page, PageParams};
use fba_common::{AppError, AppResult, AppState};
use fba_db::Repository;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, SqlErr,
};

use crate::builtin::BEAT_ENTRIES;
use crate::client::Tasks;
use crate::crud;
use crate::error::TaskError;
use crate::model::task_scheduler::{self, ActiveModel, Column, Entity};
use crate::scheduler::schedule::{
    TYPE_CRONTAB, TYPE_INTERVAL, parse_args, parse_crontab, parse_kwargs,
};
use crate::schema::scheduler::{TaskSchedulerDetail, TaskSchedulerFilter, ValidTaskScheduler};
use crate::settings::TaskSettings;

/// Inserts FBA's built-in beat entries that are missing, by name (FBA's beat upserts them at
/// start; an entry an operator edited or disabled is left as it is here). Whether it inserted
/// any.
///
/// # Errors
/// The database failed.
pub async fn seed_builtin(txn: &DatabaseTransaction) -> Result<bool, DbErr> {
    let names: Vec<&str> = BEAT_ENTRIES.iter().map(|e| e.name).collect();
    let existing: std::collections::HashSet<String> = Entity::find()
        .filter(Column::Name.is_in(names))
        .all(txn)
        .await?
        .into_iter()
        .map(|m| m.name)
        .collect();
    let mut inserted = false;
    for entry in BEAT_ENTRIES {
        if existing.contains(entry.name) {
            continue;
        }
        let (kind, every, period) = match entry.every_seconds {
            Some(secs) => (TYPE_INTERVAL, Some(secs), Some("seconds".to_owned())),
            None => (TYPE_CRONTAB, None, None),
        };
        ActiveModel {
            name: Set(entry.name.to_owned()),
            task: Set(entry.task.to_owned()),
            args: Set(entry.args.map(str::to_owned)),
            kwargs: Set(entry.kwargs.map(str::to_owned)),
            r#type: Set(kind),
            interval_every: Set(every),
            interval_period: Set(period),
            crontab: Set(Some(entry.crontab.to_owned())),
            one_off: Set(false),
            enabled: Set(true),
            total_run_count: Set(0),
            created_time: Set(Utc::now()),
            ..Default::default()
        }
        .insert(txn)
        .await?;
        inserted = true;
    }
    Ok(inserted)
}

/// One entry.
///
/// # Errors
/// 404 `任务调度不存在`; a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<TaskSchedulerDetail> {
    Ok(find(db, pk).await?.into())
}

/// Every entry, in id order.
///
/// # Errors
/// A database failure.
pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<TaskSchedulerDetail>> {
    Ok(Entity::list(db)
        .await?
        .into_iter()
        .map(TaskSchedulerDetail::from)
        .collect())
}

/// One page of the entries matching `filter`, in id order.
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &TaskSchedulerFilter,
    params: &PageParams,
) -> AppResult<Page<TaskSchedulerDetail>> {
    let (items, total) = crud::scheduler::page(db, filter, params.offset(), params.limit()).await?;
    Ok(Page::new(
        items.into_iter().map(TaskSchedulerDetail::from).collect(),
        total,
        params,
    ))
}

/// Creates an entry.
///
/// # Errors
/// 409 `任务调度已存在`; 400 `Crontab 表达式非法` (type 1); 409 `expires 和 expire_seconds 只能设置一个`;
/// a database failure (or the snowflake generator's).
pub async fn create(state: &AppState, entry: ValidTaskScheduler) -> AppResult<()> {
    let id = state.next_id()?;
    let txn = fba_db::begin_write(&state.db).await?;
    if crud::scheduler::get_by_name(&txn, &entry.name)
        .await?
        .is_some()
    {
        return Err(TaskError::SchedulerExists.into());
    }
    check_crontab(&entry)?;
    check_expiry(
        entry.expire_time.flatten().is_some(),
        entry.expire_seconds.flatten().is_some(),
    )?;
    crud::scheduler::create(&txn, id, &entry)
        .await
        .map_err(name_taken)?;
    txn.commit().await?;
    mark_changed(state).await;
    Ok(())
}

/// Overwrites entry `pk` with the fields `entry` gives; returns the rows changed.
///
/// # Errors
/// 404 `任务调度不存在`; 409 `任务调度已存在` (another entry's name); 400 `Crontab 表达式非法`
/// (type 1); 409 `expires 和 expire_seconds 只能设置一个` (as the row would be); a database
/// failure.
pub async fn update(state: &AppState, pk: i64, entry: ValidTaskScheduler) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let current = find(&txn, pk).await?;
    if current.name != entry.name
        && crud::scheduler::get_by_name(&txn, &entry.name)
            .await?
            .is_some()
    {
        return Err(TaskError::SchedulerExists.into());
    }
    check_crontab(&entry)?;
    let expire_time = entry.expire_time.unwrap_or(current.expire_time);
    let expire_seconds = entry.expire_seconds.unwrap_or(current.expire_seconds);
    check_expiry(expire_time.is_some(), expire_seconds.is_some())?;
    let count = crud::scheduler::update(&txn, pk, &entry)
        .await
        .map_err(name_taken)?;
    txn.commit().await?;
    mark_changed(state).await;
    Ok(count)
}

/// Switches entry `pk` on or off; returns the rows changed.
///
/// # Errors
/// 404 `任务调度不存在`; a database failure.
pub async fn toggle_status(state: &AppState, pk: i64) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let current = find(&txn, pk).await?;
    let count = crud::scheduler::set_enabled(&txn, pk, !current.enabled).await?;
    txn.commit().await?;
    mark_changed(state).await;
    Ok(count)
}

/// Deletes entry `pk`; returns the rows deleted.
///
/// # Errors
/// 404 `任务调度不存在`; a database failure.
pub async fn delete(state: &AppState, pk: i64) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    find(&txn, pk).await?;
    let count = Entity::delete_ids(&txn, &[pk]).await?;
    txn.commit().await?;
    mark_changed(state).await;
    Ok(count)
}

/// Sends entry `pk`'s task now with its arguments (FBA's `send_task`: the entry's queue and
/// routing options are not used); its job id.
///
/// # Errors
/// 404 `任务调度不存在`; 400 `执行失败，任务参数非法` when `args` is not JSON text of a list or
/// `kwargs` of an object; 503 `Celery Worker 暂不可用，请稍后重试` when no worker is live; a
/// database, Kv or broker failure.
pub async fn execute(state: &AppState, tasks: &Tasks, pk: i64) -> AppResult<String> {
    let entry = find(&state.db, pk).await?;
    let args = parse_args(entry.args.as_deref())?;
    let kwargs = parse_kwargs(entry.kwargs.as_deref())?;
    tasks.require_workers().await?;
    Ok(tasks.send(&entry.task, args, kwargs).await?)
}

/// The entry `pk`.
async fn find<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<task_scheduler::Model> {
    Entity::get(db, pk)
        .await?
        .ok_or_else(|| TaskError::SchedulerNotFound.into())
}

/// A crontab entry's crontab must parse.
fn check_crontab(entry: &ValidTaskScheduler) -> Result<(), TaskError> {
    if entry.scheduler_type == TYPE_CRONTAB {
        parse_crontab(entry.crontab_or_default())?;
    }
    Ok(())
}

/// An entry expires by a time or after some seconds, not both (FBA's model hook).
fn check_expiry(has_time: bool, has_seconds: bool) -> Result<(), TaskError> {
    if has_time && has_seconds {
        return Err(TaskError::ExpiresConflict);
    }
    Ok(())
}

/// A unique-index violation on `name` (a concurrent write won the race) is FBA's 409 too.
fn name_taken(e: DbErr) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => TaskError::SchedulerExists.into(),
        _ => e.into(),
    }
}

/// Stamps `{CELERY_REDIS_PREFIX}:last_update` with the current time (FBA's format), as FBA's
/// model hooks do after a write. The write is committed already, and our scheduler does not
/// need the key: a Kv failure is logged, not returned.
async fn mark_changed(state: &AppState) {
    let key = TaskSettings::of(&state.settings).key("last_update");
    let now = fba_common::datetime::format(&Utc::now());
    if let Err(e) = state.kv.set(&key, &now, None).await {
        tracing::warn!(error = %e, "task scheduler: last_update not stamped");
    }
}
