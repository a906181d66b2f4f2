//! Queries on `sys_data_scope` and its links (`sys_data_scope_rule` to rules,
//! `sys_role_data_scope` to roles), plus the users a scope reaches through roles. Get, get by
//! name and list are [`Repository`]'s.

use chrono::Utc;
use fba_db::Repository;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, RelationTrait,
};

use crate::model::{sys_data_rule, sys_data_scope, sys_data_scope_rule, sys_role_data_scope};
use crate::schema::data_scope::{DataScopeFilter, ValidDataScope};

/// One page of the scopes matching `filter` (id order) and the total count; `offset` `None`
/// is a page past any table (no items).
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &DataScopeFilter,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<sys_data_scope::Model>, u64), DbErr> {
    let mut q = sys_data_scope::Entity::find();
    if let Some(name) = &filter.name {
        q = q.filter(sys_data_scope::Column::Name.contains(name.as_str()));
    }
    if let Some(status) = filter.status {
        q = q.filter(sys_data_scope::Column::Status.eq(status));
    }
    let q = q.order_by_asc(sys_data_scope::Column::Id);
    sys_data_scope::Entity::page(db, q, offset, limit).await
}

/// The rules of scope `scope_id`, in id order.
///
/// # Errors
/// A database failure.
pub async fn rules<C: ConnectionTrait>(
    db: &C,
    scope_id: i64,
) -> Result<Vec<sys_data_rule::Model>, DbErr> {
    sys_data_rule::Entity::linked_through(
        sys_data_rule::Relation::DataScopeRule.def(),
        sys_data_scope_rule::Column::DataScopeId,
        scope_id,
    )
    .order_by_asc(sys_data_rule::Column::Id)
    .all(db)
    .await
}

/// Inserts a scope; `id` is the snowflake id when the app assigns ids.
///
/// # Errors
/// A database failure.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
    scope: &ValidDataScope,
) -> Result<sys_data_scope::Model, DbErr> {
    sys_data_scope::ActiveModel {
        id: id.map_or(NotSet, Set),
        name: Set(scope.name.clone()),
        status: Set(scope.status),
        created_time: Set(Utc::now()),
        updated_time: Set(None),
    }
    .insert(db)
    .await
}

/// Overwrites scope `id` with `scope`; returns the rows changed.
///
/// # Errors
/// A database failure.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i64,
    scope: &ValidDataScope,
) -> Result<u64, DbErr> {
    let am = sys_data_scope::ActiveModel {
        name: Set(scope.name.clone()),
        status: Set(scope.status),
        updated_time: Set(Some(Utc::now())),
        ..Default::default()
    };
    sys_data_scope::Entity::update_by_id(db, id, am).await
}

/// Deletes the scopes `ids` with their rule and role links; returns the number of scopes
/// deleted.
///
/// # Errors
/// A database failure.
pub async fn delete_many<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<u64, DbErr> {
    sys_data_scope_rule::Entity::delete_where_in(db, sys_data_scope_rule::Column::DataScopeId, ids)
        .await?;
    sys_role_data_scope::Entity::delete_where_in(db, sys_role_data_scope::Column::DataScopeId, ids)
        .await?;
    sys_data_scope::Entity::delete_ids(db, ids).await
}

/// Ids of the users holding a role that grants any of the scopes `ids` (distinct).
///
/// # Errors
/// A database failure.
pub async fn user_ids_by_scopes<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    let role_ids = sys_role_data_scope::Entity::linked_ids(
        db,
        sys_role_data_scope::Column::RoleId,
        sys_role_data_scope::Column::DataScopeId,
        ids,
    )
    .await?;
    super::role::user_ids_by_roles(db, &role_ids).await
}
