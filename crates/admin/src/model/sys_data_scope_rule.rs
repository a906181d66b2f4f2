//! `sys_data_scope_rule`: which data rules each data scope contains.

use sea_orm::entity::prelude::*;

/// One link between a data scope and a data rule.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_data_scope_rule")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The data scope.
    pub data_scope_id: i64,
    /// The data rule.
    pub data_rule_id: i64,
}

/// Logical relations of `sys_data_scope_rule`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The data scope (`data_scope_id` → `sys_data_scope.id`).
    #[sea_orm(
        belongs_to = "super::sys_data_scope::Entity",
        from = "Column::DataScopeId",
        to = "super::sys_data_scope::Column::Id"
    )]
    DataScope,
    /// The data rule (`data_rule_id` → `sys_data_rule.id`).
    #[sea_orm(
        belongs_to = "super::sys_data_rule::Entity",
        from = "Column::DataRuleId",
        to = "super::sys_data_rule::Column::Id"
    )]
    DataRule,
}

impl Related<super::sys_data_scope::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DataScope.def()
    }
}

impl Related<super::sys_data_rule::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DataRule.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
