//! `/api/v1/tasks` (FBA's `app/task/api/v1/control.py`): the tasks live workers run, for
//! any signed-in user; revoking a job under RBAC `sys:task:revoke`.

use actix_web::{HttpResponse, web};
use fba_common::AppResult;
use fba_common::openapi as doc;
use fba_common::response::{Null, ResponseModel, ok, ok_empty};
use fba_common::routing::resource;
use fba_common::security::{AuthUser, Perm};

use super::{NO_WORKER, TAG};
use crate::module::TasksHandle;
use crate::schema::control::TaskRegisteredDetail;
use crate::service::control as service;

fba_common::permission!(
    /// `DELETE /tasks/{task_id}/cancel`.
    TaskRevoke = "sys:task:revoke"
);

/// `GET /tasks/registered`.
#[utoipa::path(
    get,
    path = "/api/v1/tasks/registered",
    tag = TAG,
    operation_id = "get_task_registered",
    summary = "获取已注册的任务",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[TaskRegisteredDetail]", body = ResponseModel<Vec<TaskRegisteredDetail>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 503, description = NO_WORKER, body = ref(doc::ERROR_BODY)),
    )
)]
async fn registered(_auth: AuthUser, tasks: web::Data<TasksHandle>) -> AppResult<HttpResponse> {
    Ok(ok(service::registered(tasks.get()?).await?))
}

/// `DELETE /tasks/{task_id}/cancel`.
#[utoipa::path(
    delete,
    path = "/api/v1/tasks/{task_id}/cancel",
    tag = TAG,
    operation_id = "revoke_task",
    summary = "撤销任务",
    params(
        ("task_id" = String, Path, description = "任务 UUID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 503, description = NO_WORKER, body = ref(doc::ERROR_BODY)),
    )
)]
async fn cancel(
    _perm: Perm<TaskRevoke>,
    tasks: web::Data<TasksHandle>,
    task_id: web::Path<String>,
) -> AppResult<HttpResponse> {
    service::revoke(tasks.get()?, &task_id).await?;
    Ok(ok_empty())
}

/// Registers the routes inside the `/tasks` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/registered").route(web::get().to(registered)))
        .service(resource("/{task_id}/cancel").route(web::delete().to(cancel)));
}
