//! Integration tests of the plugin system and the dict, config and notice plugins on the real
//! app (`fba_testing::TestApp`), on SQLite, PostgreSQL + Redis and MariaDB + Redis.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod config;
mod dict;
mod notice;
mod system;
