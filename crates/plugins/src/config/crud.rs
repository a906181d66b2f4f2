//! Queries on `sys_config` that [`fba_db::Repository`] does not cover: the filtered page, the
//! rows of one type, the rows holding some keys, insert and update. No business rules.

use chrono::Utc;
use fba_db::Repository;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};

use super::model::{self, Column, Entity};
use super::schema::{ConfigFilter, ValidConfig};

/// One page of the rows matching `filter`, newest first (FBA: `created_time DESC`; then `id`
/// DESC so rows created in the same instant keep one order), and the total.
///
/// # Errors
/// A database failure.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    filter: &ConfigFilter,
    offset: Option<u64>,
    limit: u64,
) -> Result<(Vec<model::Model>, u64), DbErr> {
    let mut q = Entity::find();
    if let Some(name) = &filter.name {
        q = q.filter(Column::Name.contains(name.as_str()));
    }
    if let Some(config_type) = &filter.config_type {
        q = q.filter(Column::Type.contains(config_type.as_str()));
    }
    let q = q
        .order_by_desc(Column::CreatedTime)
        .order_by_desc(Column::Id);
    Entity::page(db, q, offset, limit).await
}

/// The rows whose `type` is `config_type`, in id order.
///
/// # Errors
/// A database failure.
pub async fn by_type<C: ConnectionTrait>(
    db: &C,
    config_type: &str,
) -> Result<Vec<model::Model>, DbErr> {
    Entity::find()
        .filter(Column::Type.eq(config_type))
        .order_by_asc(Column::Id)
        .all(db)
        .await
}

/// The rows whose `key` is one of `keys`.
///
/// # Errors
/// A database failure.
pub async fn by_keys<C: ConnectionTrait>(
    db: &C,
    keys: &[&str],
) -> Result<Vec<model::Model>, DbErr> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    Entity::find()
        .filter(Column::Key.is_in(keys.iter().copied()))
        .all(db)
        .await
}

/// The columns a body sets (the others `NotSet`).
fn fields(config: &ValidConfig) -> model::ActiveModel {
    model::ActiveModel {
        name: Set(config.name.clone()),
        r#type: Set(config.config_type.clone()),
        key: Set(config.key.clone()),
        value: Set(config.value.clone()),
        is_frontend: Set(config.is_frontend),
        remark: Set(config.remark.clone()),
        ..Default::default()
    }
}

/// Inserts a row; `id` is the snowflake id when the app assigns ids.
///
/// # Errors
/// A database failure.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    id: Option<i64>,
    config: &ValidConfig,
) -> Result<model::Model, DbErr> {
    model::ActiveModel {
        id: id.map_or(NotSet, Set),
        created_time: Set(Utc::now()),
        updated_time: Set(None),
        ..fields(config)
    }
    .insert(db)
    .await
}

/// Overwrites row `id` with `config`; returns the rows changed.
///
/// # Errors
/// A database failure.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: i64,
    config: &ValidConfig,
) -> Result<u64, DbErr> {
    let changes = model::ActiveModel {
        updated_time: Set(Some(Utc::now())),
        ..fields(config)
    };
    Entity::update_by_id(db, id, changes).await
}
