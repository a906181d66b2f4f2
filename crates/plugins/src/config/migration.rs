//! The plugin's one migration: FBA's `sys_config` table (contract §5.4), built with the shared
//! table builder (`BIGINT` auto-increment `id`, `created_time`/`updated_time`), recorded in
//! `seaql_migrations_config`.

use fba_migration::schema::{Nullable::*, TableDef, drop_tables, varchar};
use sea_orm_migration::prelude::*;

use super::model::TABLE;

/// Creates (and drops) `sys_config`.
pub struct CreateConfigTable;

impl MigrationName for CreateConfigTable {
    fn name(&self) -> &str {
        "m20261206_000001_create_config_table"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateConfigTable {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TableDef::new(manager, TABLE)
            .column("name", varchar(32), NotNull)
            .column("type", varchar(32), Null)
            .unique_column("key", varchar(64), NotNull)
            .long_text("value", NotNull)
            .column("is_frontend", ColumnType::Boolean, NotNull)
            .long_text("remark", Null)
            .timestamps()
            .create(manager)
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[TABLE]).await
    }
}
