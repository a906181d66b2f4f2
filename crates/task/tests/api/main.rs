//! Integration tests of the task system on the real app (`fba_testing::TestApp`): FBA's task
//! API, the brokers, workers and the scheduler, on SQLite, PostgreSQL + Redis and MariaDB +
//! Redis (and RabbitMQ with the `rabbitmq` feature).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod brokers;
mod results;
mod schedulers;
mod tasks_control;
mod worker;
