//! `/api/v1/agent/...`: thin handlers over [`AgentService`]. JSON replies use FBA's envelope;
//! runs answer an SSE stream. Every route checks an `agent:*` permission; a user sees only their
//! own sessions (another user's session is a 404).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use fba_common::extract::ValidJson;
use fba_common::openapi as doc;
use fba_common::pagination::{Page, PageParams};
use fba_common::response::{Null, ResponseModel, ok, ok_empty};
use fba_common::routing::resource;
use fba_common::security::Perm;
use fba_common::{AppError, AppResult};
use serde::Deserialize;
use serde_json::json;

use super::doc as doc_types;
use super::error::ApiError;
use super::files;
use super::runs::{RunBuffer, parse_event_id};
use super::schema::{
    CreateSessionParam, MessageParam, ResumeParam, SessionDetail, SessionInfo, UpdateSessionParam,
};
use super::service::AgentService;
use crate::runtime::RunInput;

fba_common::permission!(
    /// Reading sessions, runs, tasks, files, models and MCP status.
    SessionView = "agent:session:view"
);
fba_common::permission!(
    /// `POST /agent/sessions`.
    SessionAdd = "agent:session:add"
);
fba_common::permission!(
    /// Changing a session: title, plan mode, clear, messages, cancel, interrupts.
    SessionEdit = "agent:session:edit"
);
fba_common::permission!(
    /// `DELETE /agent/sessions/{id}`.
    SessionDel = "agent:session:del"
);

/// How often an idle SSE stream sends `: ping`.
pub const PING: Duration = Duration::from_secs(15);

/// The agent of the app, once the module started: what the handlers take.
#[derive(Clone, Default)]
pub struct AgentHandle(pub(crate) Arc<OnceLock<Arc<AgentService>>>);

impl std::fmt::Debug for AgentHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("AgentHandle").finish()
    }
}

impl AgentHandle {
    /// The started service.
    ///
    /// # Errors
    /// 503 before the module started.
    pub fn get(&self) -> Result<&Arc<AgentService>, AppError> {
        self.0
            .get()
            .ok_or_else(|| AppError::Unavailable("agent".to_owned()))
    }
}

type Agent = web::Data<AgentHandle>;

/// The service, when the agent is configured (every route answers 503 otherwise).
fn configured(agent: &Agent) -> Result<&Arc<AgentService>, AppError> {
    let service = agent.get()?;
    service.host()?;
    Ok(service)
}

fn sse(buffer: &Arc<RunBuffer>, after: u64) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .insert_header(("X-Run-Id", buffer.run_id().to_owned()))
        .streaming(buffer.stream(after, PING))
}

#[utoipa::path(
    get,
    path = "/api/v1/agent/models",
    tag = "AI 助手",
    operation_id = "agent_models",
    summary = "模型目录",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[ModelInfo]", body = ResponseModel<Vec<doc_types::ModelInfo>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn models(_p: Perm<SessionView>, agent: Agent) -> AppResult<HttpResponse> {
    let host = configured(&agent)?.host()?;
    let list: Vec<_> = host
        .models()
        .into_iter()
        .map(|(alias, model_id, wire)| json!({"alias": alias, "model_id": model_id, "wire": wire}))
        .collect();
    Ok(ok(list))
}

#[utoipa::path(
    get,
    path = "/api/v1/agent/mcp/servers",
    tag = "AI 助手",
    operation_id = "agent_mcp_servers",
    summary = "MCP 服务器状态",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[McpServerInfo]", body = ResponseModel<Vec<doc_types::McpServerInfo>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn mcp_servers(_p: Perm<SessionView>, agent: Agent) -> AppResult<HttpResponse> {
    let host = configured(&agent)?.host()?;
    Ok(ok(host.mcp_status()))
}

#[utoipa::path(
    get,
    path = "/api/v1/agent/health",
    tag = "AI 助手",
    operation_id = "agent_health",
    summary = "隔离与 MCP 状态",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "AgentHealth", body = ResponseModel<doc_types::AgentHealth>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn health(_p: Perm<SessionView>, agent: Agent) -> AppResult<HttpResponse> {
    let host = Arc::clone(configured(&agent)?.host()?);
    let isolation = web::block(move || host.isolation())
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let host = configured(&agent)?.host()?;
    Ok(ok(json!({
        "configured": true,
        "isolation": isolation,
        "mcp": host.mcp_status(),
    })))
}

#[utoipa::path(
    post,
    path = "/api/v1/agent/sessions",
    tag = "AI 助手",
    operation_id = "agent_create",
    summary = "创建会话",
    request_body = Object,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "SessionCreated", body = ResponseModel<doc_types::SessionCreated>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn create(
    p: Perm<SessionAdd>,
    agent: Agent,
    body: ValidJson<CreateSessionParam>,
) -> AppResult<HttpResponse> {
    let service = configured(&agent)?;
    let body = body.into_inner();
    let user = p.auth.user.id;
    let live = service
        .create(user, body.title, body.model, body.plan_mode)
        .await?;
    let row = service.row(user, &live.id).await?;
    let state = live.session.snapshot().await;
    Ok(ok(json!({
        "session": SessionDetail::new(SessionInfo::from(row), state, None),
        "isolation": live.workspace.sandbox.isolation(),
    })))
}

#[utoipa::path(
    get,
    path = "/api/v1/agent/sessions",
    tag = "AI 助手",
    operation_id = "agent_list",
    summary = "分页获取会话",
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "Page<SessionInfo>", body = ResponseModel<Page<SessionInfo>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn list(p: Perm<SessionView>, agent: Agent, params: PageParams) -> AppResult<HttpResponse> {
    let service = configured(&agent)?;
    let (rows, total) = service
        .list(p.auth.user.id, params.offset(), params.limit())
        .await?;
    let items: Vec<SessionInfo> = rows.into_iter().map(SessionInfo::from).collect();
    Ok(ok(Page::new(items, total, &params)))
}

#[utoipa::path(
    get,
    path = "/api/v1/agent/sessions/{id}",
    tag = "AI 助手",
    operation_id = "agent_detail",
    summary = "获取会话详情",
    params(
        ("id" = String, Path, description = "会话 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "SessionState", body = ResponseModel<doc_types::SessionState>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn detail(
    p: Perm<SessionView>,
    agent: Agent,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let service = configured(&agent)?;
    let user = p.auth.user.id;
    let row = service.row(user, &id).await?;
    let live = service.get(user, &id).await?;
    let state = live.session.snapshot().await;
    Ok(ok(SessionDetail::new(
        SessionInfo::from(row),
        state,
        live.active_run(),
    )))
}

#[utoipa::path(
    put,
    path = "/api/v1/agent/sessions/{id}",
    tag = "AI 助手",
    operation_id = "agent_update",
    summary = "更新会话",
    params(
        ("id" = String, Path, description = "会话 ID"),
    ),
    request_body = Object,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn update(
    p: Perm<SessionEdit>,
    agent: Agent,
    id: web::Path<String>,
    body: ValidJson<UpdateSessionParam>,
) -> AppResult<HttpResponse> {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, IntoActiveModel};
    let service = configured(&agent)?;
    let user = p.auth.user.id;
    let change = body.into_inner();
    let row = service.row(user, &id).await?;
    if let Some(on) = change.plan_mode {
        let live = service.get(user, &id).await?;
        service.set_plan_mode(&live, on).await?;
    }
    if let Some(title) = change.title {
        let mut active = row.into_active_model();
        active.title = Set(title);
        active.updated_time = Set(Some(chrono::Utc::now()));
        active.update(service.db()).await.map_err(ApiError::from)?;
    }
    Ok(ok_empty())
}

#[utoipa::path(
    delete,
    path = "/api/v1/agent/sessions/{id}",
    tag = "AI 助手",
    operation_id = "agent_delete",
    summary = "删除会话",
    params(
        ("id" = String, Path, description = "会话 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn delete(
    p: Perm<SessionDel>,
    agent: Agent,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    configured(&agent)?.delete(p.auth.user.id, &id).await?;
    Ok(ok_empty())
}

#[utoipa::path(
    post,
    path = "/api/v1/agent/sessions/{id}/clear",
    tag = "AI 助手",
    operation_id = "agent_clear",
    summary = "清空会话",
    params(
        ("id" = String, Path, description = "会话 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn clear(
    p: Perm<SessionEdit>,
    agent: Agent,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let service = configured(&agent)?;
    let live = service.get(p.auth.user.id, &id).await?;
    service.clear(&live).await?;
    Ok(ok_empty())
}

#[utoipa::path(
    post,
    path = "/api/v1/agent/sessions/{id}/messages",
    tag = "AI 助手",
    operation_id = "agent_send_message",
    summary = "发送消息（SSE）",
    params(
        ("id" = String, Path, description = "会话 ID"),
    ),
    request_body = Object,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "text/event-stream: the run's events", body = doc_types::EventStream, content_type = "text/event-stream"),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn send_message(
    p: Perm<SessionEdit>,
    agent: Agent,
    id: web::Path<String>,
    body: ValidJson<MessageParam>,
) -> AppResult<HttpResponse> {
    let service = configured(&agent)?;
    let live = service.get(p.auth.user.id, &id).await?;
    let buffer = service
        .start_run(&live, RunInput::Message(body.into_inner()))
        .await?;
    Ok(sse(&buffer, 0))
}

/// `?after=` of the events route.
#[derive(Debug, Deserialize)]
struct AfterQuery {
    after: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/agent/sessions/{id}/runs/{run}/events",
    tag = "AI 助手",
    operation_id = "agent_events",
    summary = "重新连接运行事件（SSE）",
    params(
        ("id" = String, Path, description = "会话 ID"),
        ("run" = String, Path, description = "运行 ID (run-N)"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "text/event-stream: the run's events", body = doc_types::EventStream, content_type = "text/event-stream"),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn events(
    p: Perm<SessionView>,
    agent: Agent,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    query: web::Query<AfterQuery>,
) -> AppResult<HttpResponse> {
    let (id, run) = path.into_inner();
    let service = configured(&agent)?;
    let live = service.get(p.auth.user.id, &id).await?;
    let buffer = live.run(&run).ok_or(ApiError::RunNotFound)?;
    let raw = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| query.into_inner().after);
    let after = match raw {
        None => 0,
        Some(raw) => parse_event_id(&raw).ok_or_else(|| {
            AppError::validation(fba_common::FieldError::new(
                "int_parsing",
                vec!["header".into(), "Last-Event-ID".into()],
                raw.into(),
                None,
            ))
        })?,
    };
    Ok(sse(&buffer, after))
}

#[utoipa::path(
    post,
    path = "/api/v1/agent/sessions/{id}/runs/{run}/cancel",
    tag = "AI 助手",
    operation_id = "agent_cancel",
    summary = "取消运行",
    params(
        ("id" = String, Path, description = "会话 ID"),
        ("run" = String, Path, description = "运行 ID (run-N)"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "null", body = ResponseModel<Null>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn cancel(
    p: Perm<SessionEdit>,
    agent: Agent,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, run) = path.into_inner();
    let service = configured(&agent)?;
    let live = service.get(p.auth.user.id, &id).await?;
    service.cancel(&live, &run)?;
    Ok(ok_empty())
}

#[utoipa::path(
    post,
    path = "/api/v1/agent/sessions/{id}/interrupts/{iid}",
    tag = "AI 助手",
    operation_id = "agent_resume",
    summary = "处理中断（SSE）",
    params(
        ("id" = String, Path, description = "会话 ID"),
        ("iid" = String, Path, description = "中断 ID"),
    ),
    request_body = Object,
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "text/event-stream: the run's events", body = doc_types::EventStream, content_type = "text/event-stream"),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn resume(
    p: Perm<SessionEdit>,
    agent: Agent,
    path: web::Path<(String, String)>,
    body: ValidJson<ResumeParam>,
) -> AppResult<HttpResponse> {
    let (id, interrupt_id) = path.into_inner();
    let service = configured(&agent)?;
    let live = service.get(p.auth.user.id, &id).await?;
    let buffer = service
        .start_run(
            &live,
            RunInput::Resume {
                interrupt_id,
                decision: body.into_inner(),
            },
        )
        .await?;
    Ok(sse(&buffer, 0))
}

#[utoipa::path(
    get,
    path = "/api/v1/agent/sessions/{id}/tasks",
    tag = "AI 助手",
    operation_id = "agent_tasks",
    summary = "后台任务列表",
    params(
        ("id" = String, Path, description = "会话 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[TaskInfo]", body = ResponseModel<Vec<doc_types::TaskInfo>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn tasks(
    p: Perm<SessionView>,
    agent: Agent,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let service = configured(&agent)?;
    let live = service.get(p.auth.user.id, &id).await?;
    Ok(ok(live.session.snapshot().await.tasks))
}

#[utoipa::path(
    get,
    path = "/api/v1/agent/sessions/{id}/tasks/{n}",
    tag = "AI 助手",
    operation_id = "agent_task",
    summary = "后台任务详情",
    params(
        ("id" = String, Path, description = "会话 ID"),
        ("n" = String, Path, description = "任务编号"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "TaskInfo", body = ResponseModel<doc_types::TaskInfo>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn task(
    p: Perm<SessionView>,
    agent: Agent,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, n) = path.into_inner();
    let service = configured(&agent)?;
    let live = service.get(p.auth.user.id, &id).await?;
    let number: u32 = n
        .trim_start_matches("Task-")
        .parse()
        .map_err(|_| ApiError::TaskNotFound)?;
    let state = live.session.snapshot().await;
    let task = state
        .tasks
        .into_iter()
        .find(|t| t.number == number)
        .ok_or(ApiError::TaskNotFound)?;
    Ok(ok(task))
}

/// `?all=` of the files list, `?download=` of a file.
#[derive(Debug, Deserialize)]
struct FilesQuery {
    all: Option<String>,
    download: Option<String>,
}

fn flag(v: Option<&str>) -> bool {
    matches!(v, Some("1" | "true" | "yes" | "on"))
}

#[utoipa::path(
    get,
    path = "/api/v1/agent/sessions/{id}/files",
    tag = "AI 助手",
    operation_id = "agent_file_list",
    summary = "工作区文件树",
    params(
        ("id" = String, Path, description = "会话 ID"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "list[FileEntry]", body = ResponseModel<Vec<super::schema::FileEntry>>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn file_list(
    p: Perm<SessionView>,
    agent: Agent,
    id: web::Path<String>,
    query: web::Query<FilesQuery>,
) -> AppResult<HttpResponse> {
    let service = configured(&agent)?;
    let live = service.get(p.auth.user.id, &id).await?;
    let all = flag(query.all.as_deref());
    let root = live.workspace.sandbox.workspace_dir().to_path_buf();
    let entries = web::block(move || files::tree(&root, all))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(ok(entries))
}

#[utoipa::path(
    get,
    path = "/api/v1/agent/sessions/{id}/files/{path}",
    tag = "AI 助手",
    operation_id = "agent_file_get",
    summary = "查看或下载文件",
    params(
        ("id" = String, Path, description = "会话 ID"),
        ("path" = String, Path, description = "工作区内的路径"),
    ),
    security(("HTTPBearer" = [])),
    responses(
        (status = 200, description = "FileView (or the bytes with ?download=1)", body = ResponseModel<super::schema::FileView>),
        (status = 401, description = doc::UNAUTHORIZED, body = ref(doc::ERROR_BODY)),
        (status = 403, description = doc::FORBIDDEN, body = ref(doc::ERROR_BODY)),
        (status = 404, description = doc::NOT_FOUND, body = ref(doc::ERROR_BODY)),
        (status = 409, description = doc::CONFLICT, body = ref(doc::ERROR_BODY)),
        (status = 422, description = doc::INVALID, body = ref(doc::ERROR_BODY)),
        (status = 503, description = "agent not configured", body = ref(doc::ERROR_BODY)),
    )
)]
async fn file_get(
    p: Perm<SessionView>,
    agent: Agent,
    path: web::Path<(String, String)>,
    query: web::Query<FilesQuery>,
) -> AppResult<HttpResponse> {
    let (id, file) = path.into_inner();
    let service = configured(&agent)?;
    let live = service.get(p.auth.user.id, &id).await?;
    let fs = Arc::clone(&live.workspace.fs);
    let max = service.host()?.config().security.max_file_size;
    let shown = file.clone();
    let (bytes, rel) = web::block(move || files::read(&fs, &shown, max))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))??;
    if flag(query.download.as_deref()) {
        let name = rel.rsplit('/').next().unwrap_or("file").replace('"', "");
        return Ok(HttpResponse::Ok()
            .content_type("application/octet-stream")
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ))
            .body(bytes));
    }
    Ok(ok(files::view(rel, bytes)))
}

/// The OpenAPI paths of `/agent` (under the default `/api/v1` prefix, the patterns the
/// operation log looks titles up by).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    models,
    mcp_servers,
    health,
    create,
    list,
    detail,
    update,
    delete,
    clear,
    send_message,
    events,
    cancel,
    resume,
    tasks,
    task,
    file_list,
    file_get
))]
pub struct AgentApi;

/// Registers the routes inside the `/agent` scope.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/models").route(web::get().to(models)))
        .service(resource("/mcp/servers").route(web::get().to(mcp_servers)))
        .service(resource("/health").route(web::get().to(health)))
        .service(
            resource("/sessions")
                .route(web::get().to(list))
                .route(web::post().to(create)),
        )
        .service(
            resource("/sessions/{id}")
                .route(web::get().to(detail))
                .route(web::put().to(update))
                .route(web::delete().to(delete)),
        )
        .service(resource("/sessions/{id}/clear").route(web::post().to(clear)))
        .service(resource("/sessions/{id}/messages").route(web::post().to(send_message)))
        .service(resource("/sessions/{id}/runs/{run}/events").route(web::get().to(events)))
        .service(resource("/sessions/{id}/runs/{run}/cancel").route(web::post().to(cancel)))
        .service(resource("/sessions/{id}/interrupts/{iid}").route(web::post().to(resume)))
        .service(resource("/sessions/{id}/tasks").route(web::get().to(tasks)))
        .service(resource("/sessions/{id}/tasks/{n}").route(web::get().to(task)))
        .service(resource("/sessions/{id}/files").route(web::get().to(file_list)))
        .service(resource("/sessions/{id}/files/{path:.*}").route(web::get().to(file_get)));
}
