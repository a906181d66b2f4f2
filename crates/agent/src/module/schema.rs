//! Request bodies (validated at the edge into typed values, 422 naming the field) and the
//! JSON shapes of the agent API.

use fba_common::AppError;
use fba_common::FieldError;
use fba_common::extract::{FieldErrors, Validate};
use fba_common::validate::{body_loc, check_text, lax_bool};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::model::agent_session;
use crate::llm::Message;
use crate::runtime::state::PendingInterrupt;
use crate::runtime::{Decision, SessionState, TaskRecord, Todo, UsageBook};

/// Longest title.
pub const TITLE_MAX_CHARS: usize = 256;
/// Longest message.
pub const CONTENT_MAX_CHARS: usize = 200_000;

fn opt_text(errors: &mut FieldErrors, field: &str, v: Option<Value>, max: usize) -> Option<String> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            errors.take(check_text(&body_loc(field), &s, Some(max)));
            Some(s)
        }
        Some(other) => {
            errors.push(FieldError::body("string_type", field, other, None));
            None
        }
    }
}

fn opt_bool(errors: &mut FieldErrors, field: &str, v: Option<Value>) -> Option<bool> {
    match v {
        None | Some(Value::Null) => None,
        Some(v) => Some(errors.take(lax_bool(&body_loc(field), &v))),
    }
}

/// Body of `POST /agent/sessions`.
#[derive(Debug, Default, Deserialize)]
pub struct CreateSessionParam {
    /// The title.
    #[serde(default)]
    pub title: Option<Value>,
    /// A model alias of the catalogue.
    #[serde(default)]
    pub model: Option<Value>,
    /// Plan mode.
    #[serde(default)]
    pub plan_mode: Option<Value>,
}

/// A valid `POST /agent/sessions` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    /// The title.
    pub title: Option<String>,
    /// The model alias.
    pub model: Option<String>,
    /// Plan mode.
    pub plan_mode: bool,
}

impl Validate for CreateSessionParam {
    type Valid = NewSession;

    fn validate(self) -> Result<NewSession, AppError> {
        let mut errors = FieldErrors::new();
        let title = opt_text(&mut errors, "title", self.title, TITLE_MAX_CHARS);
        let model = opt_text(&mut errors, "model", self.model, 128);
        let plan_mode = opt_bool(&mut errors, "plan_mode", self.plan_mode).unwrap_or(false);
        errors.finish()?;
        Ok(NewSession {
            title,
            model,
            plan_mode,
        })
    }
}

/// Body of `PUT /agent/sessions/{id}`.
#[derive(Debug, Default, Deserialize)]
pub struct UpdateSessionParam {
    /// The new title.
    #[serde(default)]
    pub title: Option<Value>,
    /// Plan mode.
    #[serde(default)]
    pub plan_mode: Option<Value>,
}

/// A valid `PUT /agent/sessions/{id}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionChange {
    /// The new title.
    pub title: Option<String>,
    /// Plan mode.
    pub plan_mode: Option<bool>,
}

impl Validate for UpdateSessionParam {
    type Valid = SessionChange;

    fn validate(self) -> Result<SessionChange, AppError> {
        let mut errors = FieldErrors::new();
        let title = opt_text(&mut errors, "title", self.title, TITLE_MAX_CHARS);
        let plan_mode = opt_bool(&mut errors, "plan_mode", self.plan_mode);
        errors.finish()?;
        Ok(SessionChange { title, plan_mode })
    }
}

/// Body of `POST /agent/sessions/{id}/messages`.
#[derive(Debug, Deserialize)]
pub struct MessageParam {
    /// The user's message.
    pub content: String,
}

impl Validate for MessageParam {
    type Valid = String;

    fn validate(self) -> Result<String, AppError> {
        check_text(&body_loc("content"), &self.content, Some(CONTENT_MAX_CHARS))?;
        if self.content.trim().is_empty() {
            return Err(AppError::validation(FieldError::body(
                "string_too_short",
                "content",
                Value::String(self.content),
                Some(serde_json::json!({ "min_length": 1 })),
            )));
        }
        Ok(self.content)
    }
}

/// Body of `POST /agent/sessions/{id}/interrupts/{iid}`.
#[derive(Debug, Deserialize)]
pub struct ResumeParam {
    /// `approve` or `reject`.
    pub decision: Value,
    /// Why (for a rejection), told to the model.
    #[serde(default)]
    pub feedback: Option<Value>,
}

impl Validate for ResumeParam {
    type Valid = Decision;

    fn validate(self) -> Result<Decision, AppError> {
        let mut errors = FieldErrors::new();
        let decision = match &self.decision {
            Value::String(s) if s == "approve" || s == "reject" => s.clone(),
            other => {
                errors.push(FieldError::body(
                    "literal_error",
                    "decision",
                    other.clone(),
                    Some(serde_json::json!({ "expected": "'approve' or 'reject'" })),
                ));
                String::new()
            }
        };
        let feedback = opt_text(&mut errors, "feedback", self.feedback, CONTENT_MAX_CHARS);
        errors.finish()?;
        Ok(if decision == "approve" {
            Decision::Approve
        } else {
            Decision::Reject {
                feedback: feedback.unwrap_or_default(),
            }
        })
    }
}

/// A session in the list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionInfo {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its model alias (`null`: the configured model).
    pub model: Option<String>,
    /// Its sandbox.
    pub sandbox_id: String,
    /// Plan mode.
    pub plan_mode: bool,
    /// `idle`, `interrupted` (and `running` while a run goes).
    pub status: String,
    /// Creation time.
    pub created_time: String,
    /// Last update.
    pub updated_time: Option<String>,
}

impl From<agent_session::Model> for SessionInfo {
    fn from(m: agent_session::Model) -> Self {
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M:%S").to_string();
        Self {
            id: m.id,
            title: m.title,
            model: m.model,
            sandbox_id: m.sandbox_id,
            plan_mode: m.plan_mode,
            status: m.status,
            created_time: fmt(m.created_time),
            updated_time: m.updated_time.map(fmt),
        }
    }
}

/// A session with its state.
#[derive(Debug, Clone, Serialize)]
pub struct SessionDetail {
    /// The session.
    #[serde(flatten)]
    pub info: SessionInfo,
    /// The conversation.
    pub messages: Vec<Message>,
    /// The todo list.
    pub todos: Vec<Todo>,
    /// The approved plan.
    pub plan: Option<String>,
    /// Background tasks.
    pub tasks: Vec<TaskRecord>,
    /// Token counts.
    pub usage: UsageBook,
    /// The interrupt waiting for a decision.
    pub pending_interrupt: Option<PendingInterrupt>,
    /// The run in progress.
    pub active_run: Option<String>,
    /// Runs started.
    pub runs: u64,
}

impl SessionDetail {
    /// The detail of `info` in `state`.
    pub fn new(mut info: SessionInfo, state: SessionState, active_run: Option<String>) -> Self {
        info.plan_mode = state.plan_mode;
        if active_run.is_some() {
            info.status = "running".to_owned();
        } else {
            info.status = super::store::status_of(&state).to_owned();
        }
        Self {
            info,
            messages: state.messages,
            todos: state.todos,
            plan: state.plan,
            tasks: state.tasks,
            usage: state.usage,
            pending_interrupt: state.pending,
            active_run,
            runs: state.runs,
        }
    }
}

/// One entry of the workspace tree.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileEntry {
    /// The path relative to the workspace.
    pub path: String,
    /// `file` or `dir`.
    pub kind: &'static str,
    /// Bytes (files).
    pub size: u64,
}

/// A file's content as text.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileView {
    /// The path relative to the workspace.
    pub path: String,
    /// Bytes.
    pub size: u64,
    /// Whether it is not UTF-8 text (then `content` is `null`).
    pub binary: bool,
    /// The text.
    pub content: Option<String>,
}
