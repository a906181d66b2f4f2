//! Role rules: lists and details, role writes with FBA's checks (unique name, existing menus
//! and data scopes), the replacement of a role's menus and data scopes, and batch delete (which,
//! unlike FBA, also removes the role's menu, data-scope and user links).
//!
//! Every change commits first, then drops the cached users (`fba:user:{uid}`) holding the role
//! and reloads the RBAC policy here and on every replica ([`access_changed`]), so a role's new
//! menus or status apply to the next request everywhere.

use std::collections::HashSet;

use fba_common::pagination::{Page, PageParams};
use fba_common::security::Security;
use fba_common::{AppResult, AppState};
use fba_db::Repository;
use sea_orm::ConnectionTrait;

use crate::crud;
use crate::error::AdminError;
use crate::model::{sys_data_scope, sys_menu, sys_role, sys_role_data_scope, sys_role_menu};
use crate::schema::data_rule::DataRuleDetail;
use crate::schema::data_scope::{DataScopeDetail, DataScopeWithRules};
use crate::schema::menu::{MenuDetail, MenuTree};
use crate::schema::role::{RoleDetail, RoleFilter, RoleWithRelation, ValidRole};

pub use super::access::access_changed;

async fn require<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<sys_role::Model> {
    sys_role::Entity::get(db, pk)
        .await?
        .ok_or_else(|| AdminError::RoleNotFound.into())
}

/// Every role.
///
/// # Errors
/// A database failure.
pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<RoleDetail>> {
    Ok(sys_role::Entity::list(db)
        .await?
        .into_iter()
        .map(RoleDetail::from)
        .collect())
}

/// One page of roles matching `filter`.
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &RoleFilter,
    params: &PageParams,
) -> AppResult<Page<RoleDetail>> {
    let (items, total) = crud::role::page(db, filter, params.offset(), params.limit()).await?;
    Ok(Page::new(
        items.into_iter().map(RoleDetail::from).collect(),
        total,
        params,
    ))
}

/// The role with its menus and data scopes (each with its rules).
///
/// # Errors
/// 404 `角色不存在`; a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<RoleWithRelation> {
    let role = require(db, pk).await?;
    let mut menus = crud::role::menus(db, pk).await?;
    menus.sort_by_key(|m| m.id);
    let scopes = crud::role::scopes(db, pk).await?;
    let scope_ids: Vec<i64> = scopes.iter().map(|s| s.id).collect();
    let mut rules = crud::role::rules_by_scope(db, &scope_ids).await?;
    Ok(RoleWithRelation {
        role: RoleDetail::from(role),
        menus: menus.into_iter().map(MenuDetail::from).collect(),
        scopes: scopes
            .into_iter()
            .map(|s| {
                let r = rules
                    .remove(&s.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(DataRuleDetail::from)
                    .collect();
                DataScopeWithRules {
                    scope: DataScopeDetail::from(s),
                    rules: r,
                }
            })
            .collect(),
    })
}

/// The menu tree of the role's menus.
///
/// # Errors
/// 404 `角色不存在`; a database failure.
pub async fn menu_tree<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<Vec<MenuTree>> {
    require(db, pk).await?;
    Ok(super::menu::menu_tree(crud::role::menus(db, pk).await?))
}

/// The ids of the role's data scopes.
///
/// # Errors
/// 404 `角色不存在`; a database failure.
pub async fn scope_ids<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<Vec<i64>> {
    require(db, pk).await?;
    Ok(crud::role::scope_ids(db, pk).await?)
}

/// Creates a role.
///
/// # Errors
/// 409 `角色已存在`; a database failure.
pub async fn create(state: &AppState, role: ValidRole) -> AppResult<()> {
    let id = state.next_id()?;
    let txn = fba_db::begin_write(&state.db).await?;
    if sys_role::Entity::get_by(&txn, sys_role::Column::Name, &role.name)
        .await?
        .is_some()
    {
        return Err(AdminError::RoleNameTaken.into());
    }
    crud::role::create(&txn, id, &role).await?;
    txn.commit().await?;
    Ok(())
}

/// Updates role `pk`; returns the rows changed (0 → FBA's soft failure).
///
/// # Errors
/// 404 `角色不存在`, 409 `角色已存在`; a database or Kv failure.
pub async fn update(
    state: &AppState,
    security: &Security,
    pk: i64,
    role: ValidRole,
) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let current = require(&txn, pk).await?;
    if current.name != role.name
        && sys_role::Entity::get_by(&txn, sys_role::Column::Name, &role.name)
            .await?
            .is_some()
    {
        return Err(AdminError::RoleNameTaken.into());
    }
    let count = crud::role::update(&txn, pk, &role).await?;
    let users = crud::role::user_ids_by_roles(&txn, &[pk]).await?;
    txn.commit().await?;
    access_changed(state, security, &users).await?;
    Ok(count)
}

/// Replaces the role's menus; returns `menus.len()` (FBA's count: an empty list clears the
/// menus and is then answered with the soft failure).
///
/// # Errors
/// 404 `角色不存在` / `菜单不存在`; a database or Kv failure.
pub async fn update_menus(
    state: &AppState,
    security: &Security,
    pk: i64,
    menus: Vec<i64>,
) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    require(&txn, pk).await?;
    if !menus.is_empty() {
        let found: HashSet<i64> = sys_menu::Entity::existing_ids(&txn, &menus)
            .await?
            .into_iter()
            .collect();
        if menus.iter().any(|id| !found.contains(id)) {
            return Err(AdminError::MenuNotFound.into());
        }
    }
    sys_role::Entity::replace_links(
        &txn,
        pk,
        sys_role_menu::Column::RoleId,
        sys_role_menu::Column::MenuId,
        &menus,
    )
    .await?;
    let users = crud::role::user_ids_by_roles(&txn, &[pk]).await?;
    txn.commit().await?;
    access_changed(state, security, &users).await?;
    Ok(menus.len() as u64)
}

/// Replaces the role's data scopes; returns `scopes.len()` (as [`update_menus`]).
///
/// # Errors
/// 404 `角色不存在` / `数据范围不存在`; a database or Kv failure.
pub async fn update_scopes(
    state: &AppState,
    security: &Security,
    pk: i64,
    scopes: Vec<i64>,
) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    require(&txn, pk).await?;
    if !scopes.is_empty() {
        let found: HashSet<i64> = sys_data_scope::Entity::existing_ids(&txn, &scopes)
            .await?
            .into_iter()
            .collect();
        if scopes.iter().any(|id| !found.contains(id)) {
            return Err(AdminError::DataScopeNotFound.into());
        }
    }
    sys_role::Entity::replace_links(
        &txn,
        pk,
        sys_role_data_scope::Column::RoleId,
        sys_role_data_scope::Column::DataScopeId,
        &scopes,
    )
    .await?;
    let users = crud::role::user_ids_by_roles(&txn, &[pk]).await?;
    txn.commit().await?;
    access_changed(state, security, &users).await?;
    Ok(scopes.len() as u64)
}

/// Deletes the roles `pks` and their links; returns the roles deleted (0 → FBA's soft
/// failure).
///
/// # Errors
/// A database or Kv failure.
pub async fn delete(state: &AppState, security: &Security, pks: Vec<i64>) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    // Collected before the user links go.
    let users = crud::role::user_ids_by_roles(&txn, &pks).await?;
    let count = crud::role::delete_many(&txn, &pks).await?;
    txn.commit().await?;
    access_changed(state, security, &users).await?;
    Ok(count)
}
