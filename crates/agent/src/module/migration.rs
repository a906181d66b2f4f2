//! The agent module's migration, recorded in `seaql_migrations_agent`: `agent_session`,
//! `agent_message` and `agent_checkpoint`, on SQLite, PostgreSQL and MySQL.

use fba_migration::schema::{
    Nullable::NotNull, TableDef, drop_tables, long_text_type, timestamp_type, varchar,
};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// `agent_session`.
pub const SESSION_TABLE: &str = "agent_session";
/// `agent_message`.
pub const MESSAGE_TABLE: &str = "agent_message";
/// `agent_checkpoint`.
pub const CHECKPOINT_TABLE: &str = "agent_checkpoint";

/// Creates (and drops) the three tables.
pub struct CreateAgentTables;

impl MigrationName for CreateAgentTables {
    fn name(&self) -> &str {
        "m20261206_000001_create_agent_tables"
    }
}

/// A table keyed by a text column `key` (a uuid), with MySQL's engine and charset.
fn keyed_table(backend: DbBackend, name: &'static str, key: &'static str) -> TableCreateStatement {
    let mut create = Table::create();
    create
        .table(name)
        .col(ColumnDef::new(key).string_len(36).not_null().primary_key());
    if backend == DbBackend::MySql {
        create
            .engine("InnoDB")
            .character_set("utf8mb4")
            .collate("utf8mb4_unicode_ci");
    }
    create
}

fn col(name: &'static str, ty: ColumnType, null: bool) -> ColumnDef {
    let mut def = ColumnDef::new_with_type(name, ty);
    if null {
        def.null();
    } else {
        def.not_null();
    }
    def
}

#[async_trait::async_trait]
impl MigrationTrait for CreateAgentTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let ts = timestamp_type(backend);
        let text = long_text_type(backend);
        let mut session = keyed_table(backend, SESSION_TABLE, "id");
        session
            .col(col("user_id", ColumnType::BigInteger, false))
            .col(col("title", varchar(256), false))
            .col(col("model", varchar(128), true))
            .col(col("sandbox_id", varchar(64), false))
            .col(col("plan_mode", ColumnType::Boolean, false))
            .col(col("status", varchar(16), false))
            .col(col("created_time", ts.clone(), false))
            .col(col("updated_time", ts.clone(), true));
        manager.create_table(session).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_agent_session_user_id")
                    .table(SESSION_TABLE)
                    .col("user_id")
                    .to_owned(),
            )
            .await?;
        TableDef::new(manager, MESSAGE_TABLE)
            .column("session_id", varchar(36), NotNull)
            .column("seq", ColumnType::Integer, NotNull)
            .long_text("message", NotNull)
            .unique_index(&["session_id", "seq"])
            .create(manager)
            .await?;
        let mut checkpoint = keyed_table(backend, CHECKPOINT_TABLE, "session_id");
        checkpoint
            .col(col("todos", text.clone(), false))
            .col(col("plan", text.clone(), true))
            .col(col("plan_mode", ColumnType::Boolean, false))
            .col(col("usage", text.clone(), false))
            .col(col("tasks", text.clone(), false))
            .col(col("pending", text.clone(), true))
            .col(col("runs", ColumnType::BigInteger, false))
            .col(col("updated_time", ts, false));
        manager.create_table(checkpoint).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &[SESSION_TABLE, MESSAGE_TABLE, CHECKPOINT_TABLE]).await
    }
}
