//! Queries on `sys_data_scope` and its links (`sys_data_scope_rule` to rules,
//! `sys_role_data_scope` to roles), plus the users a scope reaches through roles.

use std::collections::HashSet;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};

use crate::model::{
    sys_data_rule, sys_data_scope, sys_data_scope_rule, sys_role_data_scope, sys_user_role,
};
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
    let total = q.clone().count(db).await?;
    let items = match offset {
        Some(offset) if offset < total => {
            q.order_by_asc(sys_data_scope::Column::Id)
                .offset(offset)
                .limit(limit)
                .all(db)
                .await?
        }
        _ => Vec::new(),
    };
    Ok((items, total))
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
    let res = sys_data_scope::Entity::update_many()
        .set(am)
        .filter(sys_data_scope::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
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
    sys_data_scope_rule::Entity::delete_many()
        .filter(sys_data_scope_rule::Column::DataScopeId.eq(scope_id))
        .exec(db)
        .await?;
    let mut seen = HashSet::new();
    let rows: Vec<sys_data_scope_rule::ActiveModel> = rule_ids
        .iter()
        .copied()
        .filter(|id| seen.insert(*id))
        .map(|rule_id| sys_data_scope_rule::ActiveModel {
            id: NotSet,
            data_scope_id: Set(scope_id),
            data_rule_id: Set(rule_id),
        })
        .collect();
    if !rows.is_empty() {
        sys_data_scope_rule::Entity::insert_many(rows)
            .exec(db)
            .await?;
    }
    Ok(())
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
    sys_data_scope_rule::Entity::delete_many()
        .filter(sys_data_scope_rule::Column::DataScopeId.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    sys_role_data_scope::Entity::delete_many()
        .filter(sys_role_data_scope::Column::DataScopeId.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    let res = sys_data_scope::Entity::delete_many()
        .filter(sys_data_scope::Column::Id.is_in(ids.iter().copied()))
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// Ids of the users holding a role that grants any of the scopes `ids` (distinct).
///
/// # Errors
/// A database failure.
pub async fn user_ids_by_scopes<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let role_ids: Vec<i64> = sys_role_data_scope::Entity::find()
        .select_only()
        .column(sys_role_data_scope::Column::RoleId)
        .filter(sys_role_data_scope::Column::DataScopeId.is_in(ids.iter().copied()))
        .distinct()
        .into_tuple::<i64>()
        .all(db)
        .await?;
    if role_ids.is_empty() {
        return Ok(Vec::new());
    }
    sys_user_role::Entity::find()
        .select_only()
        .column(sys_user_role::Column::UserId)
        .filter(sys_user_role::Column::RoleId.is_in(role_ids))
        .distinct()
        .into_tuple::<i64>()
        .all(db)
        .await
}
