//! `sys_role`: roles, which grant menus (permissions) and data scopes to users.

use sea_orm::entity::prelude::*;

/// One role.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_role")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique role name.
    #[sea_orm(unique)]
    pub name: String,
    /// 0 disabled, 1 enabled.
    pub status: i32,
    /// Whether the role's data scopes filter queries.
    pub is_filter_scopes: bool,
    /// Remark.
    #[sea_orm(column_type = "Text", nullable)]
    pub remark: Option<String>,
    /// Creation time.
    pub created_time: DateTimeUtc,
    /// Last update time.
    pub updated_time: Option<DateTimeUtc>,
}

/// Logical relations of `sys_role`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The user links of this role (`sys_user_role.role_id`).
    #[sea_orm(has_many = "super::sys_user_role::Entity")]
    UserRole,
    /// The menu links of this role (`sys_role_menu.role_id`).
    #[sea_orm(has_many = "super::sys_role_menu::Entity")]
    RoleMenu,
    /// The data scope links of this role (`sys_role_data_scope.role_id`).
    #[sea_orm(has_many = "super::sys_role_data_scope::Entity")]
    RoleDataScope,
}

impl Related<super::sys_user_role::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::UserRole.def()
    }
}

impl Related<super::sys_role_menu::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RoleMenu.def()
    }
}

impl Related<super::sys_role_data_scope::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RoleDataScope.def()
    }
}

impl Related<super::sys_user::Entity> for Entity {
    fn to() -> RelationDef {
        super::sys_user_role::Relation::User.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::sys_user_role::Relation::Role.def().rev())
    }
}

impl Related<super::sys_menu::Entity> for Entity {
    fn to() -> RelationDef {
        super::sys_role_menu::Relation::Menu.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::sys_role_menu::Relation::Role.def().rev())
    }
}

impl Related<super::sys_data_scope::Entity> for Entity {
    fn to() -> RelationDef {
        super::sys_role_data_scope::Relation::DataScope.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::sys_role_data_scope::Relation::Role.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
