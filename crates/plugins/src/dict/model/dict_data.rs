//! `sys_dict_data`: one entry of a dictionary (FBA's `DictData`), linked to its type by
//! `type_id` and carrying the type's `type_code` at the time it was written.

use sea_orm::entity::prelude::*;

/// One dictionary entry.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_dict_data")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The type's code (`VARCHAR(32)`).
    pub type_code: String,
    /// Label shown in the UI (`VARCHAR(32)`).
    pub label: String,
    /// Value the UI compares with (`VARCHAR(32)`).
    pub value: String,
    /// Tag colour (`VARCHAR(32)`).
    pub color: Option<String>,
    /// Sort key.
    pub sort: i32,
    /// 0 disabled, 1 enabled.
    pub status: i32,
    /// Remark.
    pub remark: Option<String>,
    /// The type's id (logical link to `sys_dict_type.id`).
    pub type_id: i64,
    /// Creation time.
    pub created_time: DateTimeUtc,
    /// Last update time.
    pub updated_time: Option<DateTimeUtc>,
}

/// No relations are declared (`type_id` is a logical link).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
