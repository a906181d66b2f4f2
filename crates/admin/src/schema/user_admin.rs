//! Request and response shapes of the user-management routes (`/api/v1/sys/users`, except the
//! current user's `/me*` routes): FBA's `AddUserParam` ([`AddUserParam`] → [`ValidNewUser`]),
//! `UpdateUserParam` ([`UpdateUserParam`] → [`ValidUserUpdate`]), the `{"password"}` body of a
//! reset, the `type` of a permission toggle, the list filters, and the reply
//! `GetUserInfoWithRelationDetail` ([`UserWithRelation`]).
//!
//! Limits are the `sys_user` column sizes (username and nickname 64, email and avatar 256
//! characters), FBA's phone pattern `^1[3-9]\d{9}$`, 64-bit ids, and bcrypt's 72 bytes for a new
//! user's password. Text with a NUL character is refused. Every failure is a 422 naming the
//! field; deeper code never re-checks.

use fba_common::extract::FieldErrors;
use fba_common::validate::{
    body_loc, check_text, id_list, int_filter, lax_id, lax_int, text_filter,
};
use fba_common::validate_by_parse;
use fba_common::{AppError, FieldError};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};

use super::dept::DeptDetail;
use super::role::RoleWithRelation;
use super::user::UserInfo;
use super::user_me::{AvatarParam, EmailParam, PASSWORD_FIELD_MAX_CHARS};
use crate::error::AdminError;

/// Longest username (`sys_user.username` is `VARCHAR(64)`).
pub const USERNAME_MAX_CHARS: usize = 64;
/// Longest nickname (`sys_user.nickname` is `VARCHAR(64)`).
pub const NICKNAME_MAX_CHARS: usize = 64;
/// bcrypt uses at most 72 bytes of a password; a longer one is refused rather than truncated.
pub const PASSWORD_MAX_BYTES: usize = 72;
pub use super::phone::PHONE_PATTERN;
use super::phone::check_phone;

/// serde helper: a field that is present (even as `null`) becomes `Some(value)`; an absent one
/// stays `None` through `#[serde(default)]`. Tells "leave unchanged" from "set to null".
fn present<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(d).map(Some)
}

/// FBA's `CustomEmailStr`: `""` is no address; anything else must be an e-mail address that
/// fits `sys_user.email` (normalised as `PUT /me/email` does, domain lower-cased).
fn parse_email(email: Option<String>) -> Result<Option<String>, AppError> {
    match email.filter(|e| !e.is_empty()) {
        None => Ok(None),
        Some(email) => {
            let change = EmailParam {
                captcha: String::new(),
                email,
            }
            .parse()?;
            Ok(Some(change.email.as_str().to_owned()))
        }
    }
}

/// An avatar: `""` is none; otherwise an absolute http(s) URL or a server path starting with
/// `/` (as `PUT /me/avatar` accepts), at most 256 characters.
fn parse_avatar(avatar: Option<String>) -> Result<Option<String>, AppError> {
    match avatar.filter(|a| !a.is_empty()) {
        None => Ok(None),
        Some(avatar) => Ok(Some(AvatarParam { avatar }.parse()?.as_str().to_owned())),
    }
}

fn parse_phone(phone: Option<String>) -> Result<Option<String>, AppError> {
    match phone {
        None => Ok(None),
        Some(phone) => {
            check_phone(&phone)?;
            Ok(Some(phone))
        }
    }
}

// ---------------------------------------------------------------------------------------------
// POST /sys/users
// ---------------------------------------------------------------------------------------------

/// Body of `POST /sys/users` as received (FBA `AddUserParam`). Unknown fields are ignored.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AddUserParam {
    /// Login name (unique).
    pub username: String,
    /// Initial password (no policy check on create, as FBA).
    pub password: String,
    /// Display name; the username when absent or empty.
    #[serde(default)]
    pub nickname: Option<String>,
    /// E-mail; `""` means none.
    #[serde(default)]
    pub email: Option<String>,
    /// Mobile phone matching `^1[3-9]\d{9}$`.
    #[serde(default)]
    pub phone: Option<String>,
    /// Department id (required).
    #[schema(value_type = i64)]
    pub dept_id: Value,
    /// Role ids (required, may be empty).
    #[schema(value_type = Vec<i64>)]
    pub roles: Value,
}

/// A new user that passed every edge check.
#[derive(Clone, PartialEq, Eq)]
pub struct ValidNewUser {
    /// Login name.
    pub username: String,
    /// Plain password (may be empty: the service answers FBA's 400 `密码不允许为空`).
    pub password: String,
    /// Display name (already defaulted to the username).
    pub nickname: String,
    /// Normalised e-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Department id.
    pub dept_id: i64,
    /// Role ids in the order given.
    pub roles: Vec<i64>,
}

impl std::fmt::Debug for ValidNewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidNewUser")
            .field("username", &self.username)
            .field("dept_id", &self.dept_id)
            .field("roles", &self.roles)
            .finish_non_exhaustive()
    }
}

impl AddUserParam {
    /// The validated new user.
    ///
    /// # Errors
    /// 422 naming every bad field (in FBA's field order).
    pub fn parse(self) -> Result<ValidNewUser, AppError> {
        let mut errors = FieldErrors::new();
        errors.take(check_text(
            &body_loc("username"),
            &self.username,
            Some(USERNAME_MAX_CHARS),
        ));
        let password_ok =
            errors.take(check_text(&body_loc("password"), &self.password, None).map(|()| true));
        if password_ok && self.password.len() > PASSWORD_MAX_BYTES {
            let error = format!("the password must not exceed {PASSWORD_MAX_BYTES} bytes");
            // The input is masked: a password is never echoed back.
            errors.push(FieldError::body(
                "value_error",
                "password",
                Value::String("**********".to_owned()),
                Some(json!({ "error": error })),
            ));
        }
        let nickname = match self.nickname.filter(|n| !n.is_empty()) {
            Some(n) => {
                errors.take(check_text(
                    &body_loc("nickname"),
                    &n,
                    Some(NICKNAME_MAX_CHARS),
                ));
                n
            }
            None => self.username.clone(),
        };
        let email = errors.take(parse_email(self.email));
        let phone = errors.take(parse_phone(self.phone));
        let dept_id = errors.take(lax_id(&body_loc("dept_id"), &self.dept_id));
        let roles = errors.take(id_list("roles", &self.roles));
        errors.finish()?;
        Ok(ValidNewUser {
            username: self.username,
            password: self.password,
            nickname,
            email,
            phone,
            dept_id,
            roles,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// PUT /sys/users/{pk}
// ---------------------------------------------------------------------------------------------

/// Body of `PUT /sys/users/{pk}` as received (FBA `UpdateUserParam`). An optional field that is
/// absent leaves the column unchanged; `null` clears it (FBA's `exclude_unset` update).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct UpdateUserParam {
    /// Department id.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub dept_id: Option<Value>,
    /// Login name (required).
    pub username: String,
    /// Display name (required).
    pub nickname: String,
    /// Avatar location.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub avatar: Option<Option<String>>,
    /// E-mail; `""` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    /// Phone.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    /// Role ids (required): they replace the user's roles.
    #[schema(value_type = Vec<i64>)]
    pub roles: Value,
}

/// A user update that passed every edge check. For the optional columns, `None` means leave
/// unchanged and `Some(None)` means set to `NULL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidUserUpdate {
    /// Department id.
    pub dept_id: Option<Option<i64>>,
    /// Login name.
    pub username: String,
    /// Display name.
    pub nickname: String,
    /// Avatar.
    pub avatar: Option<Option<String>>,
    /// Normalised e-mail.
    pub email: Option<Option<String>>,
    /// Phone.
    pub phone: Option<Option<String>>,
    /// Role ids in the order given.
    pub roles: Vec<i64>,
}

impl UpdateUserParam {
    /// The validated update.
    ///
    /// # Errors
    /// 422 naming every bad field (in FBA's field order).
    pub fn parse(self) -> Result<ValidUserUpdate, AppError> {
        let mut errors = FieldErrors::new();
        let dept_id = match &self.dept_id {
            None => None,
            Some(Value::Null) => Some(None),
            Some(v) => Some(Some(errors.take(lax_id(&body_loc("dept_id"), v)))),
        };
        errors.take(check_text(
            &body_loc("username"),
            &self.username,
            Some(USERNAME_MAX_CHARS),
        ));
        errors.take(check_text(
            &body_loc("nickname"),
            &self.nickname,
            Some(NICKNAME_MAX_CHARS),
        ));
        let avatar = errors.take(self.avatar.map(parse_avatar).transpose());
        let email = errors.take(self.email.map(parse_email).transpose());
        let phone = errors.take(self.phone.map(parse_phone).transpose());
        let roles = errors.take(id_list("roles", &self.roles));
        errors.finish()?;
        Ok(ValidUserUpdate {
            dept_id,
            username: self.username,
            nickname: self.nickname,
            avatar,
            email,
            phone,
            roles,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// PUT /sys/users/{pk}/password, PUT /sys/users/{pk}/permissions
// ---------------------------------------------------------------------------------------------

/// Body of `PUT /sys/users/{pk}/password`: `{"password"}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ResetPasswordParam {
    /// The new password (the password policy is applied by the service).
    pub password: String,
}

/// A new password without NUL characters or absurd lengths; the policy comes later.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl NewPassword {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

impl ResetPasswordParam {
    /// The password.
    ///
    /// # Errors
    /// 422 naming `password` when it holds a NUL character or is absurdly long.
    pub fn parse(self) -> Result<NewPassword, AppError> {
        check_text(
            &body_loc("password"),
            &self.password,
            Some(PASSWORD_FIELD_MAX_CHARS),
        )?;
        Ok(NewPassword(self.password))
    }
}

validate_by_parse!(
    AddUserParam => ValidNewUser,
    UpdateUserParam => ValidUserUpdate,
    ResetPasswordParam => NewPassword,
);

/// Query of `PUT /sys/users/{pk}/permissions`: `?type=superuser|staff|status|multi_login`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PermissionQuery {
    /// The flag to toggle (required).
    #[serde(rename = "type")]
    pub kind: String,
}

/// The per-user flag a permission toggle flips (FBA `UserPermissionType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermissionType {
    /// `is_superuser`.
    Superuser,
    /// `is_staff`.
    Staff,
    /// `status` 1 ↔ 0.
    Status,
    /// `is_multi_login`.
    MultiLogin,
}

impl PermissionQuery {
    /// The flag.
    ///
    /// # Errors
    /// 400 `权限类型不存在` for any other value.
    pub fn parse(self) -> Result<PermissionType, AppError> {
        match self.kind.as_str() {
            "superuser" => Ok(PermissionType::Superuser),
            "staff" => Ok(PermissionType::Staff),
            "status" => Ok(PermissionType::Status),
            "multi_login" => Ok(PermissionType::MultiLogin),
            _ => Err(AdminError::PermissionTypeUnknown.into()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// GET /sys/users
// ---------------------------------------------------------------------------------------------

/// Query of `GET /sys/users` as received (`page`/`size` are read by the pagination extractor).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// Exact `dept_id` (0 or empty: no filter, as FBA's `if dept:`).
    #[serde(default)]
    #[param(value_type = Option<i64>)]
    pub dept: Option<String>,
    /// `username` LIKE `%x%`.
    #[serde(default)]
    pub username: Option<String>,
    /// `phone` LIKE `%x%`.
    #[serde(default)]
    pub phone: Option<String>,
    /// Exact `status`.
    #[serde(default)]
    #[param(value_type = Option<i32>)]
    pub status: Option<String>,
}

/// Validated filters of `GET /sys/users`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Exact `dept_id`.
    pub dept: Option<i64>,
    /// `username` LIKE `%x%` (SQL wildcards in the value are not escaped, as FBA).
    pub username: Option<String>,
    /// `phone` LIKE `%x%`.
    pub phone: Option<String>,
    /// Exact `status`.
    pub status: Option<i32>,
}

fn query_loc(name: &str) -> Vec<Value> {
    vec![Value::from("query"), Value::from(name)]
}

fn like_filter(name: &str, raw: Option<String>) -> Result<Option<String>, AppError> {
    let value = text_filter(raw);
    if let Some(v) = &value {
        check_text(&query_loc(name), v, None)?;
    }
    Ok(value)
}

impl UserQuery {
    /// The validated filters (`""` means no filter).
    ///
    /// # Errors
    /// 422 naming `dept` or `status` when not an integer, or a text filter holding a NUL.
    pub fn parse(self) -> Result<UserFilter, AppError> {
        let dept = match self.dept.filter(|d| !d.trim().is_empty()) {
            None => None,
            Some(raw) => {
                let id = lax_int(&query_loc("dept"), &Value::String(raw), i64::MIN, i64::MAX)?;
                (id != 0).then_some(id)
            }
        };
        Ok(UserFilter {
            dept,
            username: like_filter("username", self.username)?,
            phone: like_filter("phone", self.phone)?,
            status: int_filter("status", self.status)?,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

/// FBA's `GetUserInfoWithRelationDetail`: `UserInfo` + the dept object + the roles (with their
/// menus and data scopes on a detail, with `menus: []` and `scopes: []` in the list).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserWithRelation {
    /// The user.
    #[serde(flatten)]
    pub user: UserInfo,
    /// Department.
    pub dept: Option<DeptDetail>,
    /// Roles (id order).
    pub roles: Vec<RoleWithRelation>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc_of(e: AppError) -> Value {
        match e {
            AppError::Validation(errs) => Value::Array(errs[0].loc.clone()),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn add(body: Value) -> Result<ValidNewUser, AppError> {
        serde_json::from_value::<AddUserParam>(body)
            .unwrap()
            .parse()
    }

    #[test]
    fn new_user_defaults_and_limits() {
        let ok = add(
            json!({"username": "u", "password": "p", "email": "", "dept_id": "1", "roles": [1]}),
        )
        .unwrap();
        assert_eq!(ok.nickname, "u");
        assert_eq!(ok.email, None);
        assert_eq!(ok.dept_id, 1);
        let base = json!({"username": "u", "password": "p", "dept_id": 1, "roles": []});
        for (field, value) in [
            ("username", json!("x".repeat(65))),
            ("username", json!("a\u{0}b")),
            ("nickname", json!("x".repeat(65))),
            ("phone", json!("12345678901")),
            ("phone", json!("1381234567")),
            ("email", json!("nope")),
            ("dept_id", json!("9223372036854775808")),
            ("dept_id", json!(null)),
            ("password", json!("x".repeat(73))),
        ] {
            let mut body = base.clone();
            body[field] = value;
            assert_eq!(loc_of(add(body).unwrap_err()), json!(["body", field]));
        }
        let mut body = base.clone();
        body["roles"] = json!([1, 18446744073709551615u64]);
        assert_eq!(loc_of(add(body).unwrap_err()), json!(["body", "roles", 1]));
        assert!(check_phone("13812345678").is_ok());
    }

    #[test]
    fn update_tells_absent_from_null() {
        let p: UpdateUserParam = serde_json::from_value(
            json!({"username": "u", "nickname": "n", "email": null, "dept_id": null, "roles": []}),
        )
        .unwrap();
        let v = p.parse().unwrap();
        assert_eq!(v.email, Some(None));
        assert_eq!(v.dept_id, Some(None));
        assert_eq!(v.phone, None);
        assert_eq!(v.avatar, None);
    }

    #[test]
    fn filters_and_permission_types() {
        let f = UserQuery {
            dept: Some("0".into()),
            username: Some(String::new()),
            phone: Some("138".into()),
            status: Some("1".into()),
        }
        .parse()
        .unwrap();
        assert_eq!(f.dept, None);
        assert_eq!(f.username, None);
        assert_eq!(f.phone.as_deref(), Some("138"));
        assert_eq!(f.status, Some(1));
        assert!(
            UserQuery {
                dept: Some("x".into()),
                ..Default::default()
            }
            .parse()
            .is_err()
        );
        assert_eq!(
            PermissionQuery {
                kind: "multi_login".into()
            }
            .parse()
            .unwrap(),
            PermissionType::MultiLogin
        );
        assert!(matches!(
            PermissionQuery { kind: "x".into() }.parse(),
            Err(AppError::BadRequest(_))
        ));
    }
}
