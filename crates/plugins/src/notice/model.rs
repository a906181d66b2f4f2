//! `sys_notice`: FBA's system notices and announcements (系统通知公告表).

use sea_orm::entity::prelude::*;

/// One notice or announcement.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sys_notice")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Title (`VARCHAR(64)`).
    pub title: String,
    /// Column `type`: 0 notice, 1 announcement.
    pub r#type: i32,
    /// 0 hidden, 1 shown.
    pub status: i32,
    /// The text (markdown in FBA's UI).
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// Creation time.
    pub created_time: DateTimeUtc,
    /// Last update time.
    pub updated_time: Option<DateTimeUtc>,
}

/// `sys_notice` relates to no other table.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
