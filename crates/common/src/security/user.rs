//! The authenticated user as every crate sees it: FBA's `UserInfoWithRelation` (user, dept,
//! roles with their menus and data scopes/rules), cached as JSON in the Kv store under
//! `fba:user:{id}` and loaded through a [`UserStore`] on a cache miss.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::AppResult;

/// A menu of one of the user's roles (what RBAC and the permission codes need).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserMenu {
    /// Menu id.
    pub id: i64,
    /// `perms`: comma-separated permission codes.
    pub perms: Option<String>,
    /// 1 enabled.
    pub status: i32,
    /// Menu type (0 dir, 1 menu, 2 button, 3 embedded, 4 link).
    #[serde(rename = "type")]
    pub menu_type: i32,
}

/// A data rule (row-level permission).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserDataRule {
    /// Rule id.
    pub id: i64,
    /// Model name or `__ALL__`.
    pub model: String,
    /// Column or a template (`__dept_id__`).
    pub column: String,
    /// 0 AND, 1 OR.
    pub operator: i32,
    /// 0 `==` .. 7 `not in`.
    pub expression: i32,
    /// Value or a template (`${user_id}`).
    pub value: String,
}

/// A data scope with its rules.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserDataScope {
    /// Scope id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// 1 enabled.
    pub status: i32,
    /// Its rules.
    pub rules: Vec<UserDataRule>,
}

/// A role of the user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserRole {
    /// Role id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// 1 enabled.
    pub status: i32,
    /// Whether data scopes apply.
    pub is_filter_scopes: bool,
    /// The role's menus.
    pub menus: Vec<UserMenu>,
    /// The role's data scopes.
    pub scopes: Vec<UserDataScope>,
}

/// The user's department.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct UserDept {
    /// Dept id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// 1 enabled.
    pub status: i32,
    /// Soft-deleted.
    pub del_flag: bool,
}

/// The authenticated user with relations.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CurrentUser {
    /// User id.
    pub id: i64,
    /// Public uuid.
    pub uuid: String,
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
    /// 1 active, 0 locked.
    pub status: i32,
    /// Bypasses RBAC.
    pub is_superuser: bool,
    /// May call write APIs.
    pub is_staff: bool,
    /// May hold several sessions.
    pub is_multi_login: bool,
    /// Registration time.
    pub join_time: DateTime<Utc>,
    /// Last login.
    pub last_login_time: Option<DateTime<Utc>>,
    /// Last password change.
    pub last_password_changed_time: Option<DateTime<Utc>>,
    /// Department id.
    pub dept_id: Option<i64>,
    /// Department.
    pub dept: Option<UserDept>,
    /// Roles.
    pub roles: Vec<UserRole>,
}

impl CurrentUser {
    /// Roles with `status = 1`.
    pub fn enabled_roles(&self) -> impl Iterator<Item = &UserRole> {
        self.roles.iter().filter(|r| r.status == 1)
    }

    /// Permission codes of enabled menus of enabled roles (FBA `GET /auth/codes` for a
    /// non-superuser).
    pub fn permission_codes(&self) -> std::collections::BTreeSet<String> {
        self.enabled_roles()
            .flat_map(|r| r.menus.iter())
            .filter(|m| m.status == 1)
            .filter_map(|m| m.perms.as_deref())
            .flat_map(|p| p.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

/// What authentication and RBAC read from the database; implemented by the admin crate.
#[async_trait::async_trait]
pub trait AuthStore: Send + Sync + 'static {
    /// The user with relations, or `None` when it does not exist.
    ///
    /// # Errors
    /// A database failure.
    async fn load_user(&self, id: i64) -> AppResult<Option<CurrentUser>>;

    /// `(role id, permission code)` for every enabled menu of every enabled role: the RBAC
    /// policy.
    ///
    /// # Errors
    /// A database failure.
    async fn role_permissions(&self) -> AppResult<Vec<(i64, String)>>;
}
