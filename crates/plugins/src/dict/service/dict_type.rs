//! Dict-type rules: lists and details (404 `字典类型不存在`), writes with FBA's unique-code
//! check (409 `字典类型已存在`). Deleting types deletes their entries. An update leaves the
//! existing entries' `type_code` as it was, as FBA does. Every committed change drops the dict
//! cache.

use fba_common::pagination::{Page, PageParams};
use fba_common::{AppError, AppResult, AppState};
use fba_db::Repository;
use sea_orm::{ConnectionTrait, DbErr, SqlErr};

use super::invalidate;
use crate::dict::crud;
use crate::dict::error::DictError;
use crate::dict::model::dict_type;
use crate::dict::schema::dict_type::{DictTypeDetail, DictTypeFilter, ValidDictType};

/// Every type, in id order.
///
/// # Errors
/// A database failure.
pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<DictTypeDetail>> {
    Ok(dict_type::Entity::list(db)
        .await?
        .into_iter()
        .map(DictTypeDetail::from)
        .collect())
}

/// One type.
///
/// # Errors
/// 404 `字典类型不存在`; a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<DictTypeDetail> {
    dict_type::Entity::get(db, pk)
        .await?
        .map(DictTypeDetail::from)
        .ok_or_else(|| DictError::TypeNotFound.into())
}

/// One page of the types matching `filter`.
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &DictTypeFilter,
    params: &PageParams,
) -> AppResult<Page<DictTypeDetail>> {
    let (items, total) = crud::type_page(db, filter, params.offset(), params.limit()).await?;
    Ok(Page::new(
        items.into_iter().map(DictTypeDetail::from).collect(),
        total,
        params,
    ))
}

/// A unique-index violation on `code` (a concurrent write won the race) is FBA's 409 too.
fn code_taken(e: DbErr) -> AppError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => DictError::TypeExists.into(),
        _ => e.into(),
    }
}

/// Whether a type has the code `code`.
async fn code_used<C: ConnectionTrait>(db: &C, code: &str) -> AppResult<bool> {
    Ok(dict_type::Entity::get_by(db, dict_type::Column::Code, code)
        .await?
        .is_some())
}

/// Creates a type.
///
/// # Errors
/// 409 `字典类型已存在`; a database or Kv failure.
pub async fn create(state: &AppState, t: ValidDictType) -> AppResult<()> {
    let id = state.next_id()?;
    let txn = fba_db::begin_write(&state.db).await?;
    if code_used(&txn, &t.code).await? {
        return Err(DictError::TypeExists.into());
    }
    crud::create_type(&txn, id, &t).await.map_err(code_taken)?;
    txn.commit().await?;
    Ok(())
}

/// Updates type `pk`; returns the rows changed (0 → FBA's soft failure).
///
/// # Errors
/// 404 `字典类型不存在`, 409 `字典类型已存在`; a database or Kv failure.
pub async fn update(state: &AppState, pk: i64, t: ValidDictType) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let current = dict_type::Entity::get(&txn, pk)
        .await?
        .ok_or(DictError::TypeNotFound)?;
    if current.code != t.code && code_used(&txn, &t.code).await? {
        return Err(DictError::TypeExists.into());
    }
    let count = crud::update_type(&txn, pk, &t).await.map_err(code_taken)?;
    txn.commit().await?;
    if count > 0 {
        invalidate(state).await?;
    }
    Ok(count)
}

/// Deletes the types `pks` and their entries; returns the types deleted (0 → FBA's soft
/// failure).
///
/// # Errors
/// A database or Kv failure.
pub async fn delete(state: &AppState, pks: Vec<i64>) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let count = crud::delete_types(&txn, &pks).await?;
    txn.commit().await?;
    if count > 0 {
        invalidate(state).await?;
    }
    Ok(count)
}
