//! The config plugin's rules: reads through the cache, FBA's key-uniqueness checks on create,
//! update and bulk update, and the cache invalidation after every write (create included,
//! which FBA leaves out: a new `LOGIN` row would otherwise stay invisible to `/all?type=LOGIN`
//! until the TTL).
//!
//! Writes run in one write transaction (`fba_db::begin_write`) and invalidate after the commit.

use std::collections::{HashMap, HashSet};

use fba_common::pagination::{Page, PageParams};
use fba_common::{AppResult, AppState};
use fba_db::Repository;
use sea_orm::ConnectionTrait;

use super::cache;
use super::crud;
use super::error::{ConfigPluginError, write_error};
use super::model::{self, Column, Entity};
use super::schema::{ConfigDetail, ConfigFilter, ValidConfig, ValidConfigUpdate};

/// Row `pk` (cached under `{prefix}:{pk}`).
///
/// # Errors
/// 404 `参数配置不存在`; a database failure.
pub async fn get(state: &AppState, pk: i64) -> AppResult<model::Model> {
    let db = &state.db;
    cache::get_or_load(state, &pk.to_string(), || async move {
        Ok(Entity::get(db, pk).await?)
    })
    .await?
    .ok_or_else(|| ConfigPluginError::NotFound.into())
}

/// The rows of type `config_type`, in id order (cached under `{prefix}:{type}`): what the UI
/// edits and what the run-time overrides read.
///
/// # Errors
/// A database failure.
pub async fn get_all(state: &AppState, config_type: &str) -> AppResult<Vec<model::Model>> {
    let db = &state.db;
    let rows = cache::get_or_load(state, config_type, || async move {
        Ok(Some(crud::by_type(db, config_type).await?))
    })
    .await?;
    Ok(rows.unwrap_or_default())
}

/// One page of the rows matching `filter`.
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &ConfigFilter,
    params: &PageParams,
) -> AppResult<Page<ConfigDetail>> {
    let (items, total) = crud::page(db, filter, params.offset(), params.limit()).await?;
    Ok(Page::new(
        items.into_iter().map(ConfigDetail::from).collect(),
        total,
        params,
    ))
}

/// Creates a row.
///
/// # Errors
/// 409 `参数配置 {key} 已存在`; a database or Kv failure.
pub async fn create(state: &AppState, config: ValidConfig) -> AppResult<()> {
    let id = state.next_id()?;
    let txn = fba_db::begin_write(&state.db).await?;
    if Entity::get_by(&txn, Column::Key, &config.key)
        .await?
        .is_some()
    {
        return Err(ConfigPluginError::KeyTaken(config.key).into());
    }
    crud::create(&txn, id, &config)
        .await
        .map_err(|e| write_error(e, &config.key))?;
    txn.commit().await?;
    cache::invalidate(state).await
}

/// Updates row `pk`; returns the rows changed (0 → FBA's soft failure).
///
/// # Errors
/// 404 `参数配置不存在`, 409 `参数配置 {key} 已存在`; a database or Kv failure.
pub async fn update(state: &AppState, pk: i64, config: ValidConfig) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let current = Entity::get(&txn, pk)
        .await?
        .ok_or(ConfigPluginError::NotFound)?;
    if current.key != config.key
        && Entity::get_by(&txn, Column::Key, &config.key)
            .await?
            .is_some()
    {
        return Err(ConfigPluginError::KeyTaken(config.key).into());
    }
    let count = crud::update(&txn, pk, &config)
        .await
        .map_err(|e| write_error(e, &config.key))?;
    txn.commit().await?;
    cache::invalidate(state).await?;
    Ok(count)
}

/// Updates several rows at once (the UI's settings forms send every row of a type); returns
/// the rows changed (0 → FBA's soft failure). FBA's checks, in its order: every id exists; no
/// two rows get the same new key; no new key belongs to another row.
///
/// # Errors
/// 404 `参数配置不存在`, 409 `参数配置键名重复` / `参数配置 {key} 已存在`; a database or Kv
/// failure.
pub async fn bulk_update(state: &AppState, items: Vec<ValidConfigUpdate>) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let ids: Vec<i64> = items
        .iter()
        .map(|i| i.id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let current: HashMap<i64, String> = Entity::get_many(&txn, &ids)
        .await?
        .into_iter()
        .map(|m| (m.id, m.key))
        .collect();
    let mut changed = Vec::new();
    for item in &items {
        let old_key = current.get(&item.id).ok_or(ConfigPluginError::NotFound)?;
        if *old_key != item.config.key {
            changed.push(item);
        }
    }
    check_new_keys(&txn, &changed).await?;
    let mut count = 0;
    for item in &items {
        count += crud::update(&txn, item.id, &item.config)
            .await
            .map_err(|e| write_error(e, &item.config.key))?;
    }
    txn.commit().await?;
    cache::invalidate(state).await?;
    Ok(count)
}

/// FBA's key checks of a bulk update over the elements whose key changes.
///
/// # Errors
/// 409 `参数配置键名重复` when two of them share a new key, `参数配置 {key} 已存在` when a new
/// key belongs to another row; a database failure.
async fn check_new_keys<C: ConnectionTrait>(
    db: &C,
    changed: &[&ValidConfigUpdate],
) -> AppResult<()> {
    let keys: Vec<&str> = changed.iter().map(|i| i.config.key.as_str()).collect();
    let unique: HashSet<&str> = keys.iter().copied().collect();
    if unique.len() != keys.len() {
        return Err(ConfigPluginError::DuplicateKeys.into());
    }
    let unique: Vec<&str> = unique.into_iter().collect();
    let owners: HashMap<String, i64> = crud::by_keys(db, &unique)
        .await?
        .into_iter()
        .map(|m| (m.key, m.id))
        .collect();
    for item in changed {
        if owners
            .get(&item.config.key)
            .is_some_and(|owner| *owner != item.id)
        {
            return Err(ConfigPluginError::KeyTaken(item.config.key.clone()).into());
        }
    }
    Ok(())
}

/// Deletes the rows `pks`; returns how many there were (0 → FBA's soft failure).
///
/// # Errors
/// A database or Kv failure.
pub async fn delete(state: &AppState, pks: Vec<i64>) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let count = Entity::delete_ids(&txn, &pks).await?;
    txn.commit().await?;
    cache::invalidate(state).await?;
    Ok(count)
}
