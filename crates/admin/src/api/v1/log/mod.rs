//! `/api/v1/logs/*`: login and operation logs.

use actix_web::web;

pub mod login_log;
pub mod opera_log;

/// Registers the `/logs` routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/login").configure(login_log::configure))
        .service(web::scope("/opera").configure(opera_log::configure));
}
