//! # fba-task
//!
//! FBA's task system (`app/task`, Celery worker + beat) for fba-rs, as a library:
//! - [`TaskRegistry`]: named async tasks taking Celery's `args`/`kwargs`
//!   ([`registry`]), with FBA's built-in tasks ([`builtin`]);
//! - [`Broker`](broker::Broker)s chosen by `CELERY_BROKER`: the app's SQL database (the
//!   embedded default), Redis, RabbitMQ (feature `rabbitmq`);
//! - [`Worker`](worker::Worker): concurrency, retries with backoff, time limits, revocation,
//!   results in FBA's `task_result`, `task_notification` over Socket.IO;
//! - [`Scheduler`](scheduler::Scheduler): FBA's interval and crontab entries of
//!   `task_scheduler`, one firing per due time however many schedulers run;
//! - [`Tasks`]: sending, revoking, live workers, for the API and other crates;
//! - [`module()`]: all of it as a [`fba_common::module::Module`] with FBA's task API
//!   (`/tasks`, `/task-results`, `/schedulers`).

pub mod api;
pub mod broker;
pub mod builtin;
pub mod client;
pub mod control;
pub mod crud;
pub mod data_models;
pub mod error;
pub mod message;
pub mod metrics;
pub mod migration;
pub mod model;
pub mod module;
pub mod registry;
pub mod results;
pub mod scheduler;
pub mod schema;
pub mod service;
pub mod settings;
pub mod worker;

pub use client::{OpenError, Tasks};
pub use error::TaskError;
pub use message::{TaskMessage, TaskStatus};
pub use module::{TaskModule, TasksHandle, module};
pub use registry::{TaskCall, TaskContext, TaskDef, TaskFailure, TaskRegistry};
pub use settings::TaskSettings;

/// A registry with FBA's built-in tasks.
pub fn default_registry() -> TaskRegistry {
    let mut registry = TaskRegistry::new();
    builtin::register(&mut registry);
    registry
}
