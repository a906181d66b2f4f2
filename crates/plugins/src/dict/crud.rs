//! Queries on `sys_dict_type` and `sys_dict_data` that the generic [`Repository`] does not
//! cover: the filtered pages, the enabled entries of a type code, the label lookup, inserts and
//! whole-row updates. No business rules; the caller owns the transaction.

use chrono::Utc;
use fba_db::Repository;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};

use super::model::{dict_data, dict_type};
use super::schema::dict_data::{DictDataFilter, ValidDictData};
use super::schema::dict_type::{DictTypeFilter, ValidDictType};

/// One page of the types matching `filter`, newest id first (FBA's `id DESC`), and the total.
///
/// # Errors
/// A database failure.
pub async fn type_page<C: ConnectionTrait>(
    db: &C,
    filter: &DictTypeFilter,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<dict_type::Model>, u64), DbErr> {
    let mut q = dict_type::Entity::find();
    if let Some(name) = &filter.name {
        q = q.filter(dict_type::Column::Name.contains(name.as_str()));
    }
    if let Some(code) = &filter.code {
        q = q.filter(dict_type::Column::Code.contains(code.as_str()));
    }
    let q = q.order_by_desc(dict_type::Column::Id);
    dict_type::Entity::page(db, q, offset, limit).await
}

/// Inserts a type; `id` is the snowflake id when the app assigns ids.
///
/// # Errors
/// A database failure.
pub async fn create_type<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
    t: &ValidDictType,
) -> Result<dict_type::Model, DbErr> {
    dict_type::ActiveModel {
        id: id.map_or(NotSet, Set),
        name: Set(t.name.clone()),
        code: Set(t.code.clone()),
        remark: Set(t.remark.clone()),
        created_time: Set(Utc::now()),
        updated_time: Set(None),
    }
    .insert(db)
    .await
}

/// Overwrites type `id` with `t`; returns the rows changed.
///
/// # Errors
/// A database failure.
pub async fn update_type<C: ConnectionTrait>(
    db: &C,
    id: i64,
    t: &ValidDictType,
) -> Result<u64, DbErr> {
    let changes = dict_type::ActiveModel {
        name: Set(t.name.clone()),
        code: Set(t.code.clone()),
        remark: Set(t.remark.clone()),
        updated_time: Set(Some(Utc::now())),
        ..Default::default()
    };
    dict_type::Entity::update_by_id(db, id, changes).await
}

/// Deletes the types `ids` and every entry of theirs (by `type_id`); returns the number of
/// types deleted.
///
/// # Errors
/// A database failure.
pub async fn delete_types<C: ConnectionTrait>(db: &C, ids: &[i64]) -> Result<u64, DbErr> {
    dict_data::Entity::delete_where_in(db, dict_data::Column::TypeId, ids).await?;
    dict_type::Entity::delete_ids(db, ids).await
}

/// One page of the entries matching `filter`, by `sort` ascending (then id), and the total.
///
/// # Errors
/// A database failure.
pub async fn data_page<C: ConnectionTrait>(
    db: &C,
    filter: &DictDataFilter,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<dict_data::Model>, u64), DbErr> {
    let mut q = dict_data::Entity::find();
    if let Some(code) = &filter.type_code {
        q = q.filter(dict_data::Column::TypeCode.eq(code.as_str()));
    }
    if let Some(label) = &filter.label {
        q = q.filter(dict_data::Column::Label.contains(label.as_str()));
    }
    if let Some(value) = &filter.value {
        q = q.filter(dict_data::Column::Value.contains(value.as_str()));
    }
    if let Some(status) = filter.status {
        q = q.filter(dict_data::Column::Status.eq(status));
    }
    if let Some(type_id) = filter.type_id {
        q = q.filter(dict_data::Column::TypeId.eq(type_id));
    }
    let q = q
        .order_by_asc(dict_data::Column::Sort)
        .order_by_asc(dict_data::Column::Id);
    dict_data::Entity::page(db, q, offset, limit).await
}

/// The enabled entries (`status` 1) whose `type_code` is `code`, by `sort` descending (then
/// id), as FBA's `get_by_type_code`.
///
/// # Errors
/// A database failure.
pub async fn enabled_data_of_code<C: ConnectionTrait>(
    db: &C,
    code: &str,
) -> Result<Vec<dict_data::Model>, DbErr> {
    dict_data::Entity::find()
        .filter(dict_data::Column::TypeCode.eq(code))
        .filter(dict_data::Column::Status.eq(1))
        .order_by_desc(dict_data::Column::Sort)
        .order_by_asc(dict_data::Column::Id)
        .all(db)
        .await
}

/// The entry of type code `type_code` labelled `label`, if any.
///
/// # Errors
/// A database failure.
pub async fn data_by_label<C: ConnectionTrait>(
    db: &C,
    label: &str,
    type_code: &str,
) -> Result<Option<dict_data::Model>, DbErr> {
    dict_data::Entity::find()
        .filter(dict_data::Column::Label.eq(label))
        .filter(dict_data::Column::TypeCode.eq(type_code))
        .one(db)
        .await
}

/// Inserts an entry of the type coded `type_code`; `id` is the snowflake id when the app
/// assigns ids.
///
/// # Errors
/// A database failure.
pub async fn create_data<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
    d: &ValidDictData,
    type_code: &str,
) -> Result<dict_data::Model, DbErr> {
    dict_data::ActiveModel {
        id: id.map_or(NotSet, Set),
        created_time: Set(Utc::now()),
        updated_time: Set(None),
        ..data_fields(d, type_code)
    }
    .insert(db)
    .await
}

/// Overwrites entry `id` with `d` under the type coded `type_code`; returns the rows changed.
///
/// # Errors
/// A database failure.
pub async fn update_data<C: ConnectionTrait>(
    db: &C,
    id: i64,
    d: &ValidDictData,
    type_code: &str,
) -> Result<u64, DbErr> {
    let changes = dict_data::ActiveModel {
        updated_time: Set(Some(Utc::now())),
        ..data_fields(d, type_code)
    };
    dict_data::Entity::update_by_id(db, id, changes).await
}

/// The columns an entry's body sets (the others `NotSet`).
fn data_fields(d: &ValidDictData, type_code: &str) -> dict_data::ActiveModel {
    dict_data::ActiveModel {
        type_code: Set(type_code.to_owned()),
        label: Set(d.label.clone()),
        value: Set(d.value.clone()),
        color: Set(d.color.clone()),
        sort: Set(d.sort),
        status: Set(d.status),
        remark: Set(d.remark.clone()),
        type_id: Set(d.type_id),
        ..Default::default()
    }
}
