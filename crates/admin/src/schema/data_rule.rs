//! Data-rule request and response shapes: FBA's `CreateDataRuleParam`/`UpdateDataRuleParam`
//! (validated here into [`ValidDataRule`]), the batch delete body, the list filter,
//! `GetDataRuleDetail` ([`DataRuleDetail`]), and the `{key, comment}` items of the model
//! column and template variable lists.
//!
//! Limits are the `sys_data_rule` column sizes (name 512, model 64, column 32, value 256
//! characters); `operator` is 0 (AND) or 1 (OR); `expression` is 0..7 (`==`, `!=`, `>`, `>=`,
//! `<`, `<=`, `in`, `not_in`). `model` and `column` are free text, as in FBA (the UI picks them
//! from `GET /sys/data-rules/models…`; a rule naming an unknown model or column filters
//! nothing). Text with a NUL character is refused. Every failure is a 422 naming the field.

use chrono::{DateTime, Utc};
use fba_common::AppError;
use fba_common::extract::FieldErrors;
use fba_common::validate::{body_loc, check_text, id_list, int_enum};
use fba_common::validate_by_parse;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::sys_data_rule;

/// Longest `name` (`VARCHAR(512)`).
pub const NAME_MAX_CHARS: usize = 512;
/// Longest `model` (`VARCHAR(64)`).
pub const MODEL_MAX_CHARS: usize = 64;
/// Longest `column` (`VARCHAR(32)`).
pub const COLUMN_MAX_CHARS: usize = 32;
/// Longest `value` (`VARCHAR(256)`).
pub const VALUE_MAX_CHARS: usize = 256;

/// `operator`: the rule joins the AND group.
pub const OPERATOR_AND: i32 = 0;
/// `operator`: the rule joins the OR group.
pub const OPERATOR_OR: i32 = 1;

/// Body of `POST /sys/data-rules` and `PUT /sys/data-rules/{pk}` as received (FBA
/// `DataRuleSchemaBase`). Unknown fields are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DataRuleParam {
    /// Unique name.
    pub name: String,
    /// Model name (`Dept`, `User`, …) or `__ALL__`.
    pub model: String,
    /// Column name or a column template (`__dept_id__`, `__created_by__`).
    pub column: String,
    /// 0 AND, 1 OR.
    #[schema(value_type = i32)]
    pub operator: Value,
    /// 0 `==`, 1 `!=`, 2 `>`, 3 `>=`, 4 `<`, 5 `<=`, 6 `in`, 7 `not_in`.
    #[schema(value_type = i32)]
    pub expression: Value,
    /// The compared value or a value template (`${user_id}`, `${dept_id}`, `${now}`);
    /// comma-separated for `in` / `not_in`.
    pub value: String,
}

/// A data-rule body that passed every edge check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDataRule {
    /// Name.
    pub name: String,
    /// Model.
    pub model: String,
    /// Column.
    pub column: String,
    /// 0/1.
    pub operator: i32,
    /// 0..7.
    pub expression: i32,
    /// Value.
    pub value: String,
}

impl DataRuleParam {
    /// The validated rule.
    ///
    /// # Errors
    /// 422 naming every field that is too long, holds a NUL or is not an allowed value.
    pub fn parse(self) -> Result<ValidDataRule, AppError> {
        let mut errors = FieldErrors::new();
        errors.take(check_text(
            &body_loc("name"),
            &self.name,
            Some(NAME_MAX_CHARS),
        ));
        errors.take(check_text(
            &body_loc("model"),
            &self.model,
            Some(MODEL_MAX_CHARS),
        ));
        errors.take(check_text(
            &body_loc("column"),
            &self.column,
            Some(COLUMN_MAX_CHARS),
        ));
        let operator = errors.take(int_enum(
            &body_loc("operator"),
            &self.operator,
            &[0, 1],
            "0 or 1",
        ));
        let expression = errors.take(int_enum(
            &body_loc("expression"),
            &self.expression,
            &[0, 1, 2, 3, 4, 5, 6, 7],
            "0, 1, 2, 3, 4, 5, 6 or 7",
        ));
        errors.take(check_text(
            &body_loc("value"),
            &self.value,
            Some(VALUE_MAX_CHARS),
        ));
        errors.finish()?;
        Ok(ValidDataRule {
            name: self.name,
            model: self.model,
            column: self.column,
            operator,
            expression,
            value: self.value,
        })
    }
}

/// Body of `DELETE /sys/data-rules`: `{"pks": [ids]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeleteDataRulesParam {
    /// Rule ids.
    #[schema(value_type = Vec<i64>)]
    pub pks: Value,
}

impl DeleteDataRulesParam {
    /// The ids in the order given.
    ///
    /// # Errors
    /// 422 when not a list of 64-bit integers.
    pub fn parse(self) -> Result<Vec<i64>, AppError> {
        id_list("pks", &self.pks)
    }
}

validate_by_parse!(
    DataRuleParam => ValidDataRule,
    DeleteDataRulesParam => Vec<i64>,
);

/// Query of `GET /sys/data-rules` as received (`page`/`size` are read by the pagination
/// extractor).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DataRuleQuery {
    /// `name` LIKE `%x%`.
    #[serde(default)]
    pub name: Option<String>,
}

/// Validated filter of `GET /sys/data-rules`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataRuleFilter {
    /// `name` LIKE `%x%` (SQL wildcards in the value are not escaped, as FBA).
    pub name: Option<String>,
}

impl DataRuleQuery {
    /// The validated filter (`""` means no filter).
    ///
    /// # Errors
    /// 422 when `name` holds a NUL character.
    pub fn parse(self) -> Result<DataRuleFilter, AppError> {
        let name = self.name.filter(|s| !s.is_empty());
        if let Some(n) = &name {
            check_text(&[Value::from("query"), Value::from("name")], n, None)?;
        }
        Ok(DataRuleFilter { name })
    }
}

/// FBA's `GetDataRuleDetail`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DataRuleDetail {
    /// Name.
    pub name: String,
    /// Model name or `__ALL__`.
    pub model: String,
    /// Column or template.
    pub column: String,
    /// 0 AND, 1 OR.
    pub operator: i32,
    /// 0..7.
    pub expression: i32,
    /// Value or template.
    pub value: String,
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

impl From<sys_data_rule::Model> for DataRuleDetail {
    fn from(r: sys_data_rule::Model) -> Self {
        Self {
            name: r.name,
            model: r.model,
            column: r.column,
            operator: r.operator,
            expression: r.expression,
            value: r.value,
            id: r.id,
            created_time: r.created_time,
            updated_time: r.updated_time,
        }
    }
}

/// FBA's `GetDataRuleColumnDetail`: a column a rule may name.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DataRuleColumn {
    /// Column name or column template.
    pub key: String,
    /// The column's comment (`null` when it has none).
    pub comment: Option<String>,
}

/// FBA's `GetDataRuleTemplateVariableDetail`: a value template a rule may use.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct TemplateVariable {
    /// The template (`${user_id}`).
    pub key: String,
    /// What it stands for.
    pub comment: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<ValidDataRule, AppError> {
        serde_json::from_value::<DataRuleParam>(body)
            .unwrap()
            .parse()
    }

    #[test]
    fn enums_and_lengths_are_checked() {
        let ok = json!({"name": "r", "model": "Dept", "column": "name", "operator": 1, "expression": "7", "value": "a"});
        let v = parse(ok.clone()).unwrap();
        assert_eq!((v.operator, v.expression), (1, 7));
        for (field, bad) in [
            ("operator", json!(2)),
            ("expression", json!(8)),
            ("expression", json!("x")),
            ("name", json!("x".repeat(513))),
            ("model", json!("x".repeat(65))),
            ("column", json!("x".repeat(33))),
            ("value", json!("x".repeat(257))),
            ("value", json!("a\u{0}")),
        ] {
            let mut body = ok.clone();
            body[field] = bad;
            let Err(AppError::Validation(errs)) = parse(body) else {
                panic!("{field} accepted");
            };
            assert_eq!(errs[0].loc.last(), Some(&Value::from(field)));
        }
    }
}
