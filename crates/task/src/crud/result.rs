//! Queries on `task_result` for `/task-results`: the filtered page, newest id first.

use fba_db::Repository;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::model::task_result;
use crate::schema::result::TaskResultFilter;

impl Repository for task_result::Entity {
    fn id_column() -> task_result::Column {
        task_result::Column::Id
    }
}

/// One page of the results matching `filter` (`id DESC`) and the total count; `offset`
/// `None` is a page past any table (no items).
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &TaskResultFilter,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<task_result::Model>, u64), DbErr> {
    let mut q = task_result::Entity::find();
    if let Some(name) = &filter.name {
        q = q.filter(task_result::Column::Name.contains(name.as_str()));
    }
    if let Some(task_id) = &filter.task_id {
        q = q.filter(task_result::Column::TaskId.eq(task_id.as_str()));
    }
    let q = q.order_by_desc(task_result::Column::Id);
    task_result::Entity::page(db, q, offset, limit).await
}
