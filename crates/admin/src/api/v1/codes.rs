//! `GET /api/v1/auth/codes`: the caller's permission codes (vben's access codes).
//!
//! Registered at the v1 level (see [`configure`]) beside the `/auth` scope, which another module
//! owns; mount it before that scope.

use actix_web::{HttpResponse, web};
use fba_common::openapi as doc;
use fba_common::response::ResponseModel;
use fba_common::routing::resource;
use fba_common::security::AuthUser;
use fba_common::{AppResult, AppState, response};

use crate::service::user_me;

/// `GET /auth/codes`: a JSON array of unique permission codes.
///
/// # Errors
/// 401 without a token; a database failure (superusers).
#[utoipa::path(
    get,
    path = "/api/v1/auth/codes",
    tag = "授权",
    operation_id = "get_codes",
    summary = "获取所有授权码",
    description = "适配 vben admin v5",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[str]", body = ResponseModel<Vec<String>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn codes(auth: AuthUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let codes = user_me::permission_codes(&state, auth.user()).await?;
    Ok(response::ok(codes))
}

/// Registers `/auth/codes` (relative to the v1 prefix).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/auth/codes").route(web::get().to(codes)));
}
