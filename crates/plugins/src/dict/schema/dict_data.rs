//! Dict-data shapes: FBA's `CreateDictDataParam`/`UpdateDictDataParam` (validated into
//! [`ValidDictData`]), the batch delete body, the list filters and `GetDictDataDetail`
//! ([`DictDataDetail`], also the cached form of a row).
//!
//! `type_id` is a 64-bit id, `sort` a 32-bit integer (both lax, as pydantic reads them),
//! `status` 0 or 1; `label`, `value` and `color` at most 32 characters.

use chrono::{DateTime, Utc};
use fba_common::AppError;
use fba_common::extract::FieldErrors;
use fba_common::validate::{body_loc, id_list, int_filter, lax_id, lax_int, status_type};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use fba_common::validate_by_parse;

use super::{TEXT_MAX_CHARS, check_field, query_text};
use crate::dict::model::dict_data;

/// Body of `POST /sys/dict-datas` and `PUT /sys/dict-datas/{pk}` as received (FBA
/// `DictDataSchemaBase`). Unknown fields are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DictDataParam {
    /// 字典类型 ID.
    #[schema(value_type = i64)]
    pub type_id: Value,
    /// 字典标签.
    pub label: String,
    /// 字典值.
    pub value: String,
    /// 标签颜色.
    #[serde(default)]
    pub color: Option<String>,
    /// 排序 (required).
    #[schema(value_type = i32)]
    pub sort: Value,
    /// 状态: 0 disabled, 1 enabled.
    #[schema(value_type = i32)]
    pub status: Value,
    /// 备注.
    #[serde(default)]
    pub remark: Option<String>,
}

/// A dict-data body that passed every edge check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDictData {
    /// The type's id.
    pub type_id: i64,
    /// Label.
    pub label: String,
    /// Value.
    pub value: String,
    /// Tag colour.
    pub color: Option<String>,
    /// Sort key.
    pub sort: i32,
    /// 0/1.
    pub status: i32,
    /// Remark.
    pub remark: Option<String>,
}

impl DictDataParam {
    /// The validated entry.
    ///
    /// # Errors
    /// 422 naming every bad field.
    pub fn parse(self) -> Result<ValidDictData, AppError> {
        let mut errors = FieldErrors::new();
        let type_id = errors.take(lax_id(&body_loc("type_id"), &self.type_id));
        errors.take(check_field("label", &self.label, Some(TEXT_MAX_CHARS)));
        errors.take(check_field("value", &self.value, Some(TEXT_MAX_CHARS)));
        if let Some(color) = &self.color {
            errors.take(check_field("color", color, Some(TEXT_MAX_CHARS)));
        }
        let sort = errors.take(lax_int(
            &body_loc("sort"),
            &self.sort,
            i64::from(i32::MIN),
            i64::from(i32::MAX),
        ));
        let status = errors.take(status_type(&body_loc("status"), &self.status));
        if let Some(remark) = &self.remark {
            errors.take(check_field("remark", remark, None));
        }
        errors.finish()?;
        Ok(ValidDictData {
            type_id,
            label: self.label,
            value: self.value,
            color: self.color,
            // In range by the bounds above.
            sort: i32::try_from(sort).unwrap_or_default(),
            status,
            remark: self.remark,
        })
    }
}

/// Body of `DELETE /sys/dict-datas`: `{"pks": [ids]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeleteDictDatasParam {
    /// 字典数据 ID 列表.
    #[schema(value_type = Vec<i64>)]
    pub pks: Value,
}

impl DeleteDictDatasParam {
    /// The ids in the order given.
    ///
    /// # Errors
    /// 422 when not a list of 64-bit integers.
    pub fn parse(self) -> Result<Vec<i64>, AppError> {
        id_list("pks", &self.pks)
    }
}

validate_by_parse!(
    DictDataParam => ValidDictData,
    DeleteDictDatasParam => Vec<i64>,
);

/// Query of `GET /sys/dict-datas` as received (`page`/`size` are read by the pagination
/// extractor).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DictDataQuery {
    /// 字典类型编码: exact `type_code`.
    #[serde(default)]
    pub type_code: Option<String>,
    /// 字典数据标签: `label` LIKE `%x%`.
    #[serde(default)]
    pub label: Option<String>,
    /// 字典数据键值: `value` LIKE `%x%`.
    #[serde(default)]
    pub value: Option<String>,
    /// 状态: exact `status`.
    #[serde(default)]
    #[param(value_type = Option<i32>)]
    pub status: Option<String>,
    /// 字典类型 ID: exact `type_id`.
    #[serde(default)]
    #[param(value_type = Option<i64>)]
    pub type_id: Option<String>,
}

/// Validated filters of `GET /sys/dict-datas` (SQL wildcards in values are not escaped, as
/// FBA).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DictDataFilter {
    /// Exact `type_code`.
    pub type_code: Option<String>,
    /// `label` LIKE `%x%`.
    pub label: Option<String>,
    /// `value` LIKE `%x%`.
    pub value: Option<String>,
    /// Exact `status`.
    pub status: Option<i32>,
    /// Exact `type_id`.
    pub type_id: Option<i64>,
}

impl DictDataQuery {
    /// The validated filters (`""` means no filter).
    ///
    /// # Errors
    /// 422 naming `status` or `type_id` when not an integer, or a text holding a NUL.
    pub fn parse(self) -> Result<DictDataFilter, AppError> {
        let type_id = match self.type_id.filter(|s| !s.trim().is_empty()) {
            Some(raw) => Some(lax_id(
                &[Value::from("query"), Value::from("type_id")],
                &Value::String(raw),
            )?),
            None => None,
        };
        Ok(DictDataFilter {
            type_code: query_text("type_code", self.type_code)?,
            label: query_text("label", self.label)?,
            value: query_text("value", self.value)?,
            status: int_filter("status", self.status)?,
            type_id,
        })
    }
}

/// FBA's `GetDictDataDetail`; also what the cache stores (hence `Deserialize`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DictDataDetail {
    /// The type's id.
    pub type_id: i64,
    /// Label.
    pub label: String,
    /// Value.
    pub value: String,
    /// Tag colour.
    pub color: Option<String>,
    /// Sort key.
    pub sort: i32,
    /// 0 disabled, 1 enabled.
    pub status: i32,
    /// Remark.
    pub remark: Option<String>,
    /// Id.
    pub id: i64,
    /// The type's code.
    pub type_code: String,
    /// Creation time.
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub created_time: DateTime<Utc>,
    /// Last update.
    #[serde(with = "fba_common::datetime::option")]
    #[schema(value_type = Option<String>)]
    pub updated_time: Option<DateTime<Utc>>,
}

impl From<dict_data::Model> for DictDataDetail {
    fn from(m: dict_data::Model) -> Self {
        Self {
            type_id: m.type_id,
            label: m.label,
            value: m.value,
            color: m.color,
            sort: m.sort,
            status: m.status,
            remark: m.remark,
            id: m.id,
            type_code: m.type_code,
            created_time: m.created_time,
            updated_time: m.updated_time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(body: Value) -> Result<ValidDictData, AppError> {
        serde_json::from_value::<DictDataParam>(body)
            .unwrap()
            .parse()
    }

    #[test]
    fn ints_are_lax_and_enums_and_lengths_are_checked() {
        let ok = json!({"type_id": "3", "label": "l", "value": "v", "sort": 2.0, "status": "1"});
        let v = parse(ok.clone()).unwrap();
        assert_eq!((v.type_id, v.sort, v.status, v.color), (3, 2, 1, None));
        for (field, bad) in [
            ("type_id", json!("x")),
            ("label", json!("x".repeat(33))),
            ("value", json!("x".repeat(33))),
            ("color", json!("x".repeat(33))),
            ("sort", json!(2_147_483_648_i64)),
            ("status", json!(2)),
            ("remark", json!("\u{0}")),
        ] {
            let mut body = ok.clone();
            body[field] = bad;
            let Err(AppError::Validation(errs)) = parse(body) else {
                panic!("{field} accepted");
            };
            assert_eq!(errs[0].loc.last(), Some(&Value::from(field)));
        }
    }

    #[test]
    fn the_cached_form_reads_back_what_it_wrote() {
        let detail = DictDataDetail {
            type_id: 1,
            label: "正常".into(),
            value: "1".into(),
            color: Some("green".into()),
            sort: 2,
            status: 1,
            remark: None,
            id: 2,
            type_code: "sys_status".into(),
            created_time: DateTime::from_timestamp(1_750_000_000, 0).unwrap(),
            updated_time: None,
        };
        let text = serde_json::to_string(&detail).unwrap();
        assert_eq!(
            serde_json::from_str::<DictDataDetail>(&text).unwrap(),
            detail
        );
    }
}
