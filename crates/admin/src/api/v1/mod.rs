//! `/api/v1` routes of the admin core.

use actix_web::web;

pub mod auth;
pub mod codes;
pub mod log;
pub mod monitor;
pub mod sys;

/// Registers every v1 admin route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/auth").configure(auth::configure))
        .service(web::scope("/sys").configure(sys::configure))
        .service(web::scope("/logs").configure(log::configure))
        .service(web::scope("/monitors").configure(monitor::configure));
}
