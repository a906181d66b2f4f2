//! Queries on `sys_opera_log`: bulk insert. The list is [`super::log::page`]'s;
//! delete by ids and clear are [`fba_db::Repository`]'s.

use sea_orm::{ConnectionTrait, DbErr, EntityTrait};

use crate::model::sys_opera_log;

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
