//! Task results (FBA's `TaskResultService`): details, pages, batch deletes of `task_result`
//! rows. The rows themselves are written by workers ([`crate::results::record`]).

use fba_common::pagination::{Page, PageParams};
use fba_common::{AppResult, AppState};
use fba_db::Repository;
use sea_orm::ConnectionTrait;

use crate::crud;
use crate::error::TaskError;
use crate::model::task_result;
use crate::schema::result::{TaskResultDetail, TaskResultFilter};

/// One result.
///
/// # Errors
/// 404 `任务结果不存在`; a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<TaskResultDetail> {
    task_result::Entity::get(db, pk)
        .await?
        .map(TaskResultDetail::from)
        .ok_or_else(|| TaskError::ResultNotFound.into())
}

/// One page of the results matching `filter`, newest id first.
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &TaskResultFilter,
    params: &PageParams,
) -> AppResult<Page<TaskResultDetail>> {
    let (items, total) = crud::result::page(db, filter, params.offset(), params.limit()).await?;
    Ok(Page::new(
        items.into_iter().map(TaskResultDetail::from).collect(),
        total,
        params,
    ))
}

/// Deletes the results `pks`; returns how many existed (0 → FBA's soft failure).
///
/// # Errors
/// A database failure.
pub async fn delete(state: &AppState, pks: &[i64]) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let count = task_result::Entity::delete_ids(&txn, pks).await?;
    txn.commit().await?;
    Ok(count)
}
