//! `GET /api/v1/monitors/server` (superusers only): host, disk and process facts.

use actix_web::{HttpResponse, web};
use fba_common::AppResult;
use fba_common::openapi as doc;
use fba_common::response::{ResponseModel, ok};
use fba_common::routing::resource;
use fba_common::security::SuperUser;

use crate::schema::monitor::ServerMonitorInfo;
use crate::service::monitor;

/// `GET /monitors/server`: FBA's `ServerMonitorInfo`.
#[utoipa::path(
    get,
    path = "/api/v1/monitors/server",
    tag = "服务器监控",
    operation_id = "get_server_info",
    summary = "Server 监控",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "ServerMonitorInfo", body = ResponseModel<ServerMonitorInfo>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
    )
)]
async fn server_info(_auth: SuperUser) -> AppResult<HttpResponse> {
    Ok(ok(monitor::server_info().await?))
}

/// Registers the routes of this module (inside the `/server` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("").route(web::get().to(server_info)));
}
