//! Dict-data rules: lists, the cached detail and the cached enabled entries of a type code
//! (404 `字典数据不存在`), writes with FBA's checks (the type must exist: 404 `字典类型不存在`;
//! a label is unique within its type code: 409 `字典数据已存在`). An entry takes its
//! `type_code` from its type when written. Every committed change drops the dict cache.

use fba_common::pagination::{Page, PageParams};
use fba_common::{AppResult, AppState};
use fba_db::Repository;
use sea_orm::ConnectionTrait;

use super::{cached, invalidate};
use crate::dict::crud;
use crate::dict::error::DictError;
use crate::dict::model::{dict_data, dict_type};
use crate::dict::schema::dict_data::{DictDataDetail, DictDataFilter, ValidDictData};

/// Every entry, in id order.
///
/// # Errors
/// A database failure.
pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<DictDataDetail>> {
    Ok(dict_data::Entity::list(db)
        .await?
        .into_iter()
        .map(DictDataDetail::from)
        .collect())
}

/// One entry (cached under `{prefix}:{pk}`).
///
/// # Errors
/// 404 `字典数据不存在`; a database failure.
pub async fn get(state: &AppState, pk: i64) -> AppResult<DictDataDetail> {
    let db = &state.db;
    cached(state, &pk.to_string(), || async move {
        Ok(dict_data::Entity::get(db, pk)
            .await?
            .map(DictDataDetail::from))
    })
    .await?
    .ok_or_else(|| DictError::DataNotFound.into())
}

/// The enabled entries of type code `code`, by `sort` descending (cached under
/// `{prefix}:type:{code}`).
///
/// # Errors
/// 404 `字典数据不存在` when there is none; a database failure.
pub async fn by_type_code(state: &AppState, code: &str) -> AppResult<Vec<DictDataDetail>> {
    let db = &state.db;
    cached(state, &format!("type:{code}"), || async move {
        let items = crud::enabled_data_of_code(db, code).await?;
        Ok((!items.is_empty()).then(|| items.into_iter().map(DictDataDetail::from).collect()))
    })
    .await?
    .ok_or_else(|| DictError::DataNotFound.into())
}

/// One page of the entries matching `filter`.
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &DictDataFilter,
    params: &PageParams,
) -> AppResult<Page<DictDataDetail>> {
    let (items, total) = crud::data_page(db, filter, params.offset(), params.limit()).await?;
    Ok(Page::new(
        items.into_iter().map(DictDataDetail::from).collect(),
        total,
        params,
    ))
}

/// The type `type_id`, or FBA's 404.
async fn type_of<C: ConnectionTrait>(db: &C, type_id: i64) -> AppResult<dict_type::Model> {
    Ok(dict_type::Entity::get(db, type_id)
        .await?
        .ok_or(DictError::TypeNotFound)?)
}

/// Creates an entry.
///
/// # Errors
/// 404 `字典类型不存在`, 409 `字典数据已存在`; a database or Kv failure.
pub async fn create(state: &AppState, d: ValidDictData) -> AppResult<()> {
    let id = state.next_id()?;
    let txn = fba_db::begin_write(&state.db).await?;
    let t = type_of(&txn, d.type_id).await?;
    if crud::data_by_label(&txn, &d.label, &t.code)
        .await?
        .is_some()
    {
        return Err(DictError::DataExists.into());
    }
    crud::create_data(&txn, id, &d, &t.code).await?;
    txn.commit().await?;
    invalidate(state).await
}

/// Updates entry `pk`; returns the rows changed (0 → FBA's soft failure).
///
/// # Errors
/// 404 `字典数据不存在` / `字典类型不存在`, 409 `字典数据已存在`; a database or Kv failure.
pub async fn update(state: &AppState, pk: i64, d: ValidDictData) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let current = dict_data::Entity::get(&txn, pk)
        .await?
        .ok_or(DictError::DataNotFound)?;
    let t = type_of(&txn, d.type_id).await?;
    if current.label != d.label
        && crud::data_by_label(&txn, &d.label, &t.code)
            .await?
            .is_some()
    {
        return Err(DictError::DataExists.into());
    }
    let count = crud::update_data(&txn, pk, &d, &t.code).await?;
    txn.commit().await?;
    if count > 0 {
        invalidate(state).await?;
    }
    Ok(count)
}

/// Deletes the entries `pks`; returns how many there were (0 → FBA's soft failure).
///
/// # Errors
/// A database or Kv failure.
pub async fn delete(state: &AppState, pks: Vec<i64>) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let count = dict_data::Entity::delete_ids(&txn, &pks).await?;
    txn.commit().await?;
    if count > 0 {
        invalidate(state).await?;
    }
    Ok(count)
}
