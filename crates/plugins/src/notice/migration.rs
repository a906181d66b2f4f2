//! The notice plugin's one migration: `sys_notice` (FBA's `Notice` model), recorded in
//! `seaql_migrations_notice`. Like the admin tables: no redundant `ix_sys_notice_id` index, no
//! column comments (they live in the data model), `content` as long text.

use fba_migration::schema::{Nullable::NotNull, TableDef, drop_tables, varchar};
use sea_orm_migration::prelude::*;

/// The table this migration owns.
pub const TABLE: &str = "sys_notice";

/// Creates (and drops) `sys_notice`.
pub struct CreateNoticeTable;

impl MigrationName for CreateNoticeTable {
    fn name(&self) -> &str {
        "m20261201_000001_create_notice_table"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateNoticeTable {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TableDef::new(manager, TABLE)
            .column("title", varchar(64), NotNull)
            .column("type", ColumnType::Integer, NotNull)
            .column("status", ColumnType::Integer, NotNull)
            .long_text("content", NotNull)
            .timestamps()
            .create(manager)
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[TABLE]).await
    }
}
