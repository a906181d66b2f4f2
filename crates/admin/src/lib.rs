//! # fba-admin
//!
//! FBA's admin core for fba-rs: authentication, users, roles, menus, departments, data
//! permissions (scopes and rules), login and operation logs, and monitoring.
//!
//! Laid out in FBA's three tiers:
//! - [`api`]: actix-web handlers and their route registration ([`configure`]).
//! - [`schema`]: request and response types, with FBA's JSON field names.
//! - [`service`]: business rules and transactions.
//! - [`crud`]: queries on the entities.
//! - [`model`]: the sea-orm entities of the admin tables created by `fba-migration`.
//!
//! [`module()`] is what the app mounts: the admin core behind the `fba_common::module::Module`
//! seam (routes, OpenAPI, migrations and seed, data-permission models, the auth store and
//! the operation-log sink).

pub mod api;
pub mod crud;
pub mod error;
pub mod model;
mod module;
pub mod schema;
pub mod seed;
pub mod service;
pub mod settings;

pub use error::AdminError;
pub use module::{AdminModule, module};
