//! `sys_data_rule`: one row filter (`model.column <operator> value`), grouped into data scopes.

use sea_orm::entity::prelude::*;

/// One data rule.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_data_rule")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique rule name.
    #[sea_orm(unique)]
    pub name: String,
    /// The model the rule filters (`__ALL__` for every model).
    pub model: String,
    /// The filtered column (column `column`, a reserved word that sea-query quotes).
    pub column: String,
    /// Comparison operator code.
    pub operator: i32,
    /// Expression code (how rules combine).
    pub expression: i32,
    /// The compared value, possibly a `${…}` variable (column `value`, a reserved word).
    pub value: String,
    /// Creation time.
    pub created_time: DateTimeUtc,
    /// Last update time.
    pub updated_time: Option<DateTimeUtc>,
}

/// Logical relations of `sys_data_rule`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The scope links of this rule (`sys_data_scope_rule.data_rule_id`).
    #[sea_orm(has_many = "super::sys_data_scope_rule::Entity")]
    DataScopeRule,
}

impl Related<super::sys_data_scope_rule::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DataScopeRule.def()
    }
}

impl Related<super::sys_data_scope::Entity> for Entity {
    fn to() -> RelationDef {
        super::sys_data_scope_rule::Relation::DataScope.def()
    }

    fn via() -> Option<RelationDef> {
        Some(super::sys_data_scope_rule::Relation::DataRule.def().rev())
    }
}

impl ActiveModelBehavior for ActiveModel {}
