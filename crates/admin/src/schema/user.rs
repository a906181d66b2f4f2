//! User response shapes: FBA's `GetUserInfoDetail` (`UserInfo`) and `GetCurrentUserInfoDetail`.

use chrono::{DateTime, Utc};
use fba_common::security::CurrentUser;
use serde::Serialize;

use crate::model::sys_user;

/// FBA's `UserInfo`.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserInfo {
    /// Department id.
    pub dept_id: Option<i64>,
    /// Login name.
    pub username: String,
    /// Display name.
    pub nickname: String,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// User id.
    pub id: i64,
    /// Public uuid.
    pub uuid: String,
    /// 1 active, 0 locked.
    pub status: i32,
    /// Superuser flag.
    pub is_superuser: bool,
    /// Staff flag.
    pub is_staff: bool,
    /// Multi-login flag.
    pub is_multi_login: bool,
    /// Registration time (`YYYY-MM-DD HH:MM:SS`).
    #[serde(with = "fba_common::datetime")]
    #[schema(value_type = String)]
    pub join_time: DateTime<Utc>,
    /// Last login (`YYYY-MM-DD HH:MM:SS`).
    #[serde(with = "fba_common::datetime::option")]
    #[schema(value_type = Option<String>)]
    pub last_login_time: Option<DateTime<Utc>>,
}

impl From<&sys_user::Model> for UserInfo {
    fn from(u: &sys_user::Model) -> Self {
        Self {
            dept_id: u.dept_id,
            username: u.username.clone(),
            nickname: u.nickname.clone(),
            avatar: u.avatar.clone(),
            email: u.email.clone(),
            phone: u.phone.clone(),
            id: u.id,
            uuid: u.uuid.clone(),
            status: u.status,
            is_superuser: u.is_superuser,
            is_staff: u.is_staff,
            is_multi_login: u.is_multi_login,
            join_time: u.join_time,
            last_login_time: u.last_login_time,
        }
    }
}

impl From<&CurrentUser> for UserInfo {
    fn from(u: &CurrentUser) -> Self {
        Self {
            dept_id: u.dept_id,
            username: u.username.clone(),
            nickname: u.nickname.clone(),
            avatar: u.avatar.clone(),
            email: u.email.clone(),
            phone: u.phone.clone(),
            id: u.id,
            uuid: u.uuid.clone(),
            status: u.status,
            is_superuser: u.is_superuser,
            is_staff: u.is_staff,
            is_multi_login: u.is_multi_login,
            join_time: u.join_time,
            last_login_time: u.last_login_time,
        }
    }
}

/// FBA's `CurrentUserInfo`: `UserInfo` + the dept's name + the role names.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CurrentUserInfo {
    /// The user.
    #[serde(flatten)]
    pub user: UserInfo,
    /// Department name.
    pub dept: Option<String>,
    /// Role names.
    pub roles: Vec<String>,
}

impl From<&CurrentUser> for CurrentUserInfo {
    fn from(u: &CurrentUser) -> Self {
        Self {
            user: UserInfo::from(u),
            dept: u.dept.as_ref().map(|d| d.name.clone()),
            roles: u.roles.iter().map(|r| r.name.clone()).collect(),
        }
    }
}
