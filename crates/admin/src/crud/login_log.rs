//! Queries on `sys_login_log`: insert one attempt. The list is [`super::log::page`]'s;
//! delete by ids and clear are [`fba_db::Repository`]'s.

use sea_orm::{ActiveValue, ConnectionTrait, DbErr, EntityTrait};

use crate::model::sys_login_log;

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
