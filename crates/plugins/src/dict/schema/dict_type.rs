//! Dict-type shapes: FBA's `CreateDictTypeParam`/`UpdateDictTypeParam` (validated into
//! [`ValidDictType`]), the batch delete body, the list filter and `GetDictTypeDetail`
//! ([`DictTypeDetail`]).

use chrono::{DateTime, Utc};
use fba_common::AppError;
use fba_common::extract::FieldErrors;
use fba_common::validate::id_list;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use fba_common::validate_by_parse;

use super::{TEXT_MAX_CHARS, check_field, query_text};
use crate::dict::model::dict_type;

/// Body of `POST /sys/dict-types` and `PUT /sys/dict-types/{pk}` as received (FBA
/// `DictTypeSchemaBase`). Unknown fields (the UI also sends `status`) are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DictTypeParam {
    /// 字典名称.
    pub name: String,
    /// 字典编码 (unique).
    pub code: String,
    /// 备注.
    #[serde(default)]
    pub remark: Option<String>,
}

/// A dict-type body that passed every edge check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDictType {
    /// Name.
    pub name: String,
    /// Code.
    pub code: String,
    /// Remark.
    pub remark: Option<String>,
}

impl DictTypeParam {
    /// The validated type.
    ///
    /// # Errors
    /// 422 naming every field that is too long or holds a NUL.
    pub fn parse(self) -> Result<ValidDictType, AppError> {
        let mut errors = FieldErrors::new();
        errors.take(check_field("name", &self.name, Some(TEXT_MAX_CHARS)));
        errors.take(check_field("code", &self.code, Some(TEXT_MAX_CHARS)));
        if let Some(remark) = &self.remark {
            errors.take(check_field("remark", remark, None));
        }
        errors.finish()?;
        Ok(ValidDictType {
            name: self.name,
            code: self.code,
            remark: self.remark,
        })
    }
}

/// Body of `DELETE /sys/dict-types`: `{"pks": [ids]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeleteDictTypesParam {
    /// 字典类型 ID 列表.
    #[schema(value_type = Vec<i64>)]
    pub pks: Value,
}

impl DeleteDictTypesParam {
    /// The ids in the order given.
    ///
    /// # Errors
    /// 422 when not a list of 64-bit integers.
    pub fn parse(self) -> Result<Vec<i64>, AppError> {
        id_list("pks", &self.pks)
    }
}

validate_by_parse!(
    DictTypeParam => ValidDictType,
    DeleteDictTypesParam => Vec<i64>,
);

/// Query of `GET /sys/dict-types` as received (`page`/`size` are read by the pagination
/// extractor).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DictTypeQuery {
    /// 字典类型名称: `name` LIKE `%x%`.
    #[serde(default)]
    pub name: Option<String>,
    /// 字典类型编码: `code` LIKE `%x%`.
    #[serde(default)]
    pub code: Option<String>,
}

/// Validated filters of `GET /sys/dict-types` (SQL wildcards in values are not escaped, as
/// FBA).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DictTypeFilter {
    /// `name` LIKE `%x%`.
    pub name: Option<String>,
    /// `code` LIKE `%x%`.
    pub code: Option<String>,
}

impl DictTypeQuery {
    /// The validated filters (`""` means no filter).
    ///
    /// # Errors
    /// 422 naming a parameter that holds a NUL character.
    pub fn parse(self) -> Result<DictTypeFilter, AppError> {
        Ok(DictTypeFilter {
            name: query_text("name", self.name)?,
            code: query_text("code", self.code)?,
        })
    }
}

/// FBA's `GetDictTypeDetail`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DictTypeDetail {
    /// Name.
    pub name: String,
    /// Code.
    pub code: String,
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

impl From<dict_type::Model> for DictTypeDetail {
    fn from(m: dict_type::Model) -> Self {
        Self {
            name: m.name,
            code: m.code,
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
    use serde_json::json;

    #[test]
    fn long_or_nul_text_is_refused_naming_the_field() {
        let ok: DictTypeParam =
            serde_json::from_value(json!({"name": "n", "code": "c", "status": 1})).unwrap();
        assert_eq!(ok.parse().unwrap().remark, None);
        for (field, bad) in [
            ("name", json!("x".repeat(33))),
            ("code", json!("x".repeat(33))),
            ("remark", json!("a\u{0}")),
        ] {
            let mut body = json!({"name": "n", "code": "c"});
            body[field] = bad;
            let param: DictTypeParam = serde_json::from_value(body).unwrap();
            let Err(AppError::Validation(errs)) = param.parse() else {
                panic!("{field} accepted");
            };
            assert_eq!(errs[0].loc.last(), Some(&Value::from(field)));
        }
    }
}
