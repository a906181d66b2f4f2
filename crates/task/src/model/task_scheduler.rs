//! `task_scheduler`: FBA's schedule entries (任务调度表), read by the scheduler and edited
//! through `/schedulers`. `args` and `kwargs` hold the JSON *text* the UI sends.

use sea_orm::entity::prelude::*;

/// One schedule entry.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "task_scheduler")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unique name (`VARCHAR(64)`).
    pub name: String,
    /// The task it sends.
    pub task: String,
    /// Positional arguments as JSON text (`["a", 1]`).
    #[sea_orm(column_type = "Text")]
    pub args: Option<String>,
    /// Keyword arguments as JSON text (`{"k": "v"}`).
    #[sea_orm(column_type = "Text")]
    pub kwargs: Option<String>,
    /// Celery routing option, stored and shown, not used for routing.
    pub queue: Option<String>,
    /// Celery routing option, stored and shown, not used for routing.
    pub exchange: Option<String>,
    /// Celery routing option, stored and shown, not used for routing.
    pub routing_key: Option<String>,
    /// Not due before this time.
    pub start_time: Option<DateTimeUtc>,
    /// Jobs sent expire at this time (exclusive with `expire_seconds`).
    pub expire_time: Option<DateTimeUtc>,
    /// Jobs sent expire this many seconds after sending.
    pub expire_seconds: Option<i32>,
    /// Column `type`: 0 interval, 1 crontab.
    pub r#type: i32,
    /// Interval length, in `interval_period` units.
    pub interval_every: Option<i32>,
    /// `days`, `hours`, `minutes`, `seconds` or `microseconds`.
    pub interval_period: Option<String>,
    /// Five-field crontab (`minute hour day_of_month month_of_year day_of_week`).
    pub crontab: Option<String>,
    /// Disabled after its first run.
    pub one_off: bool,
    /// Whether the scheduler sends it.
    pub enabled: bool,
    /// Runs so far.
    pub total_run_count: i32,
    /// Last time it was sent.
    pub last_run_time: Option<DateTimeUtc>,
    /// Free text.
    #[sea_orm(column_type = "Text")]
    pub remark: Option<String>,
    /// Creation time.
    pub created_time: DateTimeUtc,
    /// Last update time.
    pub updated_time: Option<DateTimeUtc>,
}

/// `task_scheduler` relates to no other table.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
