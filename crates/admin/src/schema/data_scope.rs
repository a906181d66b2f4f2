//! Data-scope request and response shapes: FBA's `CreateDataScopeParam`/`UpdateDataScopeParam`
//! (validated into [`ValidDataScope`]), the `{"rules": [ids]}` body of
//! `PUT /sys/data-scopes/{pk}/rules`, the batch delete body, the list filters,
//! `GetDataScopeDetail` ([`DataScopeDetail`]) and `GetDataScopeWithRelationDetail`
//! ([`DataScopeWithRules`]).
//!
//! Limits: `name` ≤ 64 characters (`VARCHAR(64)`), no NUL; `status` 0 or 1; ids 64-bit. Every
//! failure is a 422 naming the field.

use chrono::{DateTime, Utc};
use fba_common::AppError;
use fba_common::extract::FieldErrors;
use fba_common::validate::{body_loc, check_text, id_list, int_filter, status_type};
use fba_common::validate_by_parse;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::data_rule::DataRuleDetail;
use crate::model::sys_data_scope;

/// Longest `name` (`VARCHAR(64)`).
pub const NAME_MAX_CHARS: usize = 64;

/// Body of `POST /sys/data-scopes` and `PUT /sys/data-scopes/{pk}` as received. Unknown fields
/// are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DataScopeParam {
    /// Unique name.
    pub name: String,
    /// 0 disabled, 1 enabled (required).
    #[schema(value_type = i32)]
    pub status: Value,
}

/// A data-scope body that passed every edge check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDataScope {
    /// Name.
    pub name: String,
    /// 0/1.
    pub status: i32,
}

impl DataScopeParam {
    /// The validated scope.
    ///
    /// # Errors
    /// 422 naming `name` (too long, NUL) and/or `status` (not 0/1).
    pub fn parse(self) -> Result<ValidDataScope, AppError> {
        let mut errors = FieldErrors::new();
        errors.take(check_text(
            &body_loc("name"),
            &self.name,
            Some(NAME_MAX_CHARS),
        ));
        let status = errors.take(status_type(&body_loc("status"), &self.status));
        errors.finish()?;
        Ok(ValidDataScope {
            name: self.name,
            status,
        })
    }
}

/// Body of `PUT /sys/data-scopes/{pk}/rules`: `{"rules": [ids]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DataScopeRulesParam {
    /// Data-rule ids.
    #[schema(value_type = Vec<i64>)]
    pub rules: Value,
}

impl DataScopeRulesParam {
    /// The ids in the order given.
    ///
    /// # Errors
    /// 422 when not a list of 64-bit integers.
    pub fn parse(self) -> Result<Vec<i64>, AppError> {
        id_list("rules", &self.rules)
    }
}

/// Body of `DELETE /sys/data-scopes`: `{"pks": [ids]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeleteDataScopesParam {
    /// Scope ids.
    #[schema(value_type = Vec<i64>)]
    pub pks: Value,
}

impl DeleteDataScopesParam {
    /// The ids in the order given.
    ///
    /// # Errors
    /// 422 when not a list of 64-bit integers.
    pub fn parse(self) -> Result<Vec<i64>, AppError> {
        id_list("pks", &self.pks)
    }
}

validate_by_parse!(
    DataScopeParam => ValidDataScope,
    DataScopeRulesParam => Vec<i64>,
    DeleteDataScopesParam => Vec<i64>,
);

/// Query of `GET /sys/data-scopes` as received (`page`/`size` are read by the pagination
/// extractor).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DataScopeQuery {
    /// `name` LIKE `%x%`.
    #[serde(default)]
    pub name: Option<String>,
    /// Exact `status`.
    #[serde(default)]
    #[param(value_type = Option<i32>)]
    pub status: Option<String>,
}

/// Validated filters of `GET /sys/data-scopes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataScopeFilter {
    /// `name` LIKE `%x%` (SQL wildcards in the value are not escaped, as FBA).
    pub name: Option<String>,
    /// Exact `status`.
    pub status: Option<i32>,
}

impl DataScopeQuery {
    /// The validated filters (`""` means no filter).
    ///
    /// # Errors
    /// 422 naming `status` when it is not an integer, or `name` when it holds a NUL.
    pub fn parse(self) -> Result<DataScopeFilter, AppError> {
        let name = self.name.filter(|s| !s.is_empty());
        if let Some(n) = &name {
            check_text(&[Value::from("query"), Value::from("name")], n, None)?;
        }
        Ok(DataScopeFilter {
            name,
            status: int_filter("status", self.status)?,
        })
    }
}

/// FBA's `GetDataScopeDetail`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DataScopeDetail {
    /// Name.
    pub name: String,
    /// 0/1.
    pub status: i32,
    /// Id.
    pub id: i64,
    /// Creation time.
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub created_time: DateTime<Utc>,
    /// Last update.
    #[serde(with = "fba_common::datetime::option")]
    #[schema(value_type = Option<String>)]
    pub updated_time: Option<DateTime<Utc>>,
}

impl From<sys_data_scope::Model> for DataScopeDetail {
    fn from(s: sys_data_scope::Model) -> Self {
        Self {
            name: s.name,
            status: s.status,
            id: s.id,
            created_time: s.created_time,
            updated_time: s.updated_time,
        }
    }
}

/// FBA's `GetDataScopeWithRelationDetail`: a scope and its rules (`[]` when it has none).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DataScopeWithRules {
    /// The scope.
    #[serde(flatten)]
    pub scope: DataScopeDetail,
    /// Its rules, in id order.
    pub rules: Vec<DataRuleDetail>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scope_body_and_rule_ids_are_checked() {
        let ok: DataScopeParam = serde_json::from_value(json!({"name": "s", "status": 0})).unwrap();
        assert_eq!(ok.parse().unwrap().status, 0);
        let long: DataScopeParam =
            serde_json::from_value(json!({"name": "x".repeat(65), "status": 1})).unwrap();
        assert!(long.parse().is_err());
        let rules: DataScopeRulesParam =
            serde_json::from_value(json!({"rules": [1, "2"]})).unwrap();
        assert_eq!(rules.parse().unwrap(), vec![1, 2]);
        let bad: DataScopeRulesParam = serde_json::from_value(json!({"rules": [1, "x"]})).unwrap();
        assert!(bad.parse().is_err());
    }
}
