//! `task_queue`: the SQL broker's jobs (fba-rs only; FBA keeps them in Redis or RabbitMQ). A
//! row lives from sending until a worker acknowledges it; a worker leases it while running.

use sea_orm::entity::prelude::*;

/// One queued or running job.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "task_queue")]
pub struct Model {
    /// Primary key (the delivery tag).
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The job's id.
    pub task_id: String,
    /// The queue.
    pub queue: String,
    /// The [`crate::TaskMessage`] as JSON text.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// Not handed out before this time (Unix milliseconds).
    pub eta_ms: i64,
    /// The worker holding it.
    pub lease_owner: Option<String>,
    /// Until when that worker holds it (Unix milliseconds); after that it is handed out again.
    pub lease_until_ms: Option<i64>,
    /// When it was sent.
    pub created_time: DateTimeUtc,
}

/// `task_queue` relates to no other table.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
