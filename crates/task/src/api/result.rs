//! `/api/v1/task-results` (FBA's `app/task/api/v1/result.py`): result details and pages for
//! any signed-in user, batch deletes under RBAC `sys:task:del`.

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel, ok, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};
use fba_common::{AppResult, AppState};

use super::TAG;
use crate::schema::result::{DeleteTaskResultParam, TaskResultDetail, TaskResultQuery};
use crate::service::result as service;

fba_common::permission!(
    /// `DELETE /task-results`.
    TaskResultDel = "sys:task:del"
);

/// `GET /task-results/{pk}`.
#[utoipa::path(
    get,
    path = "/api/v1/task-results/{pk}",
    tag = TAG,
    operation_id = "get_task_result",
    summary = "获取任务结果详情",
    params(
        ("pk" = i64, Path, description = "任务结果 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetTaskResultDetail", body = ResponseModel<TaskResultDetail>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn get_result(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(service::get(&state.db, pk.into_inner()).await?))
}

/// `GET /task-results?name=&task_id=&page=&size=`.
#[utoipa::path(
    get,
    path = "/api/v1/task-results",
    tag = TAG,
    operation_id = "get_task_results_paginated",
    summary = "分页获取所有任务结果",
    params(
        TaskResultQuery,
        PageParams,
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<GetTaskResultDetail>", body = ResponseModel<Page<TaskResultDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn list(
    _auth: AuthUser,
    state: web::Data<AppState>,
    params: PageParams,
    query: Query<TaskResultQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().parse();
    Ok(ok(service::page(&state.db, &filter, &params).await?))
}

/// `DELETE /task-results` with `{"pks": [..]}`.
#[utoipa::path(
    delete,
    path = "/api/v1/task-results",
    tag = TAG,
    operation_id = "delete_task_result",
    summary = "批量删除任务结果",
    request_body = DeleteTaskResultParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn delete(
    _perm: Perm<TaskResultDel>,
    state: web::Data<AppState>,
    body: ValidJson<DeleteTaskResultParam>,
) -> AppResult<HttpResponse> {
    let pks = body.into_inner();
    Ok(ok_or_soft_fail(service::delete(&state, &pks).await?))
}

/// Registers the routes inside the `/task-results` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/{pk}").route(web::get().to(get_result)))
        .service(
            resource("")
                .route(web::get().to(list))
                .route(web::delete().to(delete)),
        );
}
