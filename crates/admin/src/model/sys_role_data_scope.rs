//! `sys_role_data_scope`: which data scopes each role grants.

use sea_orm::entity::prelude::*;

/// One link between a role and a data scope.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_role_data_scope")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The role.
    pub role_id: i64,
    /// The data scope.
    pub data_scope_id: i64,
}

/// Logical relations of `sys_role_data_scope`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The role (`role_id` → `sys_role.id`).
    #[sea_orm(
        belongs_to = "super::sys_role::Entity",
        from = "Column::RoleId",
        to = "super::sys_role::Column::Id"
    )]
    Role,
    /// The data scope (`data_scope_id` → `sys_data_scope.id`).
    #[sea_orm(
        belongs_to = "super::sys_data_scope::Entity",
        from = "Column::DataScopeId",
        to = "super::sys_data_scope::Column::Id"
    )]
    DataScope,
}

impl Related<super::sys_role::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Role.def()
    }
}

impl Related<super::sys_data_scope::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DataScope.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
