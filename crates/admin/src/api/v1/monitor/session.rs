//! `/api/v1/monitors/sessions`: the online sessions (superusers only) and the kick-out.

use actix_web::{HttpResponse, web};
use fba_common::extract::Query;
use fba_common::openapi as doc;
use fba_common::response::{Null, ResponseModel};
use fba_common::routing::resource;
use fba_common::security::{Security, SuperUser};
use fba_common::{AppResult, AppState, response};

use crate::schema::session::{KickOutQuery, SessionListQuery, TokenDetail};
use crate::service::session_monitor;

/// `GET /monitors/sessions?username=`: every live session (`list[TokenDetail]`).
///
/// # Errors
/// 401/403 unless a superuser; a Kv failure.
#[utoipa::path(
    get,
    path = "/api/v1/monitors/sessions",
    tag = "会话监控",
    operation_id = "get_sessions",
    summary = "获取在线用户",
    params(SessionListQuery),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[TokenDetail]", body = ResponseModel<Vec<TokenDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn list(
    _auth: SuperUser,
    state: web::Data<AppState>,
    security: web::Data<Security>,
    query: Query<SessionListQuery>,
) -> AppResult<HttpResponse> {
    let query = query.into_inner();
    let sessions =
        session_monitor::list_sessions(&state, &security, query.username.as_deref()).await?;
    Ok(response::ok(sessions))
}

/// `DELETE /monitors/sessions/{pk}?session_uuid=`: ends that session of user `pk`.
///
/// # Errors
/// 401/403 unless a superuser, 422 without `session_uuid`; a Kv failure.
#[utoipa::path(
    delete,
    path = "/api/v1/monitors/sessions/{pk}",
    tag = "会话监控",
    operation_id = "delete_session",
    summary = "强制下线",
    params(("pk" = i64, Path, description = "用户 ID"), KickOutQuery),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn kick_out(
    _auth: SuperUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    query: Query<KickOutQuery>,
) -> AppResult<HttpResponse> {
    session_monitor::kick_out(&state, pk.into_inner(), &query.into_inner().session_uuid).await?;
    Ok(response::ok_empty())
}

/// Registers the routes of this module (inside the `/sessions` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("").route(web::get().to(list)))
        .service(resource("/{pk}").route(web::delete().to(kick_out)));
}
