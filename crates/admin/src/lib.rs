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

pub mod api;
pub mod crud;
pub mod model;
pub mod schema;
pub mod service;

/// Registers the admin core's routes on `cfg`.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    api::configure(cfg);
}
