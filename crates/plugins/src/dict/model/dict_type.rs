//! `sys_dict_type`: a dictionary (FBA's `DictType`), found by its unique `code`.

use sea_orm::entity::prelude::*;

/// One dictionary type.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_dict_type")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Name shown in the UI (`VARCHAR(32)`).
    pub name: String,
    /// Unique code the UI asks for (`sys_status`; `VARCHAR(32)`).
    #[sea_orm(unique)]
    pub code: String,
    /// Remark.
    pub remark: Option<String>,
    /// Creation time.
    pub created_time: DateTimeUtc,
    /// Last update time.
    pub updated_time: Option<DateTimeUtc>,
}

/// No relations are declared (the data rows link by `type_id` logically).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
