//! `sys_user`: user accounts.

use sea_orm::entity::prelude::*;

/// One user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_user")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique public identifier (a UUID string).
    #[sea_orm(unique)]
    pub uuid: String,
    /// Unique login name.
    #[sea_orm(unique)]
    pub username: String,
    /// Display name.
    pub nickname: String,
    /// bcrypt hash; `None` for accounts without a password (e.g. OAuth).
    pub password: Option<String>,
    /// The bcrypt salt, as bytes.
    #[sea_orm(column_type = "Blob")]
    pub salt: Option<Vec<u8>>,
    /// Unique email.
    #[sea_orm(unique)]
    pub email: Option<String>,
    /// Mobile phone.
    pub phone: Option<String>,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// 0 locked, 1 active.
    pub status: i32,
    /// Superuser: bypasses permission checks.
    pub is_superuser: bool,
    /// Staff: may log in to the admin back office.
    pub is_staff: bool,
    /// Whether several sessions may be logged in at once.
    pub is_multi_login: bool,
    /// Registration time.
    pub join_time: DateTimeUtc,
    /// Last login time.
    pub last_login_time: Option<DateTimeUtc>,
    /// Last password change time.
    pub last_password_changed_time: Option<DateTimeUtc>,
    /// The user's department.
    pub dept_id: Option<i64>,
    /// Creation time.
    pub created_time: DateTimeUtc,
    /// Last update time.
    pub updated_time: Option<DateTimeUtc>,
}

/// Logical relations of `sys_user`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The user's department (`dept_id` → `sys_dept.id`).
    #[sea_orm(
        belongs_to = "super::sys_dept::Entity",
        from = "Column::DeptId",
        to = "super::sys_dept::Column::Id"
    )]
    Dept,
    /// The role links of this user (`sys_user_role.user_id`).
    #[sea_orm(has_many = "super::sys_user_role::Entity")]
    UserRole,
    /// Earlier passwords of this user (`sys_user_password_history.user_id`).
    #[sea_orm(has_many = "super::sys_user_password_history::Entity")]
    PasswordHistory,
}

impl Related<super::sys_dept::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Dept.def()
    }
}

impl Related<super::sys_user_role::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserRole.def()
    }
}

impl Related<super::sys_user_password_history::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::PasswordHistory.def()
    }
}

impl Related<super::sys_role::Entity> for Entity {
    fn to() -> RelationDef {
        super::sys_user_role::Relation::Role.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::sys_user_role::Relation::User.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
