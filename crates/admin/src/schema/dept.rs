//! Department request and response shapes: FBA's `CreateDeptParam`/`UpdateDeptParam`
//! (validated here into [`ValidDept`]), the tree filters of `GET /sys/depts`, `GetDeptDetail`
//! ([`DeptDetail`]) and `GetDeptTree` ([`DeptTree`], leaves carry `"children": null`).
//!
//! Limits are the `sys_dept` column sizes (name 64, leader 32, email 64 characters); `phone`
//! must match FBA's `^1[3-9]\d{9}$`; `email` must be an address (`""` means none, as FBA's
//! `CustomEmailStr`); `sort` is `0..=2^31-1`; `status` 0 or 1; ids 64-bit. Text with a NUL
//! character is refused. Every failure is a 422 naming the field.

use chrono::{DateTime, Utc};
use fba_common::extract::FieldErrors;
use fba_common::validate::{body_loc, check_text, int_filter, lax_int, lax_opt_id, status_type};
use fba_common::validate_by_parse;
use fba_common::{AppError, FieldError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::phone::check_phone;
use super::user_me::normalise_email;
use crate::model::sys_dept;

/// Longest `name` (`VARCHAR(64)`).
pub const NAME_MAX_CHARS: usize = 64;
/// Longest `leader` (`VARCHAR(32)`).
pub const LEADER_MAX_CHARS: usize = 32;
/// Longest `email` (`VARCHAR(64)`).
pub const EMAIL_MAX_CHARS: usize = 64;
/// FBA's `CustomPhoneNumber` pattern.
pub use super::phone::PHONE_PATTERN;

/// Body of `POST /sys/depts` and `PUT /sys/depts/{pk}` as received (FBA `DeptSchemaBase`);
/// integers are kept raw and checked by [`DeptParam::parse`]. Unknown fields are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct DeptParam {
    /// Name (unique among departments that are not deleted).
    pub name: String,
    /// Parent department id.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<Value>,
    /// Sort order (≥ 0, default 0).
    #[serde(default)]
    #[schema(value_type = Option<i32>)]
    pub sort: Option<Value>,
    /// Leader's name.
    #[serde(default)]
    pub leader: Option<String>,
    /// Contact phone (`^1[3-9]\d{9}$`).
    #[serde(default)]
    pub phone: Option<String>,
    /// Contact e-mail (`""` means none).
    #[serde(default)]
    pub email: Option<String>,
    /// 0 disabled, 1 enabled (required).
    #[schema(value_type = i32)]
    pub status: Value,
}

/// A department body that passed every edge check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDept {
    /// Name.
    pub name: String,
    /// Parent id.
    pub parent_id: Option<i64>,
    /// Sort order.
    pub sort: i32,
    /// Leader.
    pub leader: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail (normalised: domain lower-cased).
    pub email: Option<String>,
    /// 0/1.
    pub status: i32,
}

fn opt_text(field: &str, value: Option<&String>, max: usize) -> Result<(), AppError> {
    match value {
        Some(v) => check_text(&body_loc(field), v, Some(max)),
        None => Ok(()),
    }
}

impl DeptParam {
    /// The validated department.
    ///
    /// # Errors
    /// 422 naming every field that is too long, holds a NUL, is out of range, does not match
    /// its pattern or is not an allowed value.
    pub fn parse(self) -> Result<ValidDept, AppError> {
        let mut errors = FieldErrors::new();
        errors.take(check_text(
            &body_loc("name"),
            &self.name,
            Some(NAME_MAX_CHARS),
        ));
        let parent_id = errors.take(lax_opt_id(&body_loc("parent_id"), self.parent_id.as_ref()));
        // Absent (or `null`) → 0.
        let sort = match &self.sort {
            None => 0,
            Some(v) => errors.take(lax_int(&body_loc("sort"), v, 0, i64::from(i32::MAX))),
        };
        errors.take(opt_text("leader", self.leader.as_ref(), LEADER_MAX_CHARS));
        if let Some(phone) = &self.phone {
            errors.take(check_phone(phone));
        }
        let email = match self.email.as_deref() {
            None | Some("") => None,
            Some(raw) => errors.take(
                check_text(&body_loc("email"), raw, Some(EMAIL_MAX_CHARS)).and_then(|()| {
                    normalise_email(raw).map(Some).ok_or_else(|| {
                        AppError::validation(FieldError::body(
                            "value_error",
                            "email",
                            Value::String(raw.to_owned()),
                            Some(json!({ "error": "value is not a valid email address" })),
                        ))
                    })
                }),
            ),
        };
        let status = errors.take(status_type(&body_loc("status"), &self.status));
        errors.finish()?;
        Ok(ValidDept {
            name: self.name,
            parent_id,
            // In range by the bounds above.
            sort: i32::try_from(sort).unwrap_or(i32::MAX),
            leader: self.leader,
            phone: self.phone,
            email,
            status,
        })
    }
}

validate_by_parse!(DeptParam => ValidDept);

/// Query of `GET /sys/depts` as received.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeptQuery {
    /// `name` LIKE `%x%`.
    #[serde(default)]
    pub name: Option<String>,
    /// `leader` LIKE `%x%`.
    #[serde(default)]
    pub leader: Option<String>,
    /// `phone` LIKE `x%`.
    #[serde(default)]
    pub phone: Option<String>,
    /// Exact `status`.
    #[serde(default)]
    #[param(value_type = Option<i32>)]
    pub status: Option<String>,
}

/// Validated filters of `GET /sys/depts`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeptFilter {
    /// `name` LIKE `%x%` (SQL wildcards in the value are not escaped, as FBA).
    pub name: Option<String>,
    /// `leader` LIKE `%x%`.
    pub leader: Option<String>,
    /// `phone` LIKE `x%` (FBA's `startswith`).
    pub phone: Option<String>,
    /// Exact `status`.
    pub status: Option<i32>,
}

/// A text filter: absent or `""` (what the UI sends for an emptied field) means no filter.
fn text_query(name: &str, raw: Option<String>) -> Result<Option<String>, AppError> {
    match raw.filter(|s| !s.is_empty()) {
        Some(v) => {
            check_text(&[Value::from("query"), Value::from(name)], &v, None)?;
            Ok(Some(v))
        }
        None => Ok(None),
    }
}

impl DeptQuery {
    /// The validated filters (`""` means no filter).
    ///
    /// # Errors
    /// 422 naming `status` when it is not an integer, or a text filter holding a NUL.
    pub fn parse(self) -> Result<DeptFilter, AppError> {
        Ok(DeptFilter {
            name: text_query("name", self.name)?,
            leader: text_query("leader", self.leader)?,
            phone: text_query("phone", self.phone)?,
            status: int_filter("status", self.status)?,
        })
    }
}

/// FBA's `GetDeptDetail` (`YYYY-MM-DD HH:MM:SS` datetimes).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DeptDetail {
    /// Name.
    pub name: String,
    /// Parent id.
    pub parent_id: Option<i64>,
    /// Sort order.
    pub sort: i32,
    /// Leader.
    pub leader: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// 0/1.
    pub status: i32,
    /// Id.
    pub id: i64,
    /// Soft-deleted (always `false` in answers: deleted departments are not shown).
    pub del_flag: bool,
    /// Creation time.
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub created_time: DateTime<Utc>,
    /// Last update.
    #[serde(with = "fba_common::datetime::option")]
    #[schema(value_type = Option<String>)]
    pub updated_time: Option<DateTime<Utc>>,
}

impl From<sys_dept::Model> for DeptDetail {
    fn from(d: sys_dept::Model) -> Self {
        Self {
            name: d.name,
            parent_id: d.parent_id,
            sort: d.sort,
            leader: d.leader,
            phone: d.phone,
            email: d.email,
            status: d.status,
            id: d.id,
            del_flag: d.del_flag,
            created_time: d.created_time,
            updated_time: d.updated_time,
        }
    }
}

/// FBA's `GetDeptTree`: a department and its children (`null` on leaves).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DeptTree {
    /// The department.
    #[serde(flatten)]
    pub dept: DeptDetail,
    /// Child departments in `sort` order, `None` (JSON `null`) for a leaf.
    #[schema(no_recursion)]
    pub children: Option<Vec<DeptTree>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: Value) -> Result<ValidDept, AppError> {
        serde_json::from_value::<DeptParam>(body).unwrap().parse()
    }

    fn field_of(err: AppError) -> (String, Value) {
        let AppError::Validation(errs) = err else {
            panic!("expected a validation error");
        };
        (errs[0].kind.clone(), errs[0].loc.last().cloned().unwrap())
    }

    #[test]
    fn defaults_and_normalisation() {
        let v =
            parse(json!({"name": "d", "status": 1, "email": "", "phone": "13800138000"})).unwrap();
        assert_eq!(v.sort, 0);
        assert_eq!(v.email, None);
        assert_eq!(v.phone.as_deref(), Some("13800138000"));
        let v = parse(json!({"name": "d", "status": "0", "email": "A@Example.COM", "sort": "3", "parent_id": "7"}))
            .unwrap();
        assert_eq!(
            (v.status, v.sort, v.parent_id, v.email.as_deref()),
            (0, 3, Some(7), Some("A@example.com"))
        );
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases = [
            (
                json!({"name": "x".repeat(65), "status": 1}),
                "string_too_long",
                "name",
            ),
            (
                json!({"name": "a\u{0}b", "status": 1}),
                "value_error",
                "name",
            ),
            (json!({"name": "d", "status": 2}), "enum", "status"),
            (
                json!({"name": "d", "status": 1, "sort": -1}),
                "greater_than_equal",
                "sort",
            ),
            (
                json!({"name": "d", "status": 1, "sort": 2_147_483_648_i64}),
                "less_than_equal",
                "sort",
            ),
            (
                json!({"name": "d", "status": 1, "parent_id": "9223372036854775808"}),
                "less_than_equal",
                "parent_id",
            ),
            (
                json!({"name": "d", "status": 1, "leader": "x".repeat(33)}),
                "string_too_long",
                "leader",
            ),
            (
                json!({"name": "d", "status": 1, "phone": "12345"}),
                "string_pattern_mismatch",
                "phone",
            ),
            (
                json!({"name": "d", "status": 1, "phone": ""}),
                "string_pattern_mismatch",
                "phone",
            ),
            (
                json!({"name": "d", "status": 1, "email": "nope"}),
                "value_error",
                "email",
            ),
            (
                json!({"name": "d", "status": 1, "email": format!("{}@example.com", "a".repeat(60))}),
                "string_too_long",
                "email",
            ),
        ];
        for (body, kind, field) in cases {
            let (k, f) = field_of(parse(body.clone()).unwrap_err());
            assert_eq!((k.as_str(), f), (kind, Value::from(field)), "{body}");
        }
    }

    #[test]
    fn empty_filters_mean_no_filter() {
        let q = DeptQuery {
            name: Some(String::new()),
            leader: Some("bo".into()),
            phone: None,
            status: Some(String::new()),
        };
        assert_eq!(
            q.parse().unwrap(),
            DeptFilter {
                leader: Some("bo".into()),
                ..DeptFilter::default()
            }
        );
        let bad = DeptQuery {
            status: Some("x".into()),
            ..DeptQuery::default()
        };
        assert!(bad.parse().is_err());
    }
}
