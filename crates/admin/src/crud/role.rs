//! Queries on `sys_role` and its association rows (`sys_role_menu`, `sys_role_data_scope`,
//! `sys_user_role`), plus the menus, data scopes and rules a role grants.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use super::common;
use crate::model::{
    sys_data_rule, sys_data_scope, sys_data_scope_rule, sys_menu, sys_role, sys_role_data_scope,
    sys_role_menu, sys_user_role,
};
use crate::schema::role::{RoleFilter, ValidRole};

/// The role with `id`.
///
/// # Errors
/// A database failure.
pub async fn get<C: ConnectionTrait>(db: &C, id: i64) -> Result<Option<sys_role::Model>, DbErr> {
    sys_role::Entity::find_by_id(id).one(db).await
}

/// The role named exactly `name`.
///
/// # Errors
/// A database failure.
pub async fn get_by_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<sys_role::Model>, DbErr> {
    sys_role::Entity::find()
        .filter(sys_role::Column::Name.eq(name))
        .one(db)
        .await
}

/// Every role, in id order.
///
/// # Errors
/// A database failure.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<sys_role::Model>, DbErr> {
    sys_role::Entity::find()
        .order_by_asc(sys_role::Column::Id)
        .all(db)
        .await
}

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
    common::paginate(db, q.order_by_asc(sys_role::Column::Id), offset, limit).await
}

/// The menus role `role_id` grants, in `sort` order.
///
/// # Errors
/// A database failure.
pub async fn menus<C: ConnectionTrait>(
    db: &C,
    role_id: i64,
) -> Result<Vec<sys_menu::Model>, DbErr> {
    sys_menu::Entity::find()
        .join(JoinType::InnerJoin, sys_menu::Relation::RoleMenu.def())
        .filter(sys_role_menu::Column::RoleId.eq(role_id))
        .distinct()
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
    sys_data_scope::Entity::find()
        .join(
            JoinType::InnerJoin,
            sys_data_scope::Relation::RoleDataScope.def(),
        )
        .filter(sys_role_data_scope::Column::RoleId.eq(role_id))
        .distinct()
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
    if scope_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let links = sys_data_scope_rule::Entity::find()
        .filter(sys_data_scope_rule::Column::DataScopeId.is_in(scope_ids.iter().copied()))
        .all(db)
        .await?;
    let rule_ids: Vec<i64> = links.iter().map(|l| l.data_rule_id).collect();
    if rule_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rules: HashMap<i64, sys_data_rule::Model> = sys_data_rule::Entity::find()
        .filter(sys_data_rule::Column::Id.is_in(rule_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(common::group_links(
        links.iter().map(|l| (l.data_scope_id, l.data_rule_id)),
        &rules,
        |r| r.id,
    ))
}

/// Which of `ids` are existing data scopes.
///
/// # Errors
/// A database failure.
pub async fn existing_scope_ids<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    common::existing_ids::<sys_data_scope::Entity, _>(db, sys_data_scope::Column::Id, ids).await
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
        name: Set(role.name.clone()),
        status: Set(role.status),
        is_filter_scopes: Set(role.is_filter_scopes),
        remark: Set(role.remark.clone()),
        created_time: Set(Utc::now()),
        updated_time: Set(None),
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
        name: Set(role.name.clone()),
        status: Set(role.status),
        is_filter_scopes: Set(role.is_filter_scopes),
        remark: Set(role.remark.clone()),
        updated_time: Set(Some(Utc::now())),
        ..Default::default()
    };
    common::update_by_id(db, sys_role::Column::Id, id, am).await
}

/// Replaces the menus of role `role_id` with `menu_ids` (duplicates dropped).
///
/// # Errors
/// A database failure.
pub async fn replace_menus<C: ConnectionTrait>(
    db: &C,
    role_id: i64,
    menu_ids: &[i64],
) -> Result<(), DbErr> {
    common::replace_links::<sys_role::Entity, _, _>(
        db,
        sys_role::Column::Id,
        sys_role_menu::Column::RoleId,
        role_id,
        menu_ids,
        |role_id, menu_id| sys_role_menu::ActiveModel {
            id: NotSet,
            role_id: Set(role_id),
            menu_id: Set(menu_id),
        },
    )
    .await
}

/// Replaces the data scopes of role `role_id` with `scope_ids` (duplicates dropped).
///
/// # Errors
/// A database failure.
pub async fn replace_scopes<C: ConnectionTrait>(
    db: &C,
    role_id: i64,
    scope_ids: &[i64],
) -> Result<(), DbErr> {
    common::replace_links::<sys_role::Entity, _, _>(
        db,
        sys_role::Column::Id,
        sys_role_data_scope::Column::RoleId,
        role_id,
        scope_ids,
        |role_id, scope_id| sys_role_data_scope::ActiveModel {
            id: NotSet,
            role_id: Set(role_id),
            data_scope_id: Set(scope_id),
        },
    )
    .await
}

/// Deletes the roles `ids` with their menu, data-scope and user links; returns the number of
/// roles deleted.
///
/// # Errors
/// A database failure.
pub async fn delete_many<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    common::delete_where_in::<sys_role_menu::Entity, _>(db, sys_role_menu::Column::RoleId, ids)
        .await?;
    common::delete_where_in::<sys_role_data_scope::Entity, _>(
        db,
        sys_role_data_scope::Column::RoleId,
        ids,
    )
    .await?;
    common::delete_where_in::<sys_user_role::Entity, _>(db, sys_user_role::Column::RoleId, ids)
        .await?;
    common::delete_where_in::<sys_role::Entity, _>(db, sys_role::Column::Id, ids).await
}

/// Ids of the users holding any of `role_ids` (distinct).
///
/// # Errors
/// A database failure.
pub async fn user_ids_by_roles<C: ConnectionTrait>(
    db: &C,
    role_ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    common::linked_ids::<sys_user_role::Entity, _>(
        db,
        sys_user_role::Column::UserId,
        sys_user_role::Column::RoleId,
        role_ids,
    )
    .await
}
