//! # fba-db
//!
//! Storage for fba-rs, chosen once from settings and hidden behind types that business code uses
//! without knowing the backend:
//! - [`connect`]: a sea-orm [`DatabaseConnection`](sea_orm::DatabaseConnection) to SQLite,
//!   PostgreSQL or MySQL/MariaDB with the configured pool, and [`Db`], that pool behind a
//!   circuit breaker (503 at once during an outage);
//! - [`kv`]: the [`Kv`] store for what FBA keeps in Redis (tokens, captcha, locks, rate
//!   limits, cache, pub/sub), backed by Redis or by process memory;
//! - [`repo`]: the generic [`Repository`] of queries every table repeats (get, list, page,
//!   ids, links, delete, update);
//! - [`snowflake`]: FBA-compatible snowflake ids with node ids leased through the Kv store;
//! - [`testing`]: fresh, uniquely named databases for integration tests.

pub mod connection;
pub mod guarded;
pub mod kv;
pub mod repo;
pub mod snowflake;
pub mod testing;

pub use connection::{DbError, PoolStats, begin_write, connect, ping, pool_stats};
pub use guarded::{BreakerState, Db, is_connection_error, sqlstate};
pub use kv::{Kv, KvError, SharedKv};
pub use repo::Repository;
pub use snowflake::{SnowflakeError, SnowflakeGenerator};
