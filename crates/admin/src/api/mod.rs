//! The admin core's HTTP layer: actix-web handlers (extract, call one service function, wrap
//! the result in FBA's envelope) and [`configure`], which registers them under the API prefix.
//! Files mirror FBA's route tree: `v1/auth.rs` is `/api/v1/auth/*`, `v1/sys/user.rs` is
//! `/api/v1/sys/users/*`. No SQL, no business rules.
//!
//! Every handler carries `#[utoipa::path]` with FBA's `summary` (the title the operation log
//! records), tag and operation id, and its replies as schemas: `ResponseModel<T>` for the 200
//! and `ErrorResponseModel` for each 4xx it can answer; [`AdminApi`] collects them for the
//! server's document.

pub mod v1;

/// Registers the admin core's routes on `cfg` (mounted under `FASTAPI_API_V1_PATH`).
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    v1::configure(cfg);
}

/// The OpenAPI paths of every admin route. Paths are the actix match patterns under the default
/// `/api/v1` prefix, because the operation log looks titles up by `(method, pattern)`. Routes
/// that need a token name the `HTTPBearer` security scheme, which the server's document defines.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        v1::auth::get_captcha,
        v1::auth::login_swagger,
        v1::auth::login,
        v1::codes::codes,
        v1::auth::refresh,
        v1::auth::logout,
        v1::sys::dept::get_dept,
        v1::sys::dept::tree,
        v1::sys::dept::create,
        v1::sys::dept::update,
        v1::sys::dept::delete,
        v1::sys::menu::sidebar,
        v1::sys::menu::get_menu,
        v1::sys::menu::tree,
        v1::sys::menu::create,
        v1::sys::menu::update,
        v1::sys::menu::delete,
        v1::sys::role::all,
        v1::sys::role::menus,
        v1::sys::role::scopes,
        v1::sys::role::get_role,
        v1::sys::role::list,
        v1::sys::role::create,
        v1::sys::role::update,
        v1::sys::role::update_menus,
        v1::sys::role::update_scopes,
        v1::sys::role::delete,
        v1::sys::user::me,
        v1::sys::user::get_user,
        v1::sys::user::get_user_roles,
        v1::sys::user::list_users,
        v1::sys::user::create_user,
        v1::sys::user::update_user,
        v1::sys::user::update_permission,
        v1::sys::user::update_password,
        v1::sys::user::reset_password,
        v1::sys::user::update_nickname,
        v1::sys::user::update_avatar,
        v1::sys::user::update_email,
        v1::sys::user::delete_user,
        v1::sys::data_rule::models,
        v1::sys::data_rule::columns,
        v1::sys::data_rule::value_template_variables,
        v1::sys::data_rule::all,
        v1::sys::data_rule::get_rule,
        v1::sys::data_rule::list,
        v1::sys::data_rule::create,
        v1::sys::data_rule::update,
        v1::sys::data_rule::delete,
        v1::sys::data_scope::all,
        v1::sys::data_scope::get_scope,
        v1::sys::data_scope::rules,
        v1::sys::data_scope::list,
        v1::sys::data_scope::create,
        v1::sys::data_scope::update,
        v1::sys::data_scope::update_rules,
        v1::sys::data_scope::delete,
        v1::sys::file::upload_file,
        v1::log::login_log::list,
        v1::log::login_log::delete,
        v1::log::login_log::delete_all,
        v1::log::opera_log::list,
        v1::log::opera_log::delete,
        v1::log::opera_log::delete_all,
        v1::monitor::redis::redis_info,
        v1::monitor::server::server_info,
        v1::monitor::session::list,
        v1::monitor::session::kick_out,
    ),
    components(schemas(fba_common::error::ErrorResponseModel))
)]
pub struct AdminApi;
