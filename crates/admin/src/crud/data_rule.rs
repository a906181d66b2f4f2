//! Queries on `sys_data_rule` and its scope links (`sys_data_scope_rule`), plus the users a
//! rule reaches through scopes and roles. Get, list and ids are [`Repository`]'s.

use chrono::Utc;
use fba_db::Repository;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};

use crate::model::{sys_data_rule, sys_data_scope_rule};
use crate::schema::data_rule::{DataRuleFilter, ValidDataRule};

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
    let q = q.order_by_asc(sys_data_rule::Column::Id);
    sys_data_rule::Entity::page(db, q, offset, limit).await
}

/// The columns of a rule that its body sets (the others `NotSet`).
fn fields(rule: &ValidDataRule) -> sys_data_rule::ActiveModel {
    sys_data_rule::ActiveModel {
        name: Set(rule.name.clone()),
        model: Set(rule.model.clone()),
        column: Set(rule.column.clone()),
        operator: Set(rule.operator),
        expression: Set(rule.expression),
        value: Set(rule.value.clone()),
        ..Default::default()
    }
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
        created_time: Set(Utc::now()),
        updated_time: Set(None),
        ..fields(rule)
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
        updated_time: Set(Some(Utc::now())),
        ..fields(rule)
    };
    sys_data_rule::Entity::update_by_id(db, id, am).await
}

/// Deletes the rules `ids` and their scope links; returns the number of rules deleted.
///
/// # Errors
/// A database failure.
pub async fn delete_many<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<u64, DbErr> {
    sys_data_scope_rule::Entity::delete_where_in(db, sys_data_scope_rule::Column::DataRuleId, ids)
        .await?;
    sys_data_rule::Entity::delete_ids(db, ids).await
}

/// Ids of the data scopes containing any of the rules `ids` (distinct).
///
/// # Errors
/// A database failure.
pub async fn scope_ids_by_rules<C: ConnectionTrait>(
    db: &C,
    ids: &[i64],
) -> Result<Vec<i64>, DbErr> {
    sys_data_scope_rule::Entity::linked_ids(
        db,
        sys_data_scope_rule::Column::DataScopeId,
        sys_data_scope_rule::Column::DataRuleId,
        ids,
    )
    .await
}
