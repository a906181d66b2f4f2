//! `/api/v1/sys/*`: system management.

use actix_web::web;

pub mod user;

/// Registers the `/sys` routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/users").configure(user::configure));
}
