//! `GET /api/v1/monitors/redis` (any signed-in user): Redis facts and command statistics, or
//! the facts of the in-process store when Redis is not configured.

use actix_web::{HttpResponse, web};
use fba_common::openapi as doc;
use fba_common::response::{ResponseModel, ok};
use fba_common::routing::resource;
use fba_common::security::AuthUser;
use fba_common::{AppResult, AppState};

use crate::schema::monitor::RedisMonitorInfo;
use crate::service::monitor;

/// `GET /monitors/redis`: FBA's `RedisMonitorInfo`.
#[utoipa::path(
    get,
    path = "/api/v1/monitors/redis",
    tag = "redis监控",
    operation_id = "get_redis_info",
    summary = "Redis 监控",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "RedisMonitorInfo", body = ResponseModel<RedisMonitorInfo>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
    )
)]
async fn redis_info(_auth: AuthUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(ok(monitor::redis_info(&state).await?))
}

/// Registers the routes of this module (inside the `/redis` scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("").route(web::get().to(redis_info)));
}
