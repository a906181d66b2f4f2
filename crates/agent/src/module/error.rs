//! [`ApiError`]: the agent API's business failures and their one mapping to FBA's reply.

use fba_common::{AppError, FieldError};
use serde_json::Value;

/// A business failure of the agent API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 503: no configuration was found (or it could not be used); the message says why.
    #[error("agent not configured: {0}")]
    NotConfigured(String),
    /// 404: no such session (or another user's).
    #[error("会话不存在")]
    SessionNotFound,
    /// 404: no such run of the session.
    #[error("运行不存在")]
    RunNotFound,
    /// 404: no such background task.
    #[error("后台任务不存在")]
    TaskNotFound,
    /// 404: not the session's pending interrupt.
    #[error("中断不存在或不是待处理的中断")]
    InterruptNotFound,
    /// 404: no such file in the workspace.
    #[error("文件不存在: {0}")]
    FileNotFound(String),
    /// 403: a path leading out of the workspace.
    #[error("{0}")]
    AccessDenied(String),
    /// 409: a run of the session is in progress.
    #[error("会话正在运行中")]
    Busy,
    /// 409: the run is not in progress.
    #[error("运行已结束")]
    NotRunning,
    /// 409: the user has `AGENT_MAX_SESSIONS_PER_USER` sessions.
    #[error("会话数量已达上限 ({0})")]
    TooManySessions(u64),
    /// 422: an unknown model alias.
    #[error("unknown model")]
    UnknownModel(String),
    /// The agent library failed.
    #[error(transparent)]
    Agent(#[from] crate::AgentError),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

impl From<ApiError> for AppError {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::NotConfigured(_) => AppError::Custom {
                code: 503,
                msg: e.to_string(),
            },
            ApiError::SessionNotFound
            | ApiError::RunNotFound
            | ApiError::TaskNotFound
            | ApiError::InterruptNotFound
            | ApiError::FileNotFound(_) => AppError::NotFound(e.to_string()),
            ApiError::AccessDenied(msg) => AppError::Forbidden(msg),
            ApiError::Busy | ApiError::NotRunning | ApiError::TooManySessions(_) => {
                AppError::Conflict(e.to_string())
            }
            ApiError::UnknownModel(model) => AppError::validation(FieldError::body(
                "value_error",
                "model",
                Value::String(model.clone()),
                Some(serde_json::json!({ "error": format!("unknown model {model:?}") })),
            )),
            ApiError::Agent(crate::AgentError::Busy) => {
                AppError::Conflict(ApiError::Busy.to_string())
            }
            ApiError::Agent(crate::AgentError::Interrupt(msg)) => AppError::NotFound(msg),
            ApiError::Agent(other) => AppError::Internal(other.to_string()),
            ApiError::Db(e) => e.into(),
        }
    }
}
