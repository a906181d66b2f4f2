//! # fba-testing
//!
//! The integration-test harness of fba-rs, for every crate that plugs into the app: [`TestApp`]
//! runs the real server (every enabled module, plus the modules a test adds) on port 0 against
//! a fresh database of its own, and talks to it over HTTP.
//!
//! - Backend from `FBA_TEST_DATABASE` (`sqlite` by default, `postgresql`, `mysql`; servers from
//!   `FBA_TEST_POSTGRES_URL` / `FBA_TEST_MYSQL_URL`), Kv store from `FBA_TEST_REDIS_URL` (the
//!   in-process store when unset). Each app gets its own database and Redis key namespace, so
//!   tests run in parallel and repeat.
//! - [`TestApp::builder`] adds modules and settings; [`TestAppBuilder::sharing`] starts a second
//!   replica on the same database and Redis namespace.
//!
//! ```no_run
//! # async fn demo(my_module: std::sync::Arc<dyn fba_common::module::Module>) {
//! let app = fba_testing::TestApp::builder().module(my_module).spawn().await;
//! let token = app.token_for(1).await;
//! let (status, body) = app.get_json("/api/v1/sys/users/me", &token).await;
//! assert_eq!(status, 200, "{body}");
//! app.stop().await;
//! # }
//! ```
#![allow(clippy::expect_used)] // a harness: a failure to set up is the test's failure

mod app;
mod assertions;
#[cfg(feature = "otlp")]
pub mod otlp;
pub mod socketio;

pub use app::{
    TestApp, TestAppBuilder, base_pairs, http_client_builder, redis_url, replica_redis, spool_dir,
};
pub use assertions::{
    assert_401, assert_422, assert_error, assert_ok_empty, assert_soft_fail, flatten,
    is_fba_datetime, json, make_staff,
};
