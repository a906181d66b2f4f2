//! `/api/v1/sys/*`: system management.

use actix_web::web;

pub mod data_rule;
pub mod data_scope;
pub mod dept;
pub mod file;
pub mod menu;
pub mod role;
pub mod user;

/// Registers the `/sys` routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/users").configure(user::configure))
        .service(web::scope("/depts").configure(dept::configure))
        .service(web::scope("/menus").configure(menu::configure))
        .service(web::scope("/roles").configure(role::configure))
        .service(web::scope("/data-rules").configure(data_rule::configure))
        .service(web::scope("/data-scopes").configure(data_scope::configure))
        .service(web::scope("/files").configure(file::configure));
}
