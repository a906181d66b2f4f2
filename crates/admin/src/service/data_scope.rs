//! Data-scope rules: scope lists and details, a scope with its rules, scope writes with FBA's
//! unique-name check, the replacement of a scope's rules (every id must exist), and batch
//! delete, which also removes the scopes' rule and role links (FBA leaves them, Appendix A
//! quirk 18).
//!
//! Every change commits first, then drops the cached users (`fba:user:{uid}`) holding a role
//! that grants the scope, so their next request filters with the new scope.

use std::collections::HashSet;

use fba_common::pagination::{Page, PageParams};
use fba_common::{AppResult, AppState};
use fba_db::Repository;
use sea_orm::ConnectionTrait;

use super::data_rule::invalidate_users;
use crate::crud;
use crate::error::AdminError;
use crate::model::{sys_data_rule, sys_data_scope, sys_data_scope_rule};
use crate::schema::data_rule::DataRuleDetail;
use crate::schema::data_scope::{
    DataScopeDetail, DataScopeFilter, DataScopeWithRules, ValidDataScope,
};

async fn require<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<sys_data_scope::Model> {
    sys_data_scope::Entity::get(db, pk)
        .await?
        .ok_or_else(|| AdminError::DataScopeNotFound.into())
}

/// Every scope.
///
/// # Errors
/// A database failure.
pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<DataScopeDetail>> {
    Ok(sys_data_scope::Entity::list(db)
        .await?
        .into_iter()
        .map(DataScopeDetail::from)
        .collect())
}

/// One scope.
///
/// # Errors
/// 404 `数据范围不存在`; a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<DataScopeDetail> {
    Ok(DataScopeDetail::from(require(db, pk).await?))
}

/// One scope with its rules.
///
/// # Errors
/// 404 `数据范围不存在`; a database failure.
pub async fn with_rules<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<DataScopeWithRules> {
    let scope = require(db, pk).await?;
    let rules = crud::data_scope::rules(db, pk).await?;
    Ok(DataScopeWithRules {
        scope: DataScopeDetail::from(scope),
        rules: rules.into_iter().map(DataRuleDetail::from).collect(),
    })
}

/// One page of scopes matching `filter`.
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &DataScopeFilter,
    params: &PageParams,
) -> AppResult<Page<DataScopeDetail>> {
    let (items, total) =
        crud::data_scope::page(db, filter, params.offset(), params.limit()).await?;
    Ok(Page::new(
        items.into_iter().map(DataScopeDetail::from).collect(),
        total,
        params,
    ))
}

/// Creates a scope.
///
/// # Errors
/// 409 `数据范围已存在`; a database failure.
pub async fn create(state: &AppState, scope: ValidDataScope) -> AppResult<()> {
    let id = state.next_id()?;
    let txn = fba_db::begin_write(&state.db).await?;
    if sys_data_scope::Entity::get_by(&txn, sys_data_scope::Column::Name, &scope.name)
        .await?
        .is_some()
    {
        return Err(AdminError::DataScopeNameTaken.into());
    }
    crud::data_scope::create(&txn, id, &scope).await?;
    txn.commit().await?;
    Ok(())
}

/// Updates scope `pk`; returns the rows changed (0 → FBA's soft failure).
///
/// # Errors
/// 404 `数据范围不存在`, 409 `数据范围已存在`; a database or Kv failure.
pub async fn update(state: &AppState, pk: i64, scope: ValidDataScope) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let current = require(&txn, pk).await?;
    if current.name != scope.name
        && sys_data_scope::Entity::get_by(&txn, sys_data_scope::Column::Name, &scope.name)
            .await?
            .is_some()
    {
        return Err(AdminError::DataScopeNameTaken.into());
    }
    let count = crud::data_scope::update(&txn, pk, &scope).await?;
    let users = crud::data_scope::user_ids_by_scopes(&txn, &[pk]).await?;
    txn.commit().await?;
    invalidate_users(state, &users).await?;
    Ok(count)
}

/// Replaces the rules of scope `pk`; returns `rules.len()` (FBA's count: an empty list clears
/// the rules and is then answered with the soft failure).
///
/// # Errors
/// 404 `数据范围不存在` / `数据规则不存在`; a database or Kv failure.
pub async fn update_rules(state: &AppState, pk: i64, rules: Vec<i64>) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    require(&txn, pk).await?;
    if !rules.is_empty() {
        let found: HashSet<i64> = sys_data_rule::Entity::existing_ids(&txn, &rules)
            .await?
            .into_iter()
            .collect();
        if rules.iter().any(|id| !found.contains(id)) {
            return Err(AdminError::DataRuleNotFound.into());
        }
    }
    sys_data_scope::Entity::replace_links(
        &txn,
        pk,
        sys_data_scope_rule::Column::DataScopeId,
        sys_data_scope_rule::Column::DataRuleId,
        &rules,
    )
    .await?;
    let users = crud::data_scope::user_ids_by_scopes(&txn, &[pk]).await?;
    txn.commit().await?;
    invalidate_users(state, &users).await?;
    Ok(rules.len() as u64)
}

/// Deletes the scopes `pks` and their links; returns the scopes deleted (0 → FBA's soft
/// failure).
///
/// # Errors
/// A database or Kv failure.
pub async fn delete(state: &AppState, pks: Vec<i64>) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    // Collected before the role links go.
    let users = crud::data_scope::user_ids_by_scopes(&txn, &pks).await?;
    let count = crud::data_scope::delete_many(&txn, &pks).await?;
    txn.commit().await?;
    invalidate_users(state, &users).await?;
    Ok(count)
}
