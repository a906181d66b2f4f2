//! The dict plugin's sea-orm entities (one per table, named after FBA's models), their
//! [`fba_db::Repository`] impls, and the tables as data-permission models ([`DICT_TYPE`],
//! [`DICT_DATA`], FBA's `DictType` and `DictData` with FBA's column comments).
//!
//! Columns mirror the plugin's migration. There are no foreign keys: `sys_dict_data.type_id`
//! is a logical link to `sys_dict_type.id`, as in FBA.

pub mod dict_data;
pub mod dict_type;

use fba_common::data_model::{ColumnKind, DataModel, ModelColumn};

impl fba_db::Repository for dict_type::Entity {
    fn id_column() -> dict_type::Column {
        dict_type::Column::Id
    }
}

impl fba_db::Repository for dict_data::Entity {
    fn id_column() -> dict_data::Column {
        dict_data::Column::Id
    }
}

const ID: ModelColumn = ModelColumn::new("id", "主键 ID", ColumnKind::BigInt);
const CREATED_TIME: ModelColumn =
    ModelColumn::new("created_time", "创建时间", ColumnKind::DateTime);
const UPDATED_TIME: ModelColumn =
    ModelColumn::new("updated_time", "更新时间", ColumnKind::DateTime);

/// FBA's `DictType` (`sys_dict_type`).
pub const DICT_TYPE: DataModel = DataModel {
    name: "DictType",
    table: "sys_dict_type",
    columns: &[
        ID,
        ModelColumn::new("name", "字典类型名称", ColumnKind::Text),
        ModelColumn::new("code", "字典类型编码", ColumnKind::Text),
        ModelColumn::new("remark", "备注", ColumnKind::Text),
        CREATED_TIME,
        UPDATED_TIME,
    ],
};

/// FBA's `DictData` (`sys_dict_data`).
pub const DICT_DATA: DataModel = DataModel {
    name: "DictData",
    table: "sys_dict_data",
    columns: &[
        ID,
        ModelColumn::new("type_code", "对应的字典类型编码", ColumnKind::Text),
        ModelColumn::new("label", "字典标签", ColumnKind::Text),
        ModelColumn::new("value", "字典值", ColumnKind::Text),
        ModelColumn::new("color", "标签颜色", ColumnKind::Text),
        ModelColumn::new("sort", "排序", ColumnKind::Int),
        ModelColumn::new("status", "状态（0停用 1正常）", ColumnKind::Int),
        ModelColumn::new("remark", "备注", ColumnKind::Text),
        ModelColumn::new("type_id", "字典类型关联ID", ColumnKind::BigInt),
        CREATED_TIME,
        UPDATED_TIME,
    ],
};
