//! FBA's task API (`app/task/api/v1`): `/tasks` ([`control`]), `/task-results` ([`result`]),
//! `/schedulers` ([`scheduler`]), mounted inside the API prefix by the module. Thin handlers:
//! extract, call one service function, wrap the result. No SQL, no business rules.
//!
//! Every handler carries `#[utoipa::path]` with FBA's tag (`任务`), summary (the title the
//! operation log records) and operation id; [`TaskApi`] collects them for the server's
//! document.

use actix_web::web::{self, ServiceConfig};

pub mod control;
pub mod result;
pub mod scheduler;

/// FBA's OpenAPI tag of every task route.
pub const TAG: &str = "任务";

/// 503: no worker announced itself recently.
pub const NO_WORKER: &str = "No live worker (`Celery Worker 暂不可用，请稍后重试`)";

/// The OpenAPI paths of the task API, under the default `/api/v1` prefix (the patterns the
/// operation log looks titles up by). Routes that need a token name the `HTTPBearer` security
/// scheme, which the server's document defines.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    control::registered,
    control::cancel,
    result::get_result,
    result::list,
    result::delete,
    scheduler::all,
    scheduler::get_scheduler,
    scheduler::list,
    scheduler::create,
    scheduler::update,
    scheduler::update_status,
    scheduler::delete,
    scheduler::execute,
))]
pub struct TaskApi;

/// Registers the task API's scopes (`/tasks`, `/task-results`, `/schedulers`) on `cfg`.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(web::scope("/tasks").configure(control::configure))
        .service(web::scope("/task-results").configure(result::configure))
        .service(web::scope("/schedulers").configure(scheduler::configure));
}
