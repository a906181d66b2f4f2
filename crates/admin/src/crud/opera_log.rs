//! Queries on `sys_opera_log`: bulk insert, list with FBA's filters, delete by ids, clear.

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::model::sys_opera_log;
use crate::schema::opera_log::OperaLogFilter;

/// Inserts `rows` in one `INSERT` statement (no `RETURNING`).
///
/// # Errors
/// A database failure.
pub async fn insert_many<C: ConnectionTrait>(
    db: &C,
    rows: Vec<sys_opera_log::ActiveModel>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    sys_opera_log::Entity::insert_many(rows)
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
    filter: &OperaLogFilter,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<sys_opera_log::Model>, u64), DbErr> {
    let mut select = sys_opera_log::Entity::find();
    if let Some(username) = &filter.username {
        select = select.filter(sys_opera_log::Column::Username.like(format!("%{username}%")));
    }
    if let Some(status) = filter.status {
        select = select.filter(sys_opera_log::Column::Status.eq(status));
    }
    if let Some(ip) = &filter.ip {
        select = select.filter(sys_opera_log::Column::Ip.like(format!("%{ip}%")));
    }
    let select = select
        .order_by_desc(sys_opera_log::Column::CreatedTime)
        .order_by_desc(sys_opera_log::Column::Id);
    super::common::paginate(db, select, offset, limit).await
}

/// Deletes the rows with these ids; returns how many existed.
///
/// # Errors
/// A database failure.
pub async fn delete<C: ConnectionTrait>(db: &C, pks: &[i64]) -> Result<u64, DbErr> {
    super::common::delete_where_in::<sys_opera_log::Entity, _>(db, sys_opera_log::Column::Id, pks)
        .await
}

/// Deletes every row; returns how many there were.
///
/// # Errors
/// A database failure.
pub async fn delete_all<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    let res = sys_opera_log::Entity::delete_many().exec(db).await?;
    Ok(res.rows_affected)
}
