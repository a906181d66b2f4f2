//! `/api/v1/schedulers` (FBA's `app/task/api/v1/scheduler.py`): entry lists, pages and
//! details for any signed-in user; writes under RBAC `sys:task:add|edit|del`; running an
//! entry now under `sys:task:exec`.

use actix_web::{HttpResponse, web};
use fba_common::extract::{Query, ValidJson};
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel, ok, ok_empty, ok_or_soft_fail};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};
use fba_common::{AppResult, AppState};

use super::{NO_WORKER, TAG};
use crate::module::TasksHandle;
use crate::schema::scheduler::{TaskSchedulerDetail, TaskSchedulerParam, TaskSchedulerQuery};
use crate::service::scheduler as service;

fba_common::permission!(
    /// `POST /schedulers`.
    TaskAdd = "sys:task:add"
);
fba_common::permission!(
    /// `PUT /schedulers/{pk}`, `PUT /schedulers/{pk}/status`.
    TaskEdit = "sys:task:edit"
);
fba_common::permission!(
    /// `DELETE /schedulers/{pk}`.
    TaskDel = "sys:task:del"
);
fba_common::permission!(
    /// `POST /schedulers/{pk}/execute`.
    TaskExec = "sys:task:exec"
);

/// `GET /schedulers/all`.
#[utoipa::path(
    get,
    path = "/api/v1/schedulers/all",
    tag = TAG,
    operation_id = "get_all_task_schedulers",
    summary = "获取所有任务调度",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[GetTaskSchedulerDetail]", body = ResponseModel<Vec<TaskSchedulerDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
    )
)]
async fn all(_auth: AuthUser, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    Ok(ok(service::all(&state.db).await?))
}

/// `GET /schedulers/{pk}`.
#[utoipa::path(
    get,
    path = "/api/v1/schedulers/{pk}",
    tag = TAG,
    operation_id = "get_task_scheduler",
    summary = "获取任务调度详情",
    params(
        ("pk" = i64, Path, description = "任务调度 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "GetTaskSchedulerDetail", body = ResponseModel<TaskSchedulerDetail>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn get_scheduler(
    _auth: AuthUser,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok(service::get(&state.db, pk.into_inner()).await?))
}

/// `GET /schedulers?name=&type=&page=&size=`.
#[utoipa::path(
    get,
    path = "/api/v1/schedulers",
    tag = TAG,
    operation_id = "get_task_scheduler_paginated",
    summary = "分页获取所有任务调度",
    params(
        TaskSchedulerQuery,
        PageParams,
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<GetTaskSchedulerDetail>", body = ResponseModel<Page<TaskSchedulerDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn list(
    _auth: AuthUser,
    state: web::Data<AppState>,
    params: PageParams,
    query: Query<TaskSchedulerQuery>,
) -> AppResult<HttpResponse> {
    let filter = query.into_inner().parse()?;
    Ok(ok(service::page(&state.db, &filter, &params).await?))
}

/// `POST /schedulers`.
#[utoipa::path(
    post,
    path = "/api/v1/schedulers",
    tag = TAG,
    operation_id = "create_task_scheduler",
    summary = "创建任务调度",
    request_body = TaskSchedulerParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 400, description = "Invalid crontab (`Crontab 表达式非法`)", body = ref(doc::ERROR_BODY)),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 409, description = "The name is taken, or both expiries are set", body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn create(
    _perm: Perm<TaskAdd>,
    state: web::Data<AppState>,
    body: ValidJson<TaskSchedulerParam>,
) -> AppResult<HttpResponse> {
    service::create(&state, body.into_inner()).await?;
    Ok(ok_empty())
}

/// `PUT /schedulers/{pk}`.
#[utoipa::path(
    put,
    path = "/api/v1/schedulers/{pk}",
    tag = TAG,
    operation_id = "update_task_scheduler",
    summary = "更新任务调度",
    params(
        ("pk" = i64, Path, description = "任务调度 ID"),
    ),
    request_body = TaskSchedulerParam,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 400, description = "Invalid crontab (`Crontab 表达式非法`)", body = ref(doc::ERROR_BODY)),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = "The name is taken, or both expiries are set", body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn update(
    _perm: Perm<TaskEdit>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
    body: ValidJson<TaskSchedulerParam>,
) -> AppResult<HttpResponse> {
    let entry = body.into_inner();
    Ok(ok_or_soft_fail(
        service::update(&state, pk.into_inner(), entry).await?,
    ))
}

/// `PUT /schedulers/{pk}/status`.
#[utoipa::path(
    put,
    path = "/api/v1/schedulers/{pk}/status",
    tag = TAG,
    operation_id = "update_task_scheduler_status",
    summary = "更新任务调度状态",
    params(
        ("pk" = i64, Path, description = "任务调度 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn update_status(
    _perm: Perm<TaskEdit>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok_or_soft_fail(
        service::toggle_status(&state, pk.into_inner()).await?,
    ))
}

/// `DELETE /schedulers/{pk}`.
#[utoipa::path(
    delete,
    path = "/api/v1/schedulers/{pk}",
    tag = TAG,
    operation_id = "delete_task_scheduler",
    summary = "删除任务调度",
    params(
        ("pk" = i64, Path, description = "任务调度 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = doc::NULL_OR_SOFT_FAILURE, body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
    )
)]
async fn delete(
    _perm: Perm<TaskDel>,
    state: web::Data<AppState>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(ok_or_soft_fail(
        service::delete(&state, pk.into_inner()).await?,
    ))
}

/// `POST /schedulers/{pk}/execute`.
#[utoipa::path(
    post,
    path = "/api/v1/schedulers/{pk}/execute",
    tag = TAG,
    operation_id = "execute_task",
    summary = "执行任务",
    params(
        ("pk" = i64, Path, description = "任务调度 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 400, description = "Invalid arguments (`执行失败，任务参数非法`)", body = ref(doc::ERROR_BODY)),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = NO_WORKER, body = ref(doc::ERROR_BODY)),
    )
)]
async fn execute(
    _perm: Perm<TaskExec>,
    state: web::Data<AppState>,
    tasks: web::Data<TasksHandle>,
    pk: web::Path<i64>,
) -> AppResult<HttpResponse> {
    service::execute(&state, tasks.get()?, pk.into_inner()).await?;
    Ok(ok_empty())
}

/// Registers the routes inside the `/schedulers` scope (`/all` before `/{pk}`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/all").route(web::get().to(all)))
        .service(
            resource("/{pk}")
                .route(web::get().to(get_scheduler))
                .route(web::put().to(update))
                .route(web::delete().to(delete)),
        )
        .service(resource("/{pk}/status").route(web::put().to(update_status)))
        .service(resource("/{pk}/execute").route(web::post().to(execute)))
        .service(
            resource("")
                .route(web::get().to(list))
                .route(web::post().to(create)),
        );
}
