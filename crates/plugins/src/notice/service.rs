//! Notice rules (FBA's `NoticeService`): details, pages, and writes in one write transaction
//! each; an update of an unknown notice is a 404, a write that changes no row returns 0 (the
//! handler's soft failure).

use fba_common::pagination::{Page, PageParams};
use fba_common::{AppResult, AppState};
use fba_db::Repository;
use sea_orm::ConnectionTrait;

use super::crud;
use super::error::NoticeError;
use super::model as sys_notice;
use super::schema::{NoticeDetail, NoticeFilter, ValidNotice};

/// One notice.
///
/// # Errors
/// 404 `通知公告不存在`; a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<NoticeDetail> {
    sys_notice::Entity::get(db, pk)
        .await?
        .map(NoticeDetail::from)
        .ok_or_else(|| NoticeError::NotFound.into())
}

/// One page of the notices matching `filter`, newest first.
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &NoticeFilter,
    params: &PageParams,
) -> AppResult<Page<NoticeDetail>> {
    let (items, total) = crud::page(db, filter, params.offset(), params.limit()).await?;
    Ok(Page::new(
        items.into_iter().map(NoticeDetail::from).collect(),
        total,
        params,
    ))
}

/// Creates a notice.
///
/// # Errors
/// A database failure (or the snowflake generator's).
pub async fn create(state: &AppState, notice: ValidNotice) -> AppResult<()> {
    let id = state.next_id()?;
    let txn = fba_db::begin_write(&state.db).await?;
    crud::create(&txn, id, &notice).await?;
    txn.commit().await?;
    Ok(())
}

/// Overwrites notice `pk`; returns the rows changed (0 → FBA's soft failure).
///
/// # Errors
/// 404 `通知公告不存在`; a database failure.
pub async fn update(state: &AppState, pk: i64, notice: ValidNotice) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    if sys_notice::Entity::get(&txn, pk).await?.is_none() {
        return Err(NoticeError::NotFound.into());
    }
    let count = crud::update(&txn, pk, &notice).await?;
    txn.commit().await?;
    Ok(count)
}

/// Deletes the notices `pks`; returns how many existed (0 → FBA's soft failure).
///
/// # Errors
/// A database failure.
pub async fn delete(state: &AppState, pks: &[i64]) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let count = sys_notice::Entity::delete_ids(&txn, pks).await?;
    txn.commit().await?;
    Ok(count)
}
