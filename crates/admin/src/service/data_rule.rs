//! Data-rule rules: the models, columns and value templates a rule may name (from
//! [`super::data_permission`]), rule lists and details, and rule writes with FBA's unique-name
//! check. Batch delete also removes the rules' scope links (FBA leaves them, Appendix A quirk
//! 18).
//!
//! Every change commits first, then drops the cached users (`fba:user:{uid}`) the rule reaches
//! through scopes and roles, so their next request filters with the new rules.

use fba_common::pagination::{Page, PageParams};
use fba_common::security::invalidate_user;
use fba_common::{AppResult, AppState};
use fba_db::Repository;
use sea_orm::ConnectionTrait;

use super::data_permission::{
    self, COLUMN_EXCLUDE, COLUMN_TEMPLATE_VARIABLES, DataModel, MODEL_TEMPLATE_VARIABLES,
    VALUE_TEMPLATE_VARIABLES,
};
use crate::crud;
use crate::error::AdminError;
use crate::model::sys_data_rule;
use crate::schema::data_rule::{
    DataRuleColumn, DataRuleDetail, DataRuleFilter, TemplateVariable, ValidDataRule,
};

/// The models a rule may target: `__ALL__`, then the names of `models` (the app's, from
/// every module: FBA's `GET /sys/data-rules/models`).
pub fn models(models: &[&'static DataModel]) -> Vec<String> {
    data_permission::rule_models(models)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// The columns a rule on `model` may name: the model's columns except the excluded ones, then
/// the column templates; for `__ALL__` only the column templates.
///
/// # Errors
/// 404 `数据规则可用模型不存在` for an unknown model.
pub fn columns(models: &[&'static DataModel], model: &str) -> AppResult<Vec<DataRuleColumn>> {
    let templates = COLUMN_TEMPLATE_VARIABLES
        .iter()
        .map(|(k, c)| DataRuleColumn {
            key: (*k).to_owned(),
            comment: Some((*c).to_owned()),
        });
    if MODEL_TEMPLATE_VARIABLES.iter().any(|(k, _)| *k == model) {
        return Ok(templates.collect());
    }
    let m = data_permission::model(models, model).ok_or(AdminError::DataRuleModelNotFound)?;
    Ok(m.columns
        .iter()
        .filter(|c| !COLUMN_EXCLUDE.contains(&c.key))
        .map(|c| DataRuleColumn {
            key: c.key.to_owned(),
            comment: c.comment.map(str::to_owned),
        })
        .chain(templates)
        .collect())
}

/// The value templates a rule may use.
pub fn value_template_variables() -> Vec<TemplateVariable> {
    VALUE_TEMPLATE_VARIABLES
        .iter()
        .map(|(k, c)| TemplateVariable {
            key: (*k).to_owned(),
            comment: (*c).to_owned(),
        })
        .collect()
}

/// Every rule.
///
/// # Errors
/// A database failure.
pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<DataRuleDetail>> {
    Ok(sys_data_rule::Entity::list(db)
        .await?
        .into_iter()
        .map(DataRuleDetail::from)
        .collect())
}

/// One rule.
///
/// # Errors
/// 404 `数据规则不存在`; a database failure.
pub async fn get<C: ConnectionTrait>(db: &C, pk: i64) -> AppResult<DataRuleDetail> {
    sys_data_rule::Entity::get(db, pk)
        .await?
        .map(DataRuleDetail::from)
        .ok_or_else(|| AdminError::DataRuleNotFound.into())
}

/// One page of rules matching `filter`.
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &DataRuleFilter,
    params: &PageParams,
) -> AppResult<Page<DataRuleDetail>> {
    let (items, total) = crud::data_rule::page(db, filter, params.offset(), params.limit()).await?;
    Ok(Page::new(
        items.into_iter().map(DataRuleDetail::from).collect(),
        total,
        params,
    ))
}

/// Ids of the users reached by the rules `ids` (rule → scopes → roles → users).
async fn users_of_rules<C: ConnectionTrait>(db: &C, ids: &[i64]) -> AppResult<Vec<i64>> {
    let scopes = crud::data_rule::scope_ids_by_rules(db, ids).await?;
    Ok(crud::data_scope::user_ids_by_scopes(db, &scopes).await?)
}

/// Drops the cached users `user_ids`.
pub(crate) async fn invalidate_users(state: &AppState, user_ids: &[i64]) -> AppResult<()> {
    for &uid in user_ids {
        invalidate_user(state, uid).await?;
    }
    Ok(())
}

/// Creates a rule.
///
/// # Errors
/// 409 `数据规则已存在`; a database failure.
pub async fn create(state: &AppState, rule: ValidDataRule) -> AppResult<()> {
    let id = state.next_id()?;
    let txn = fba_db::begin_write(&state.db).await?;
    if sys_data_rule::Entity::get_by(&txn, sys_data_rule::Column::Name, &rule.name)
        .await?
        .is_some()
    {
        return Err(AdminError::DataRuleNameTaken.into());
    }
    crud::data_rule::create(&txn, id, &rule).await?;
    txn.commit().await?;
    Ok(())
}

/// Updates rule `pk`; returns the rows changed (0 → FBA's soft failure).
///
/// # Errors
/// 404 `数据规则不存在`, 409 `数据规则已存在`; a database or Kv failure.
pub async fn update(state: &AppState, pk: i64, rule: ValidDataRule) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    let current = sys_data_rule::Entity::get(&txn, pk)
        .await?
        .ok_or(AdminError::DataRuleNotFound)?;
    if current.name != rule.name
        && sys_data_rule::Entity::get_by(&txn, sys_data_rule::Column::Name, &rule.name)
            .await?
            .is_some()
    {
        return Err(AdminError::DataRuleNameTaken.into());
    }
    let count = crud::data_rule::update(&txn, pk, &rule).await?;
    let users = users_of_rules(&txn, &[pk]).await?;
    txn.commit().await?;
    invalidate_users(state, &users).await?;
    Ok(count)
}

/// Deletes the rules `pks` and their scope links; returns the rules deleted (0 → FBA's soft
/// failure).
///
/// # Errors
/// A database or Kv failure.
pub async fn delete(state: &AppState, pks: Vec<i64>) -> AppResult<u64> {
    let txn = fba_db::begin_write(&state.db).await?;
    // Collected before the scope links go.
    let users = users_of_rules(&txn, &pks).await?;
    let count = crud::data_rule::delete_many(&txn, &pks).await?;
    txn.commit().await?;
    invalidate_users(state, &users).await?;
    Ok(count)
}
