//! Queries on `sys_data_rule` and its scope links (`sys_data_scope_rule`), plus the users a
//! rule reaches through scopes and roles.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};

use super::common;
use crate::model::{sys_data_rule, sys_data_scope_rule};
use crate::schema::data_rule::{DataRuleFilter, ValidDataRule};

/// The rule with `id`.
///
/// # Errors
/// A database failure.
pub async fn get<C: ConnectionTrait>(
    db: &C,
    id: i64,
) -> Result<Option<sys_data_rule::Model>, DbErr> {
    sys_data_rule::Entity::find_by_id(id).one(db).await
}

/// The rule named exactly `name`.
///
/// # Errors
/// A database failure.
pub async fn get_by_name<C: ConnectionTrait>(
    db: &C,
    name: &str,
) -> Result<Option<sys_data_rule::Model>, DbErr> {
    sys_data_rule::Entity::find()
        .filter(sys_data_rule::Column::Name.eq(name))
        .one(db)
        .await
}

/// Every rule, in id order.
///
/// # Errors
/// A database failure.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<sys_data_rule::Model>, DbErr> {
    sys_data_rule::Entity::find()
        .order_by_asc(sys_data_rule::Column::Id)
        .all(db)
        .await
}

/// One page of the rules matching `filter` (id order) and the total count; `offset` `None` is
/// a page past any table (no items).
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &DataRuleFilter,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<sys_data_rule::Model>, u64), DbErr> {
    let mut q = sys_data_rule::Entity::find();
    if let Some(name) = &filter.name {
        q = q.filter(sys_data_rule::Column::Name.contains(name.as_str()));
    }
    common::paginate(db, q.order_by_asc(sys_data_rule::Column::Id), offset, limit).await
}

/// Which of `ids` are existing rules.
///
/// # Errors
/// A database failure.
pub async fn existing_ids<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<Vec<i64>, DbErr> {
    common::existing_ids::<sys_data_rule::Entity, _>(db, sys_data_rule::Column::Id, ids).await
}

/// Inserts a rule; `id` is the snowflake id when the app assigns ids.
///
/// # Errors
/// A database failure.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
    rule: &ValidDataRule,
) -> Result<sys_data_rule::Model, DbErr> {
    sys_data_rule::ActiveModel {
        id: id.map_or(NotSet, Set),
        name: Set(rule.name.clone()),
        model: Set(rule.model.clone()),
        column: Set(rule.column.clone()),
        operator: Set(rule.operator),
        expression: Set(rule.expression),
        value: Set(rule.value.clone()),
        created_time: Set(Utc::now()),
        updated_time: Set(None),
    }
    .insert(db)
    .await
}

/// Overwrites rule `id` with `rule`; returns the rows changed.
///
/// # Errors
/// A database failure.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i64,
    rule: &ValidDataRule,
) -> Result<u64, DbErr> {
    let am = sys_data_rule::ActiveModel {
        name: Set(rule.name.clone()),
        model: Set(rule.model.clone()),
        column: Set(rule.column.clone()),
        operator: Set(rule.operator),
        expression: Set(rule.expression),
        value: Set(rule.value.clone()),
        updated_time: Set(Some(Utc::now())),
        ..Default::default()
    };
    common::update_by_id(db, sys_data_rule::Column::Id, id, am).await
}

/// Deletes the rules `ids` and their scope links; returns the number of rules deleted.
///
/// # Errors
/// A database failure.
pub async fn delete_many<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    common::delete_where_in::<sys_data_scope_rule::Entity, _>(
        db,
        sys_data_scope_rule::Column::DataRuleId,
        ids,
    )
    .await?;
    common::delete_where_in::<sys_data_rule::Entity, _>(db, sys_data_rule::Column::Id, ids).await
}

/// Ids of the data scopes containing any of the rules `ids` (distinct).
///
/// # Errors
/// A database failure.
pub async fn scope_ids_by_rules<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    common::linked_ids::<sys_data_scope_rule::Entity, _>(
        db,
        sys_data_scope_rule::Column::DataScopeId,
        sys_data_scope_rule::Column::DataRuleId,
        ids,
    )
    .await
}
