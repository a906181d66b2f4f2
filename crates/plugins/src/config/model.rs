//! `sys_config`: one parameter (FBA's `Config` model): a `key` unique in the table, its text
//! `value`, grouped by `type` (`LOGIN`, `USER_SECURITY`, `EMAIL`, or the administrator's own).
//!
//! Rows are cached as this model (JSON through serde), so the cache keeps every column.

use fba_common::data_model::{ColumnKind, DataModel, ModelColumn};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// One parameter.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "sys_config")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Display name (`VARCHAR(32)`).
    pub name: String,
    /// Group (`VARCHAR(32)`, nullable): `LOGIN`, `USER_SECURITY`, `EMAIL`, ….
    pub r#type: Option<String>,
    /// Unique key (`VARCHAR(64)`).
    #[sea_orm(unique)]
    pub key: String,
    /// The value, as text.
    pub value: String,
    /// Whether the front end may read it.
    pub is_frontend: bool,
    /// Remark.
    pub remark: Option<String>,
    /// Creation time.
    pub created_time: DateTimeUtc,
    /// Last update time.
    pub updated_time: Option<DateTimeUtc>,
}

/// `sys_config` has no relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl fba_db::Repository for Entity {
    fn id_column() -> Column {
        Column::Id
    }
}

/// The table's name.
pub const TABLE: &str = "sys_config";

/// FBA's `Config` as a model data rules may filter, with FBA's column comments.
pub const DATA_MODEL: DataModel = DataModel {
    name: "Config",
    table: TABLE,
    columns: &[
        ModelColumn::new("id", "主键 ID", ColumnKind::BigInt),
        ModelColumn::new("name", "名称", ColumnKind::Text),
        ModelColumn::new("type", "类型", ColumnKind::Text),
        ModelColumn::new("key", "键名", ColumnKind::Text),
        ModelColumn::new("value", "键值", ColumnKind::Text),
        ModelColumn::new("is_frontend", "是否前端", ColumnKind::Bool),
        ModelColumn::new("remark", "备注", ColumnKind::Text),
        ModelColumn::new("created_time", "创建时间", ColumnKind::DateTime),
        ModelColumn::new("updated_time", "更新时间", ColumnKind::DateTime),
    ],
};
