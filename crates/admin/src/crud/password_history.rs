//! Queries on `sys_user_password_history`: the hashes of the passwords a user has set.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::model::sys_user_password_history;

/// The newest `limit` password hashes of `user_id` (highest id first, as FBA orders them).
///
/// # Errors
/// A database failure.
pub async fn recent_hashes<C: ConnectionTrait>(
    db: &C,
    user_id: i64,
    limit: u64,
) -> Result<Vec<String>, DbErr> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    Ok(sys_user_password_history::Entity::find()
        .filter(sys_user_password_history::Column::UserId.eq(user_id))
        .order_by_desc(sys_user_password_history::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.password)
        .collect())
}

/// Records `hash` as a password of `user_id`; `id` is a snowflake id, or `None` to let the
/// database assign one.
///
/// # Errors
/// A database failure.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
    user_id: i64,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = sys_user_password_history::ActiveModel {
        id: id.map_or(ActiveValue::NotSet, ActiveValue::Set),
        user_id: ActiveValue::Set(user_id),
        password: ActiveValue::Set(hash.to_owned()),
        created_time: ActiveValue::Set(now),
    };
    sys_user_password_history::Entity::insert(row)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
