//! Routes of `sys/file` (being written).

use actix_web::web;

/// Registers the routes of this module.
pub fn configure(_cfg: &mut web::ServiceConfig) {}
