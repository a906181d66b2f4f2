//! The task system's migration, recorded in `seaql_migrations_task`: FBA's `task_scheduler`,
//! `task_result` and `task_set_result`, and the SQL broker's `task_queue`.

use fba_migration::schema::{
    Nullable::{NotNull, Null},
    TableDef, drop_tables, varchar,
};
use sea_orm_migration::prelude::*;

/// `task_scheduler`.
pub const SCHEDULER_TABLE: &str = "task_scheduler";
/// `task_result`.
pub const RESULT_TABLE: &str = "task_result";
/// `task_set_result`.
pub const SET_RESULT_TABLE: &str = "task_set_result";
/// `task_queue`.
pub const QUEUE_TABLE: &str = "task_queue";

/// Creates (and drops) the four tables.
pub struct CreateTaskTables;

impl MigrationName for CreateTaskTables {
    fn name(&self) -> &str {
        "m20261206_000001_create_task_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateTaskTables {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        TableDef::new(manager, SCHEDULER_TABLE)
            .unique_column("name", varchar(64), NotNull)
            .column("task", varchar(256), NotNull)
            .column("args", ColumnType::Text, Null)
            .column("kwargs", ColumnType::Text, Null)
            .column("queue", varchar(256), Null)
            .column("exchange", varchar(256), Null)
            .column("routing_key", varchar(256), Null)
            .timestamp("start_time", Null)
            .timestamp("expire_time", Null)
            .column("expire_seconds", ColumnType::Integer, Null)
            .column("type", ColumnType::Integer, NotNull)
            .column("interval_every", ColumnType::Integer, Null)
            .column("interval_period", varchar(256), Null)
            .column("crontab", varchar(64), Null)
            .column("one_off", ColumnType::Boolean, NotNull)
            .column("enabled", ColumnType::Boolean, NotNull)
            .column("total_run_count", ColumnType::Integer, NotNull)
            .timestamp("last_run_time", Null)
            .column("remark", ColumnType::Text, Null)
            .timestamps()
            .create(manager)
            .await?;
        TableDef::new(manager, RESULT_TABLE)
            .unique_column("task_id", varchar(155), Null)
            .column("status", varchar(64), Null)
            .column("result", ColumnType::VarBinary(StringLen::None), Null)
            .timestamp("date_done", Null)
            .column("traceback", ColumnType::Text, Null)
            .column("name", varchar(155), Null)
            .column("args", ColumnType::VarBinary(StringLen::None), Null)
            .column("kwargs", ColumnType::VarBinary(StringLen::None), Null)
            .column("worker", varchar(155), Null)
            .column("retries", ColumnType::Integer, Null)
            .column("queue", varchar(155), Null)
            .index(&["name"])
            .create(manager)
            .await?;
        TableDef::new(manager, SET_RESULT_TABLE)
            .unique_column("taskset_id", varchar(155), Null)
            .column("result", ColumnType::VarBinary(StringLen::None), Null)
            .timestamp("date_done", Null)
            .create(manager)
            .await?;
        TableDef::new(manager, QUEUE_TABLE)
            .column("task_id", varchar(155), NotNull)
            .column("queue", varchar(155), NotNull)
            .long_text("payload", NotNull)
            .column("eta_ms", ColumnType::BigInteger, NotNull)
            .column("lease_owner", varchar(155), Null)
            .column("lease_until_ms", ColumnType::BigInteger, Null)
            .timestamp("created_time", NotNull)
            .index(&["queue", "eta_ms"])
            .index(&["task_id"])
            .create(manager)
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &[QUEUE_TABLE, SET_RESULT_TABLE, RESULT_TABLE, SCHEDULER_TABLE],
        )
        .await
    }
}
