//! A session's durable state: everything a checkpoint holds, so a session resumes where it
//! stopped after a restart.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::llm::{Message, Usage};

/// One entry of the todo list (`write_todos`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    /// What to do.
    pub content: String,
    /// `pending`, `in_progress` or `completed`.
    pub status: TodoStatus,
}

/// A todo's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TodoStatus {
    /// Not started.
    Pending,
    /// Being worked on.
    InProgress,
    /// Done.
    Completed,
}

/// A background subagent's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Still working.
    Running,
    /// Finished with a result.
    Done,
    /// Failed (or was cut off by a restart).
    Error,
}

/// A background subagent (`Task-N`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    /// N of `Task-N`, from 1 per session.
    pub number: u32,
    /// The `task` call that started it.
    pub tool_call_id: String,
    /// What it was asked.
    pub description: String,
    /// Its type (`general-purpose`, `research`).
    pub subagent_type: String,
    /// Its progress.
    pub status: TaskStatus,
    /// Its final answer.
    pub result: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
    /// Whether the model has read the result (it is then not announced again).
    pub seen: bool,
    /// Tool calls by tool name.
    pub tool_call_counts: BTreeMap<String, u32>,
    /// All its tool calls.
    pub total_tool_calls: u32,
    /// The tool it is running now.
    pub current_tool: Option<String>,
    /// Its tokens.
    pub usage: Usage,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}

impl TaskRecord {
    /// `Task-N`.
    pub fn display_id(&self) -> String {
        format!("Task-{}", self.number)
    }
}

/// A tool call waiting for the user's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingInterrupt {
    /// The interrupt's id.
    pub id: String,
    /// `plan` or `tool`.
    pub kind: String,
    /// The call's position in the last assistant message's tool calls.
    pub call_index: usize,
}

/// Token counts of a session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageBook {
    /// Everything: the main agent and every subagent.
    pub session: Usage,
    /// The main agent.
    pub main: Usage,
    /// Each background subagent, by task number.
    pub tasks: BTreeMap<u32, Usage>,
    /// Model calls made.
    pub calls: u64,
}

/// Everything a checkpoint of a session holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionState {
    /// The conversation.
    pub messages: Vec<Message>,
    /// The todo list.
    pub todos: Vec<Todo>,
    /// The approved plan.
    pub plan: Option<String>,
    /// Plan mode: the model is reminded to submit a plan before acting.
    pub plan_mode: bool,
    /// Token counts.
    pub usage: UsageBook,
    /// Background subagents.
    pub tasks: Vec<TaskRecord>,
    /// A tool call waiting for approval.
    pub pending: Option<PendingInterrupt>,
    /// Runs started, for ids.
    pub runs: u64,
}

impl SessionState {
    /// After a restart: background subagents that were running are marked failed (their
    /// process is gone), so the model is told instead of waiting forever.
    pub fn recover_after_restart(&mut self) {
        for task in self
            .tasks
            .iter_mut()
            .filter(|t| t.status == TaskStatus::Running)
        {
            task.status = TaskStatus::Error;
            task.error = Some("the server restarted while this task was running".into());
            task.current_tool = None;
            task.finished_at = Some(Utc::now());
        }
    }
}
