//! Queries on `sys_login_log`: insert one attempt, list with FBA's filters, delete by ids, clear.

use sea_orm::{
    ActiveValue, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use crate::model::sys_login_log;
use crate::schema::login_log::LoginLogFilter;

/// Inserts one row; `id` `None` lets the database assign it.
///
/// # Errors
/// A database failure.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
    row: sys_login_log::Model,
) -> Result<(), DbErr> {
    let mut active: sys_login_log::ActiveModel = row.into();
    active.id = match id {
        Some(id) => ActiveValue::Set(id),
        None => ActiveValue::NotSet,
    };
    sys_login_log::Entity::insert(active)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// One page of rows matching `filter` (`username`/`ip` LIKE `%v%`, `status` exact), newest
/// first, and the number of matching rows. `offset` `None` is a page past any table: no rows.
///
/// # Errors
/// A database failure.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    filter: &LoginLogFilter,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<sys_login_log::Model>, u64), DbErr> {
    let mut select = sys_login_log::Entity::find();
    if let Some(username) = &filter.username {
        select = select.filter(sys_login_log::Column::Username.like(format!("%{username}%")));
    }
    if let Some(status) = filter.status {
        select = select.filter(sys_login_log::Column::Status.eq(status));
    }
    if let Some(ip) = &filter.ip {
        select = select.filter(sys_login_log::Column::Ip.like(format!("%{ip}%")));
    }
    let select = select
        .order_by_desc(sys_login_log::Column::CreatedTime)
        .order_by_desc(sys_login_log::Column::Id);
    super::common::paginate(db, select, offset, limit).await
}

/// Deletes the rows with these ids; returns how many existed.
///
/// # Errors
/// A database failure.
pub async fn delete<C: ConnectionTrait>(db: &C, pks: &[i64]) -> Result<u64, DbErr> {
    super::common::delete_where_in::<sys_login_log::Entity, _>(db, sys_login_log::Column::Id, pks)
        .await
}

/// Deletes every row; returns how many there were.
///
/// # Errors
/// A database failure.
pub async fn delete_all<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let res = sys_login_log::Entity::delete_many().exec(db).await?;
    Ok(res.rows_affected)
}
