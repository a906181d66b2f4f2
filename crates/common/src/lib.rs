//! # fba-common
//!
//! The web layer shared by every fba-rs crate, wire-compatible with FBA:
//! - [`response`]: the `{"code","msg","data"}` envelope;
//! - [`error`]: [`AppError`], mapped once to FBA's HTTP statuses and error bodies;
//! - [`extract`]: JSON/query extractors whose failures are FBA's 422 bodies;
//! - [`pagination`]: FBA's page-number pagination;
//! - [`i18n`]: Fluent messages in `zh-CN` / `en-US`;
//! - [`scope`], [`context`], [`middleware`]: trace id, language, client facts, access log;
//! - [`routing`]: 404/405 answers; [`state`]: the shared [`AppState`];
//! - [`kv_keys`]: every Kv key name and pub/sub channel (FBA's Redis layout);
//! - [`socketio`]: the Socket.IO server of FBA's UI (`/ws/socket.io`) and its cross-replica hub;
//! - [`module`]: the [`module::Module`] seam every domain crate plugs into the app through, and
//!   [`data_model`]: the tables data rules may filter.

pub mod cache;
pub mod context;
pub mod data_model;
pub mod datetime;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod ip_location;
pub mod kv_keys;
pub mod metrics;
pub mod middleware;
pub mod module;
pub mod openapi;
pub mod overrides;
pub mod pagination;
pub mod response;
pub mod routing;
pub mod scope;
pub mod security;
pub mod socketio;
pub mod state;
pub mod telemetry;
pub mod tree;
pub mod validate;

pub use error::{AppError, AppResult, FieldError};
pub use state::AppState;
