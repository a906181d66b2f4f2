//! `/api/v1/monitors/*`: online sessions (and, later, server and Redis monitors).

use actix_web::web;

pub mod session;

/// Registers the `/monitors` routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/sessions").configure(session::configure));
}
