//! `/api/v1/monitors/*`: online sessions, server and Redis monitors.

use actix_web::web;

pub mod redis;
pub mod server;
pub mod session;

/// Registers the `/monitors` routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/sessions").configure(session::configure))
        .service(web::scope("/server").configure(server::configure))
        .service(web::scope("/redis").configure(redis::configure));
}
