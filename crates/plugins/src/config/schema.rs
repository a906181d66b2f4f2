//! Request and response shapes of `/sys/configs`, with FBA's field names: `ConfigParam`
//! (create and update, validated into [`ValidConfig`]), the bulk update body (a JSON array of
//! `ConfigParam + id`), the bulk delete body (a JSON array of ids), the list and `/all`
//! queries, and `GetConfigDetail` ([`ConfigDetail`]).
//!
//! Limits are the `sys_config` column sizes (`name` and `type` 32, `key` 64 characters); text
//! with a NUL character is refused. `value` is text, and a JSON number is taken as its text
//! (FBA's UI sends `EMAIL_PORT` back as a number). `is_frontend` is a boolean as pydantic's lax
//! mode reads one. Unknown fields are ignored (the UI's bulk update sends the objects it
//! received, `created_time` included). Every failure is a 422 naming the field; in the JSON
//! arrays, the `loc` names the element's index (`["body", 2, "key"]`).

use chrono::{DateTime, Utc};
use fba_common::AppError;
use fba_common::FieldError;
use fba_common::extract::{FieldErrors, Validate, parse_valid_json};
use fba_common::validate::{MAX_IDS, body_loc, check_text, lax_bool, lax_id, text_filter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::model;

/// Longest `name` (`VARCHAR(32)`).
pub const NAME_MAX_CHARS: usize = 32;
/// Longest `type` (`VARCHAR(32)`).
pub const TYPE_MAX_CHARS: usize = 32;
/// Longest `key` (`VARCHAR(64)`).
pub const KEY_MAX_CHARS: usize = 64;
/// Most rows one bulk update may name.
pub const MAX_BULK: usize = MAX_IDS;

/// Body of `POST /sys/configs` and `PUT /sys/configs/{pk}` as received (FBA
/// `CreateConfigParam` / `UpdateConfigParam`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ConfigParam {
    /// 参数配置名称.
    pub name: String,
    /// 参数配置类型 (`LOGIN`, `USER_SECURITY`, `EMAIL`, …).
    #[serde(default, rename = "type")]
    pub config_type: Option<String>,
    /// 参数配置键名 (unique).
    pub key: String,
    /// 参数配置值 (text; a number is taken as its text).
    #[schema(value_type = String)]
    pub value: Value,
    /// 是否前端参数配置.
    #[schema(value_type = bool)]
    pub is_frontend: Value,
    /// 备注.
    #[serde(default)]
    pub remark: Option<String>,
}

/// One element of the body of `PUT /sys/configs` as received (FBA `UpdateConfigsParam`):
/// `ConfigParam` plus the row's `id`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UpdateConfigsParam {
    /// 参数配置名称.
    pub name: String,
    /// 参数配置类型.
    #[serde(default, rename = "type")]
    pub config_type: Option<String>,
    /// 参数配置键名.
    pub key: String,
    /// 参数配置值.
    #[schema(value_type = String)]
    pub value: Value,
    /// 是否前端参数配置.
    #[schema(value_type = bool)]
    pub is_frontend: Value,
    /// 备注.
    #[serde(default)]
    pub remark: Option<String>,
    /// 参数配置 ID.
    #[schema(value_type = i64)]
    pub id: Value,
}

/// A config body that passed every edge check.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidConfig {
    /// Name.
    pub name: String,
    /// Type.
    pub config_type: Option<String>,
    /// Key.
    pub key: String,
    /// Value as text.
    pub value: String,
    /// Front-end flag.
    pub is_frontend: bool,
    /// Remark.
    pub remark: Option<String>,
}

/// One validated element of a bulk update: the row's id and its new columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidConfigUpdate {
    /// The row.
    pub id: i64,
    /// Its new columns.
    pub config: ValidConfig,
}

/// The fields the two bodies share.
struct Fields {
    name: String,
    config_type: Option<String>,
    key: String,
    value: Value,
    is_frontend: Value,
    remark: Option<String>,
}

impl Fields {
    /// Checks every field into a [`ValidConfig`], recording failures in `errors`.
    fn check(self, errors: &mut FieldErrors) -> ValidConfig {
        errors.take(check_text(
            &body_loc("name"),
            &self.name,
            Some(NAME_MAX_CHARS),
        ));
        if let Some(t) = &self.config_type {
            errors.take(check_text(&body_loc("type"), t, Some(TYPE_MAX_CHARS)));
        }
        errors.take(check_text(&body_loc("key"), &self.key, Some(KEY_MAX_CHARS)));
        let value = errors.take(text_or_number(&body_loc("value"), &self.value));
        let is_frontend = errors.take(lax_bool(&body_loc("is_frontend"), &self.is_frontend));
        if let Some(r) = &self.remark {
            errors.take(check_text(&body_loc("remark"), r, None));
        }
        ValidConfig {
            name: self.name,
            config_type: self.config_type,
            key: self.key,
            value,
            is_frontend,
            remark: self.remark,
        }
    }
}

impl ConfigParam {
    /// The validated config.
    ///
    /// # Errors
    /// 422 naming every field that is too long, holds a NUL or has the wrong type.
    pub fn parse(self) -> Result<ValidConfig, AppError> {
        let mut errors = FieldErrors::new();
        let valid = Fields {
            name: self.name,
            config_type: self.config_type,
            key: self.key,
            value: self.value,
            is_frontend: self.is_frontend,
            remark: self.remark,
        }
        .check(&mut errors);
        errors.finish()?;
        Ok(valid)
    }
}

impl UpdateConfigsParam {
    /// The validated element.
    ///
    /// # Errors
    /// 422 naming every invalid field, as [`ConfigParam::parse`], and a bad `id`.
    pub fn parse(self) -> Result<ValidConfigUpdate, AppError> {
        let mut errors = FieldErrors::new();
        let config = Fields {
            name: self.name,
            config_type: self.config_type,
            key: self.key,
            value: self.value,
            is_frontend: self.is_frontend,
            remark: self.remark,
        }
        .check(&mut errors);
        let id = errors.take(lax_id(&body_loc("id"), &self.id));
        errors.finish()?;
        Ok(ValidConfigUpdate { id, config })
    }
}

impl Validate for ConfigParam {
    type Valid = ValidConfig;

    fn validate(self) -> Result<ValidConfig, AppError> {
        self.parse()
    }
}

impl Validate for UpdateConfigsParam {
    type Valid = ValidConfigUpdate;

    fn validate(self) -> Result<ValidConfigUpdate, AppError> {
        self.parse()
    }
}

/// Body of `PUT /sys/configs`: a JSON array of [`UpdateConfigsParam`].
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct BulkUpdateBody(pub Value);

impl Validate for BulkUpdateBody {
    type Valid = Vec<ValidConfigUpdate>;

    /// Every element checked; the errors of element `i` at `["body", i, …]`.
    fn validate(self) -> Result<Vec<ValidConfigUpdate>, AppError> {
        let items = list(&self.0)?;
        let mut errors = FieldErrors::new();
        let mut valid = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            if !item.is_object() {
                errors.push(FieldError::new(
                    "model_attributes_type",
                    vec![Value::from("body"), Value::from(i)],
                    item.clone(),
                    None,
                ));
                continue;
            }
            let parsed = serde_json::to_vec(item)
                .map_err(AppError::internal)
                .and_then(|bytes| parse_valid_json::<UpdateConfigsParam>(&bytes));
            valid.push(errors.take(at_index(parsed, i)));
        }
        errors.finish()?;
        Ok(valid)
    }
}

/// Body of `DELETE /sys/configs`: a JSON array of ids (`[1, 2]`).
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct DeleteConfigsBody(pub Value);

impl Validate for DeleteConfigsBody {
    type Valid = Vec<i64>;

    /// Every element as a lax integer; the error of element `i` at `["body", i]`.
    fn validate(self) -> Result<Vec<i64>, AppError> {
        let items = list(&self.0)?;
        let mut errors = FieldErrors::new();
        let ids = items
            .iter()
            .enumerate()
            .map(|(i, v)| errors.take(lax_id(&[Value::from("body"), Value::from(i)], v)))
            .collect();
        errors.finish()?;
        Ok(ids)
    }
}

/// The elements of a JSON-array body.
///
/// # Errors
/// 422 `list_type` at `["body"]` when not an array, `too_long` beyond [`MAX_BULK`].
fn list(body: &Value) -> Result<&Vec<Value>, AppError> {
    let loc = vec![Value::from("body")];
    let Value::Array(items) = body else {
        return Err(AppError::validation(FieldError::new(
            "list_type",
            loc,
            body.clone(),
            None,
        )));
    };
    if items.len() > MAX_BULK {
        return Err(AppError::validation(FieldError::new(
            "too_long",
            loc,
            Value::Null,
            Some(json!({
                "field_type": "List",
                "max_length": MAX_BULK,
                "actual_length": items.len(),
            })),
        )));
    }
    Ok(items)
}

/// An element's 422 with its index after `"body"` in every `loc`.
fn at_index<T>(result: Result<T, AppError>, index: usize) -> Result<T, AppError> {
    result.map_err(|e| match e {
        AppError::Validation(mut errors) => {
            for error in &mut errors {
                let at = usize::from(!error.loc.is_empty());
                error.loc.insert(at, Value::from(index));
            }
            AppError::Validation(errors)
        }
        other => other,
    })
}

/// A text field that also takes a JSON number (as its text).
///
/// # Errors
/// 422 `string_type` for anything else, or as [`check_text`].
fn text_or_number(loc: &[Value], input: &Value) -> Result<String, AppError> {
    let text = match input {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err(AppError::validation(FieldError::new(
                "string_type",
                loc.to_vec(),
                other.clone(),
                None,
            )));
        }
    };
    check_text(loc, &text, None)?;
    Ok(text)
}

/// Query of `GET /sys/configs` as received (`page`/`size` are the pagination extractor's).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConfigQuery {
    /// 参数配置名称: `name` LIKE `%x%`.
    #[serde(default)]
    pub name: Option<String>,
    /// 参数配置类型: `type` LIKE `%x%`.
    #[serde(default, rename = "type")]
    pub config_type: Option<String>,
}

/// Validated filter of `GET /sys/configs` (`""` means no filter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFilter {
    /// `name` LIKE `%x%` (SQL wildcards in the value are not escaped, as FBA).
    pub name: Option<String>,
    /// `type` LIKE `%x%`.
    pub config_type: Option<String>,
}

impl ConfigQuery {
    /// The filter.
    pub fn into_filter(self) -> ConfigFilter {
        ConfigFilter {
            name: text_filter(self.name),
            config_type: text_filter(self.config_type),
        }
    }
}

/// Query of `GET /sys/configs/all`: `type` is required (FBA answers 500 without it, because
/// its cache key cannot be built; here it is a 422 `missing`).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AllConfigsQuery {
    /// 参数配置类型 (`LOGIN`, `USER_SECURITY`, `EMAIL`, …).
    #[serde(rename = "type")]
    pub config_type: String,
}

/// FBA's `GetConfigDetail`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ConfigDetail {
    /// Name.
    pub name: String,
    /// Type.
    #[serde(rename = "type")]
    pub config_type: Option<String>,
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
    /// Front-end flag.
    pub is_frontend: bool,
    /// Remark.
    pub remark: Option<String>,
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

impl From<model::Model> for ConfigDetail {
    fn from(m: model::Model) -> Self {
        Self {
            name: m.name,
            config_type: m.r#type,
            key: m.key,
            value: m.value,
            is_frontend: m.is_frontend,
            remark: m.remark,
            id: m.id,
            created_time: m.created_time,
            updated_time: m.updated_time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(r: Result<impl std::fmt::Debug, AppError>) -> Vec<(Vec<Value>, String)> {
        match r {
            Err(AppError::Validation(errs)) => errs.into_iter().map(|e| (e.loc, e.kind)).collect(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    fn item() -> Value {
        json!({"id": 3, "name": "端口", "type": "EMAIL", "key": "EMAIL_PORT", "value": 465,
               "is_frontend": false, "remark": null, "created_time": "2026-01-01 00:00:00"})
    }

    #[test]
    fn numbers_are_text_and_booleans_are_lax() {
        let bulk = BulkUpdateBody(json!([item()])).validate().unwrap();
        assert_eq!(bulk[0].id, 3);
        assert_eq!(bulk[0].config.value, "465");
        assert_eq!(bulk[0].config.config_type.as_deref(), Some("EMAIL"));
        assert!(!bulk[0].config.is_frontend);
        let loc = body_loc("x");
        assert!(lax_bool(&loc, &json!("Yes")).unwrap());
        assert!(!lax_bool(&loc, &json!(0)).unwrap());
        assert!(lax_bool(&loc, &json!("maybe")).is_err());
        assert!(text_or_number(&loc, &json!(true)).is_err());
    }

    #[test]
    fn bulk_errors_name_the_index_and_the_field() {
        let mut bad = item();
        bad["key"] = json!("k".repeat(65));
        bad["is_frontend"] = json!("x");
        let mut missing = item();
        missing.as_object_mut().unwrap().remove("id");
        let found = errors(BulkUpdateBody(json!([item(), bad, missing, 5])).validate());
        assert_eq!(
            found,
            vec![
                (
                    vec![json!("body"), json!(1), json!("key")],
                    "string_too_long".to_owned()
                ),
                (
                    vec![json!("body"), json!(1), json!("is_frontend")],
                    "bool_type".to_owned()
                ),
                (
                    vec![json!("body"), json!(2), json!("id")],
                    "missing".to_owned()
                ),
                (
                    vec![json!("body"), json!(3)],
                    "model_attributes_type".to_owned()
                ),
            ]
        );
        assert_eq!(
            errors(BulkUpdateBody(json!({"id": 1})).validate()),
            vec![(vec![json!("body")], "list_type".to_owned())]
        );
    }

    #[test]
    fn delete_bodies_are_bare_id_lists() {
        assert_eq!(
            DeleteConfigsBody(json!([1, "2"])).validate().unwrap(),
            vec![1, 2]
        );
        assert_eq!(
            errors(DeleteConfigsBody(json!([1, "x"])).validate()),
            vec![(vec![json!("body"), json!(1)], "int_parsing".to_owned())]
        );
        assert_eq!(
            errors(DeleteConfigsBody(json!({"pks": [1]})).validate()),
            vec![(vec![json!("body")], "list_type".to_owned())]
        );
    }

    #[test]
    fn create_checks_lengths_and_nul() {
        let ok = json!({"name": "n", "key": "K", "value": "v", "is_frontend": true});
        let v = serde_json::from_value::<ConfigParam>(ok.clone())
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!((v.config_type, v.remark, v.is_frontend), (None, None, true));
        for (field, bad) in [
            ("name", json!("n".repeat(33))),
            ("type", json!("t".repeat(33))),
            ("key", json!("k\u{0}")),
            ("value", json!(["v"])),
            ("remark", json!("r\u{0}")),
        ] {
            let mut body = ok.clone();
            body[field] = bad;
            let parsed = serde_json::from_value::<ConfigParam>(body).unwrap().parse();
            assert_eq!(errors(parsed)[0].0, body_loc(field), "{field}");
        }
    }
}
