//! Queries on `task_scheduler` for `/schedulers`: the filtered page, the insert, the
//! overwrite of the columns a body gives, and the `enabled` switch.

use chrono::Utc;
use fba_db::Repository;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};

use crate::model::task_scheduler;
use crate::schema::scheduler::{TaskSchedulerFilter, ValidTaskScheduler};

impl Repository for task_scheduler::Entity {
    fn id_column() -> task_scheduler::Column {
        task_scheduler::Column::Id
    }
}

/// One page of the entries matching `filter` (`id ASC`) and the total count; `offset` `None`
/// is a page past any table (no items).
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &TaskSchedulerFilter,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<task_scheduler::Model>, u64), DbErr> {
    let mut q = task_scheduler::Entity::find();
    if let Some(name) = &filter.name {
        q = q.filter(task_scheduler::Column::Name.contains(name.as_str()));
    }
    if let Some(scheduler_type) = filter.scheduler_type {
        q = q.filter(task_scheduler::Column::Type.eq(scheduler_type));
    }
    let q = q.order_by_asc(task_scheduler::Column::Id);
    task_scheduler::Entity::page(db, q, offset, limit).await
}

/// The entry named `name`.
///
/// # Errors
/// A database failure.
pub async fn get_by_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<task_scheduler::Model>, DbErr> {
    task_scheduler::Entity::get_by(db, task_scheduler::Column::Name, name).await
}

/// `Set` for a given value, `NotSet` for an absent one.
fn given<T: Into<sea_orm::Value>>(value: Option<T>) -> sea_orm::ActiveValue<T> {
    value.map_or(NotSet, Set)
}

/// The columns a body sets: the required ones always, the optional ones when given.
fn fields(s: &ValidTaskScheduler) -> task_scheduler::ActiveModel {
    task_scheduler::ActiveModel {
        name: Set(s.name.clone()),
        task: Set(s.task.clone()),
        args: given(s.args.clone()),
        kwargs: given(s.kwargs.clone()),
        queue: given(s.queue.clone()),
        exchange: given(s.exchange.clone()),
        routing_key: given(s.routing_key.clone()),
        start_time: given(s.start_time),
        expire_time: given(s.expire_time),
        expire_seconds: given(s.expire_seconds),
        r#type: Set(s.scheduler_type),
        interval_every: given(s.interval_every),
        interval_period: given(s.interval_period.clone()),
        crontab: given(s.crontab.clone().map(Some)),
        one_off: given(s.one_off),
        remark: given(s.remark.clone()),
        ..Default::default()
    }
}

/// Inserts an entry, FBA's defaults for the fields the body left out (enabled, never run,
/// crontab `* * * * *`); `id` is the snowflake id when the app assigns ids.
///
/// # Errors
/// A database failure.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
    s: &ValidTaskScheduler,
) -> Result<task_scheduler::Model, DbErr> {
    task_scheduler::ActiveModel {
        id: id.map_or(NotSet, Set),
        args: Set(s.args.clone().flatten()),
        kwargs: Set(s.kwargs.clone().flatten()),
        queue: Set(s.queue.clone().flatten()),
        exchange: Set(s.exchange.clone().flatten()),
        routing_key: Set(s.routing_key.clone().flatten()),
        start_time: Set(s.start_time.flatten()),
        expire_time: Set(s.expire_time.flatten()),
        expire_seconds: Set(s.expire_seconds.flatten()),
        interval_every: Set(s.interval_every.flatten()),
        interval_period: Set(s.interval_period.clone().flatten()),
        crontab: Set(Some(s.crontab_or_default().to_owned())),
        one_off: Set(s.one_off.unwrap_or(false)),
        remark: Set(s.remark.clone().flatten()),
        enabled: Set(true),
        total_run_count: Set(0),
        last_run_time: Set(None),
        created_time: Set(Utc::now()),
        updated_time: Set(None),
        ..fields(s)
    }
    .insert(db)
    .await
}

/// Overwrites entry `id` with the columns `s` gives (and stamps `updated_time`); returns the
/// rows changed.
///
/// # Errors
/// A database failure.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i64,
    s: &ValidTaskScheduler,
) -> Result<u64, DbErr> {
    let changes = task_scheduler::ActiveModel {
        updated_time: Set(Some(Utc::now())),
        ..fields(s)
    };
    task_scheduler::Entity::update_by_id(db, id, changes).await
}

/// Sets `enabled` of entry `id` (and stamps `updated_time`); returns the rows changed.
///
/// # Errors
/// A database failure.
pub async fn set_enabled<C: ConnectionTrait>(db: &C, id: i64, enabled: bool) -> Result<u64, DbErr> {
    let changes = task_scheduler::ActiveModel {
        enabled: Set(enabled),
        updated_time: Set(Some(Utc::now())),
        ..Default::default()
    };
    task_scheduler::Entity::update_by_id(db, id, changes).await
}
