//! Queries on `sys_notice` that the generic repository ([`Repository`]: get, page, delete by
//! ids, update by id) does not cover: the list filter, the insert and the overwrite. No
//! business rules, no HTTP types.

use chrono::Utc;
use fba_db::Repository;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};

use super::model as sys_notice;
use super::schema::{NoticeFilter, ValidNotice};

impl Repository for sys_notice::Entity {
    fn id_column() -> sys_notice::Column {
        sys_notice::Column::Id
    }
}

/// One page of the notices matching `filter`, newest first (`created_time DESC`, then id for
/// rows created in the same instant), and the total count; `offset` `None` is a page past any
/// table (no items).
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &NoticeFilter,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<sys_notice::Model>, u64), DbErr> {
    let mut q = sys_notice::Entity::find();
    if let Some(title) = &filter.title {
        q = q.filter(sys_notice::Column::Title.contains(title.as_str()));
    }
    if let Some(notice_type) = filter.notice_type {
        q = q.filter(sys_notice::Column::Type.eq(notice_type));
    }
    if let Some(status) = filter.status {
        q = q.filter(sys_notice::Column::Status.eq(status));
    }
    let q = q
        .order_by_desc(sys_notice::Column::CreatedTime)
        .order_by_desc(sys_notice::Column::Id);
    sys_notice::Entity::page(db, q, offset, limit).await
}

/// The columns a notice body sets (the others `NotSet`).
fn fields(notice: &ValidNotice) -> sys_notice::ActiveModel {
    sys_notice::ActiveModel {
        title: Set(notice.title.clone()),
        r#type: Set(notice.notice_type),
        status: Set(notice.status),
        content: Set(notice.content.clone()),
        ..Default::default()
    }
}

/// Inserts a notice; `id` is the snowflake id when the app assigns ids.
///
/// # Errors
/// A database failure.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
    notice: &ValidNotice,
) -> Result<sys_notice::Model, DbErr> {
    sys_notice::ActiveModel {
        id: id.map_or(NotSet, Set),
        created_time: Set(Utc::now()),
        updated_time: Set(None),
        ..fields(notice)
    }
    .insert(db)
    .await
}

/// Overwrites notice `id` with `notice` (and stamps `updated_time`); returns the rows changed.
///
/// # Errors
/// A database failure.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i64,
    notice: &ValidNotice,
) -> Result<u64, DbErr> {
    let changes = sys_notice::ActiveModel {
        updated_time: Set(Some(Utc::now())),
        ..fields(notice)
    };
    sys_notice::Entity::update_by_id(db, id, changes).await
}
