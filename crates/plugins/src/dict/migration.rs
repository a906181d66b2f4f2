//! The dict plugin's one migration: `sys_dict_type` (unique index on `code`) and
//! `sys_dict_data` (indexes on `type_code`, read by every `type-codes/{code}` request, and on
//! `type_id`, by which deleting a type deletes its entries), with FBA's columns (contract
//! §5.4). Recorded in `seaql_migrations_dict`.

use fba_migration::schema::{Nullable::NotNull, Nullable::Null, TableDef, drop_tables, varchar};
use sea_orm_migration::prelude::*;

/// The tables this migration owns, in creation order.
pub const TABLES: [&str; 2] = ["sys_dict_type", "sys_dict_data"];

/// Creates (and drops) the dict tables.
pub struct CreateDictTables;

impl MigrationName for CreateDictTables {
    fn name(&self) -> &str {
        "m20261201_000001_create_dict_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateDictTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TableDef::new(manager, "sys_dict_type")
            .column("name", varchar(32), NotNull)
            .column("code", varchar(32), NotNull)
            .long_text("remark", Null)
            .timestamps()
            .unique_index(&["code"])
            .create(manager)
            .await?;

        TableDef::new(manager, "sys_dict_data")
            .column("type_code", varchar(32), NotNull)
            .column("label", varchar(32), NotNull)
            .column("value", varchar(32), NotNull)
            .column("color", varchar(32), Null)
            .column("sort", ColumnType::Integer, NotNull)
            .column("status", ColumnType::Integer, NotNull)
            .long_text("remark", Null)
            .column("type_id", ColumnType::BigInteger, NotNull)
            .timestamps()
            .index(&["type_code"])
            .index(&["type_id"])
            .create(manager)
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &TABLES).await
    }
}
