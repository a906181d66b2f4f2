//! The agent module on the real app (`fba_testing::TestApp`): sessions in the database, the
//! `/api/v1/agent` API and its SSE runs, offline (the fake LLM, the fake stdio MCP server, the
//! real sandbox), on SQLite, PostgreSQL + Redis and MariaDB + Redis.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod access;
mod runs;
mod support;
