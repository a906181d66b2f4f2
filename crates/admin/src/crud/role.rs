//! Queries on `sys_role` and its association rows (`sys_role_menu`, `sys_role_data_scope`,
//! `sys_user_role`), plus the menus, data scopes and rules a role grants. Get, get by name,
//! list and ids are [`Repository`]'s.

use std::collections::HashMap;

use chrono::Utc;
use fba_db::Repository;
use fba_db::repo::group_links;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, RelationTrait,
};

use crate::model::{
    sys_data_rule, sys_data_scope, sys_data_scope_rule, sys_menu, sys_role, sys_role_data_scope,
    sys_role_menu, sys_user_role,
};
use crate::schema::role::{RoleFilter, ValidRole};

/// One page of the roles matching `filter` (id order) and the total count; `offset` `None`
/// is a page past any table (no items).
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &RoleFilter,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<sys_role::Model>, u64), DbErr> {
    let mut q = sys_role::Entity::find();
    if let Some(name) = &filter.name {
        q = q.filter(sys_role::Column::Name.contains(name.as_str()));
    }
    if let Some(status) = filter.status {
        q = q.filter(sys_role::Column::Status.eq(status));
    }
    sys_role::Entity::page(db, q.order_by_asc(sys_role::Column::Id), offset, limit).await
}

/// The menus role `role_id` grants, in `sort` order.
///
/// # Errors
/// A database failure.
pub async fn menus<C: ConnectionTrait>(
    db: &C,
    role_id: i64,
) -> Result<Vec<sys_menu::Model>, DbErr> {
    sys_menu::Entity::linked_through(
        sys_menu::Relation::RoleMenu.def(),
        sys_role_menu::Column::RoleId,
        role_id,
    )
    .order_by_asc(sys_menu::Column::Sort)
    .order_by_asc(sys_menu::Column::Id)
    .all(db)
    .await
}

/// The ids of the data scopes role `role_id` grants that exist, in id order.
///
/// # Errors
/// A database failure.
pub async fn scope_ids<C: ConnectionTrait>(db: &C, role_id: i64) -> Result<Vec<i64>, DbErr> {
    Ok(scopes(db, role_id)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect())
}

/// The data scopes role `role_id` grants, in id order.
///
/// # Errors
/// A database failure.
pub async fn scopes<C: ConnectionTrait>(
    db: &C,
    role_id: i64,
) -> Result<Vec<sys_data_scope::Model>, DbErr> {
    sys_data_scope::Entity::linked_through(
        sys_data_scope::Relation::RoleDataScope.def(),
        sys_role_data_scope::Column::RoleId,
        role_id,
    )
    .order_by_asc(sys_data_scope::Column::Id)
    .all(db)
    .await
}

/// The rules of each of `scope_ids` (rules in id order), keyed by scope id.
///
/// # Errors
/// A database failure.
pub async fn rules_by_scope<C: ConnectionTrait>(
    db: &C,
    scope_ids: &[i64],
) -> Result<HashMap<i64, Vec<sys_data_rule::Model>>, DbErr> {
    let links = sys_data_scope_rule::Entity::list_where_in(
        db,
        sys_data_scope_rule::Column::DataScopeId,
        scope_ids,
    )
    .await?;
    let rule_ids: Vec<i64> = links.iter().map(|l| l.data_rule_id).collect();
    let rules: HashMap<i64, sys_data_rule::Model> = sys_data_rule::Entity::get_many(db, &rule_ids)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(group_links(
        links.iter().map(|l| (l.data_scope_id, l.data_rule_id)),
        &rules,
        |r| r.id,
    ))
}

/// The columns of a role that its body sets (the others `NotSet`).
fn fields(role: &ValidRole) -> sys_role::ActiveModel {
    sys_role::ActiveModel {
        name: Set(role.name.clone()),
        status: Set(role.status),
        is_filter_scopes: Set(role.is_filter_scopes),
        remark: Set(role.remark.clone()),
        ..Default::default()
    }
}

/// Inserts a role; `id` is the snowflake id when the app assigns ids.
///
/// # Errors
/// A database failure.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
    role: &ValidRole,
) -> Result<sys_role::Model, DbErr> {
    sys_role::ActiveModel {
        id: id.map_or(NotSet, Set),
        created_time: Set(Utc::now()),
        updated_time: Set(None),
        ..fields(role)
    }
    .insert(db)
    .await
}

/// Overwrites role `id` with `role`; returns the number of rows changed.
///
/// # Errors
/// A database failure.
pub async fn update<C: ConnectionTrait>(db: &C, id: i64, role: &ValidRole) -> Result<u64, DbErr> {
    let am = sys_role::ActiveModel {
        updated_time: Set(Some(Utc::now())),
        ..fields(role)
    };
    sys_role::Entity::update_by_id(db, id, am).await
}

/// Deletes the roles `ids` with their menu, data-scope and user links; returns the number of
/// roles deleted.
///
/// # Errors
/// A database failure.
pub async fn delete_many<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<u64, DbErr> {
    sys_role_menu::Entity::delete_where_in(db, sys_role_menu::Column::RoleId, ids).await?;
    sys_role_data_scope::Entity::delete_where_in(db, sys_role_data_scope::Column::RoleId, ids)
        .await?;
    sys_user_role::Entity::delete_where_in(db, sys_user_role::Column::RoleId, ids).await?;
    sys_role::Entity::delete_ids(db, ids).await
}

/// Ids of the users holding any of `role_ids` (distinct).
///
/// # Errors
/// A database failure.
pub async fn user_ids_by_roles<C: ConnectionTrait>(
    db: &C,
    role_ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    sys_user_role::Entity::linked_ids(
        db,
        sys_user_role::Column::UserId,
        sys_user_role::Column::RoleId,
        role_ids,
    )
    .await
}
