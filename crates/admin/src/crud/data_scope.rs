//! Queries on `sys_data_scope` and its links (`sys_data_scope_rule` to rules,
//! `sys_role_data_scope` to roles), plus the users a scope reaches through roles.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use super::common;
use crate::model::{sys_data_rule, sys_data_scope, sys_data_scope_rule, sys_role_data_scope};
use crate::schema::data_scope::{DataScopeFilter, ValidDataScope};

/// The scope with `id`.
///
/// # Errors
/// A database failure.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<sys_data_scope::Model>, DbErr> {
    sys_data_scope::Entity::find_by_id(id).one(db).await
}

/// The scope named exactly `name`.
///
/// # Errors
/// A database failure.
pub async fn get_by_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<sys_data_scope::Model>, DbErr> {
    sys_data_scope::Entity::find()
        .filter(sys_data_scope::Column::Name.eq(name))
        .one(db)
        .await
}

/// Every scope, in id order.
///
/// # Errors
/// A database failure.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<sys_data_scope::Model>, DbErr> {
    sys_data_scope::Entity::find()
        .order_by_asc(sys_data_scope::Column::Id)
        .all(db)
        .await
}

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
    common::paginate(
        db,
        q.order_by_asc(sys_data_scope::Column::Id),
        offset,
        limit,
    )
    .await
}

/// The rules of scope `scope_id`, in id order.
///
/// # Errors
/// A database failure.
pub async fn rules<C: ConnectionTrait>(
    db: &C,
    scope_id: i64,
) -> Result<Vec<sys_data_rule::Model>, DbErr> {
    sys_data_rule::Entity::find()
        .join(
            JoinType::InnerJoin,
            sys_data_rule::Relation::DataScopeRule.def(),
        )
        .filter(sys_data_scope_rule::Column::DataScopeId.eq(scope_id))
        .distinct()
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
    common::update_by_id(db, sys_data_scope::Column::Id, id, am).await
}

/// Replaces the rules of scope `scope_id` with `rule_ids` (duplicates dropped).
///
/// # Errors
/// A database failure.
pub async fn replace_rules<C: ConnectionTrait>(
    db: &C,
    scope_id: i64,
    rule_ids: &[i64],
) -> Result<(), DbErr> {
    common::replace_links::<sys_data_scope::Entity, _, _>(
        db,
        sys_data_scope::Column::Id,
        sys_data_scope_rule::Column::DataScopeId,
        scope_id,
        rule_ids,
        |scope_id, rule_id| sys_data_scope_rule::ActiveModel {
            id: NotSet,
            data_scope_id: Set(scope_id),
            data_rule_id: Set(rule_id),
        },
    )
    .await
}

/// Deletes the scopes `ids` with their rule and role links; returns the number of scopes
/// deleted.
///
/// # Errors
/// A database failure.
pub async fn delete_many<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    common::delete_where_in::<sys_data_scope_rule::Entity, _>(
        db,
        sys_data_scope_rule::Column::DataScopeId,
        ids,
    )
    .await?;
    common::delete_where_in::<sys_role_data_scope::Entity, _>(
        db,
        sys_role_data_scope::Column::DataScopeId,
        ids,
    )
    .await?;
    common::delete_where_in::<sys_data_scope::Entity, _>(db, sys_data_scope::Column::Id, ids).await
}

/// Ids of the users holding a role that grants any of the scopes `ids` (distinct).
///
/// # Errors
/// A database failure.
pub async fn user_ids_by_scopes<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    let role_ids = common::linked_ids::<sys_role_data_scope::Entity, _>(
        db,
        sys_role_data_scope::Column::RoleId,
        sys_role_data_scope::Column::DataScopeId,
        ids,
    )
    .await?;
    super::role::user_ids_by_roles(db, &role_ids).await
}
