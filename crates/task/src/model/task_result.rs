//! `task_result`: FBA's Celery result table (任务结果表, Celery's extended DB result backend).
//! `result`, `args` and `kwargs` hold JSON bytes here (FBA: a Python pickle for `result`).

use sea_orm::entity::prelude::*;

/// One job's state and outcome.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "task_result")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The job's id (unique).
    pub task_id: Option<String>,
    /// Celery's state name (`STARTED`, `SUCCESS`, `FAILURE`, `RETRY`, `REVOKED`).
    pub status: Option<String>,
    /// The return value, or the failure dict, as JSON bytes.
    #[sea_orm(column_type = "VarBinary(StringLen::None)")]
    pub result: Option<Vec<u8>>,
    /// When it reached its last state.
    pub date_done: Option<DateTimeUtc>,
    /// The failure's details.
    #[sea_orm(column_type = "Text")]
    pub traceback: Option<String>,
    /// The task name.
    pub name: Option<String>,
    /// Positional arguments, JSON bytes.
    #[sea_orm(column_type = "VarBinary(StringLen::None)")]
    pub args: Option<Vec<u8>>,
    /// Keyword arguments, JSON bytes.
    #[sea_orm(column_type = "VarBinary(StringLen::None)")]
    pub kwargs: Option<Vec<u8>>,
    /// The worker that ran it.
    pub worker: Option<String>,
    /// Retries so far.
    pub retries: Option<i32>,
    /// The queue it came from.
    pub queue: Option<String>,
}

/// `task_result` relates to no other table.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
