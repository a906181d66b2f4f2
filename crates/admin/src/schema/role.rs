//! Role request and response shapes: FBA's `CreateRoleParam`/`UpdateRoleParam` (validated into
//! [`ValidRole`]), the id-list bodies of `PUT /sys/roles/{pk}/menus|scopes` and the batch
//! delete, the list filters, `GetRoleDetail` ([`RoleDetail`]) and `GetRoleWithRelationDetail`
//! ([`RoleWithRelation`]).
//!
//! Limits: `name` ≤ 32 characters (`VARCHAR(32)`), `status` 0 or 1, `is_filter_scopes` a
//! boolean (default `true`), ids 64-bit; no NUL characters. Every failure is a 422 naming the
//! field.

use chrono::{DateTime, Utc};
use fba_common::extract::FieldErrors;
use fba_common::validate::{body_loc, check_text, id_list, int_filter, status_type, text_filter};
use fba_common::validate_by_parse;
use fba_common::{AppError, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::data_scope::DataScopeWithRules;
use super::menu::MenuDetail;
use crate::model::sys_role;

/// Longest role name (`sys_role.name` is `VARCHAR(32)`).
pub const NAME_MAX_CHARS: usize = 32;

fn default_true() -> Value {
    Value::Bool(true)
}

/// Body of `POST /sys/roles` and `PUT /sys/roles/{pk}` as received (FBA `RoleSchemaBase`).
/// Unknown fields are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RoleParam {
    /// Unique name.
    pub name: String,
    /// 0 disabled, 1 enabled (required).
    #[schema(value_type = i32)]
    pub status: Value,
    /// Whether the role's data scopes filter queries (default `true`).
    #[serde(default = "default_true")]
    #[schema(value_type = bool, default = true)]
    pub is_filter_scopes: Value,
    /// Remark.
    #[serde(default)]
    pub remark: Option<String>,
}

/// A role body that passed every edge check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRole {
    /// Name.
    pub name: String,
    /// 0/1.
    pub status: i32,
    /// Data-scope filtering.
    pub is_filter_scopes: bool,
    /// Remark.
    pub remark: Option<String>,
}

/// A boolean as pydantic's lax mode reads it (`true`/`false`, 0/1, and the usual strings).
fn lax_bool(field: &str, input: &Value) -> Result<bool, AppError> {
    let parsed = match input {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "t" | "yes" | "y" | "on" => Some(true),
            "0" | "false" | "f" | "no" | "n" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    };
    parsed.ok_or_else(|| {
        AppError::validation(FieldError::body("bool_type", field, input.clone(), None))
    })
}

impl RoleParam {
    /// The validated role.
    ///
    /// # Errors
    /// 422 naming every bad field.
    pub fn parse(self) -> Result<ValidRole, AppError> {
        let mut errors = FieldErrors::new();
        errors.take(check_text(
            &body_loc("name"),
            &self.name,
            Some(NAME_MAX_CHARS),
        ));
        let status = errors.take(status_type(&body_loc("status"), &self.status));
        let is_filter_scopes = errors.take(lax_bool("is_filter_scopes", &self.is_filter_scopes));
        if let Some(remark) = &self.remark {
            errors.take(check_text(&body_loc("remark"), remark, None));
        }
        errors.finish()?;
        Ok(ValidRole {
            name: self.name,
            status,
            is_filter_scopes,
            remark: self.remark,
        })
    }
}

/// Body of `PUT /sys/roles/{pk}/menus`: `{"menus": [ids]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RoleMenusParam {
    /// Menu ids (checked and half-checked tree nodes).
    #[schema(value_type = Vec<i64>)]
    pub menus: Value,
}

impl RoleMenusParam {
    /// The ids in the order given.
    ///
    /// # Errors
    /// 422 when not a list of 64-bit integers.
    pub fn parse(self) -> Result<Vec<i64>, AppError> {
        id_list("menus", &self.menus)
    }
}

/// Body of `PUT /sys/roles/{pk}/scopes`: `{"scopes": [ids]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RoleScopesParam {
    /// Data-scope ids.
    #[schema(value_type = Vec<i64>)]
    pub scopes: Value,
}

impl RoleScopesParam {
    /// The ids in the order given.
    ///
    /// # Errors
    /// 422 when not a list of 64-bit integers.
    pub fn parse(self) -> Result<Vec<i64>, AppError> {
        id_list("scopes", &self.scopes)
    }
}

/// Body of `DELETE /sys/roles`: `{"pks": [ids]}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeleteRolesParam {
    /// Role ids.
    #[schema(value_type = Vec<i64>)]
    pub pks: Value,
}

impl DeleteRolesParam {
    /// The ids in the order given.
    ///
    /// # Errors
    /// 422 when not a list of 64-bit integers.
    pub fn parse(self) -> Result<Vec<i64>, AppError> {
        id_list("pks", &self.pks)
    }
}

validate_by_parse!(
    RoleParam => ValidRole,
    RoleMenusParam => Vec<i64>,
    RoleScopesParam => Vec<i64>,
    DeleteRolesParam => Vec<i64>,
);

/// Query of `GET /sys/roles` as received (`page`/`size` are read by the pagination extractor).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoleQuery {
    /// `name` LIKE `%x%`.
    #[serde(default)]
    pub name: Option<String>,
    /// Exact `status`.
    #[serde(default)]
    #[param(value_type = Option<i32>)]
    pub status: Option<String>,
}

/// Validated filters of `GET /sys/roles`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleFilter {
    /// `name` LIKE `%x%` (SQL wildcards in the value are not escaped, as FBA).
    pub name: Option<String>,
    /// Exact `status`.
    pub status: Option<i32>,
}

impl RoleQuery {
    /// The validated filters (`""` means no filter).
    ///
    /// # Errors
    /// 422 naming `status` when it is not an integer.
    pub fn parse(self) -> Result<RoleFilter, AppError> {
        Ok(RoleFilter {
            name: text_filter(self.name),
            status: int_filter("status", self.status)?,
        })
    }
}

/// FBA's `GetRoleDetail`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RoleDetail {
    /// Name.
    pub name: String,
    /// 0/1.
    pub status: i32,
    /// Data-scope filtering.
    pub is_filter_scopes: bool,
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

impl From<sys_role::Model> for RoleDetail {
    fn from(r: sys_role::Model) -> Self {
        Self {
            name: r.name,
            status: r.status,
            is_filter_scopes: r.is_filter_scopes,
            remark: r.remark,
            id: r.id,
            created_time: r.created_time,
            updated_time: r.updated_time,
        }
    }
}

/// FBA's `GetRoleWithRelationDetail`: the role, its menus and its data scopes.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct RoleWithRelation {
    /// The role.
    #[serde(flatten)]
    pub role: RoleDetail,
    /// Its menus (id order).
    pub menus: Vec<MenuDetail>,
    /// Its data scopes with their rules (id order).
    pub scopes: Vec<DataScopeWithRules>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn role_body_defaults_and_limits() {
        let ok: RoleParam = serde_json::from_value(json!({"name": "r", "status": 1})).unwrap();
        let v = ok.parse().unwrap();
        assert!(v.is_filter_scopes);
        let null_flag: RoleParam =
            serde_json::from_value(json!({"name": "r", "status": 1, "is_filter_scopes": null}))
                .unwrap();
        assert!(null_flag.parse().is_err());
        let long: RoleParam =
            serde_json::from_value(json!({"name": "x".repeat(33), "status": 1})).unwrap();
        assert!(long.parse().is_err());
        let bad_status: RoleParam =
            serde_json::from_value(json!({"name": "r", "status": 3})).unwrap();
        assert!(bad_status.parse().is_err());
    }
}
