//! `sys_user_password_history`: earlier password hashes of each user.

use sea_orm::entity::prelude::*;

/// One former password of a user.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_user_password_history")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The user.
    pub user_id: i64,
    /// The former bcrypt hash.
    pub password: String,
    /// When the password was recorded.
    pub created_time: DateTimeUtc,
}

/// Logical relations of `sys_user_password_history`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The user (`user_id` → `sys_user.id`).
    #[sea_orm(
        belongs_to = "super::sys_user::Entity",
        from = "Column::UserId",
        to = "super::sys_user::Column::Id"
    )]
    User,
}

impl Related<super::sys_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
