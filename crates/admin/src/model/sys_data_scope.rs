//! `sys_data_scope`: named groups of data rules, granted to roles.

use sea_orm::entity::prelude::*;

/// One data scope.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_data_scope")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique scope name.
    #[sea_orm(unique)]
    pub name: String,
    /// 0 disabled, 1 enabled.
    pub status: i32,
    /// Creation time.
    pub created_time: DateTimeUtc,
    /// Last update time.
    pub updated_time: Option<DateTimeUtc>,
}

/// Logical relations of `sys_data_scope`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The role links of this scope (`sys_role_data_scope.data_scope_id`).
    #[sea_orm(has_many = "super::sys_role_data_scope::Entity")]
    RoleDataScope,
    /// The rule links of this scope (`sys_data_scope_rule.data_scope_id`).
    #[sea_orm(has_many = "super::sys_data_scope_rule::Entity")]
    DataScopeRule,
}

impl Related<super::sys_role_data_scope::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RoleDataScope.def()
    }
}

impl Related<super::sys_data_scope_rule::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DataScopeRule.def()
    }
}

impl Related<super::sys_role::Entity> for Entity {
    fn to() -> RelationDef {
        super::sys_role_data_scope::Relation::Role.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::sys_role_data_scope::Relation::DataScope.def().rev())
    }
}

impl Related<super::sys_data_rule::Entity> for Entity {
    fn to() -> RelationDef {
        super::sys_data_scope_rule::Relation::DataRule.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::sys_data_scope_rule::Relation::DataScope.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
