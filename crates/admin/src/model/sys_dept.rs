//! `sys_dept`: the department tree.

use sea_orm::entity::prelude::*;

/// One department.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_dept")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Department name.
    pub name: String,
    /// Sort order among siblings.
    pub sort: i32,
    /// Leader's name.
    pub leader: Option<String>,
    /// Contact phone.
    pub phone: Option<String>,
    /// Contact email.
    pub email: Option<String>,
    /// 0 disabled, 1 enabled.
    pub status: i32,
    /// Soft-delete flag.
    pub del_flag: bool,
    /// Parent department, `None` for a root.
    pub parent_id: Option<i64>,
    /// Creation time.
    pub created_time: DateTimeUtc,
    /// Last update time.
    pub updated_time: Option<DateTimeUtc>,
}

/// Logical relations of `sys_dept`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The parent department (`parent_id` → `sys_dept.id`).
    #[sea_orm(belongs_to = "Entity", from = "Column::ParentId", to = "Column::Id")]
    Parent,
    /// The users of this department (`sys_user.dept_id`).
    #[sea_orm(has_many = "super::sys_user::Entity")]
    User,
}

impl Related<super::sys_user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
