//! `/api/v1/logs/login`: list (any signed-in user), batch delete (`log:login:del`), clear
//! (`log:login:clear`).

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};
use fba_common::{AppResult, AppState, response};

use crate::schema::login_log::{DeleteLoginLogParam, LoginLogDetail, LoginLogFilter};
use crate::service::login_log;

fba_common::permission!(
    /// Batch delete of login log rows.
    LogLoginDel = "log:login:del"
);
fba_common::permission!(
    /// Clearing the login log.
    LogLoginClear = "log:login:clear"
);

/// Registers the `/logs/login` routes.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("")
            .route(web::get().to(list))
            .route(web::delete().to(delete)),
    )
    .service(resource("/all").route(web::delete().to(delete_all)));
}

/// `GET /logs/login`: one page, filtered by `username` (LIKE), `status`, `ip` (LIKE).
#[utoipa::path(
    get,
    path = "/api/v1/logs/login",
    tag = "登录日志",
    operation_id = "get_login_logs_paginated",
    summary = "分页获取登录日志",
    params(LoginLogFilter, PageParams),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<GetLoginLogDetail>", body = ResponseModel<Page<LoginLogDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn list(
    state: web::Data<AppState>,
    _auth: AuthUser,
    params: PageParams,
    filter: Query<LoginLogFilter>,
) -> AppResult<HttpResponse> {
    let page = login_log::list(&state, &filter.into_inner(), &params).await?;
    Ok(response::ok(page))
}

/// `DELETE /logs/login` with `{"pks": [..]}`; the soft failure when no row matched.
#[utoipa::path(
    delete,
    path = "/api/v1/logs/login",
    tag = "登录日志",
    operation_id = "delete_login_logs",
    summary = "批量删除登录日志",
    request_body = DeleteLoginLogParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn delete(
    state: web::Data<AppState>,
    _perm: Perm<LogLoginDel>,
    body: ValidJson<DeleteLoginLogParam>,
) -> AppResult<HttpResponse> {
    let pks = body.into_inner();
    let count = login_log::delete(&state, &pks).await?;
    Ok(response::ok_or_soft_fail(count))
}

/// `DELETE /logs/login/all`: clears the log.
#[utoipa::path(
    delete,
    path = "/api/v1/logs/login/all",
    tag = "登录日志",
    operation_id = "delete_all_login_logs",
    summary = "清空登录日志",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
    )
)]
async fn delete_all(
    state: web::Data<AppState>,
    _perm: Perm<LogLoginClear>,
) -> AppResult<HttpResponse> {
    login_log::delete_all(&state).await?;
    Ok(response::ok_empty())
}
