//! `/api/v1/logs/opera`: list (any signed-in user), batch delete (`log:opera:del`), clear
//! (`log:opera:clear`). The `summary` of each handler is FBA's, and the title the operation
//! log records for it once the handlers are in the OpenAPI document.

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};
use fba_common::{AppResult, AppState, response};

use crate::schema::opera_log::{DeleteOperaLogParam, OperaLogDetail, OperaLogQuery};
use crate::service::opera_log;

fba_common::permission!(
    /// Batch delete of operation log rows.
    LogOperaDel = "log:opera:del"
);
fba_common::permission!(
    /// Clearing the operation log.
    LogOperaClear = "log:opera:clear"
);

/// Registers the `/logs/opera` routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("")
            .route(web::get().to(list))
            .route(web::delete().to(delete)),
    )
    .service(resource("/all").route(web::delete().to(delete_all)));
}

/// `GET /logs/opera`: one page, filtered by `username` (LIKE), `status`, `ip` (LIKE), newest
/// first.
#[utoipa::path(
    get,
    path = "/api/v1/logs/opera",
    tag = "操作日志",
    operation_id = "get_opera_logs_paginated",
    summary = "分页获取操作日志",
    params(OperaLogQuery, PageParams),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<GetOperaLogDetail>", body = ResponseModel<Page<OperaLogDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    _auth: AuthUser,
    params: PageParams,
    query: Query<OperaLogQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().parse()?;
    let page = opera_log::list(&state, &filter, &params).await?;
    Ok(response::ok(page))
}

/// `DELETE /logs/opera` with `{"pks": [..]}`; the soft failure when no row matched.
#[utoipa::path(
    delete,
    path = "/api/v1/logs/opera",
    tag = "操作日志",
    operation_id = "delete_opera_logs",
    summary = "批量删除操作日志",
    security(("HTTPBearer" = [])),
    request_body = DeleteOperaLogParam,
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn delete(
    state: web::Data<AppState>,
    _perm: Perm<LogOperaDel>,
    body: ValidJson<DeleteOperaLogParam>,
) -> AppResult<HttpResponse> {
    let pks = body.into_inner();
    let count = opera_log::delete(&state, &pks).await?;
    Ok(response::ok_or_soft_fail(count))
}

/// `DELETE /logs/opera/all`: clears the log.
#[utoipa::path(
    delete,
    path = "/api/v1/logs/opera/all",
    tag = "操作日志",
    operation_id = "delete_all_opera_logs",
    summary = "清空操作日志",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
    )
)]
pub async fn delete_all(
    state: web::Data<AppState>,
    _perm: Perm<LogOperaClear>,
) -> AppResult<HttpResponse> {
    opera_log::delete_all(&state).await?;
    Ok(response::ok_empty())
}
