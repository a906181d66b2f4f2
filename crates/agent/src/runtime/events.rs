//! What a run reports while it goes: the events of the SSE stream, in order.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::mpsc;

use super::state::{TaskStatus, Todo};
use crate::llm::Usage;

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStop {
    /// The model answered without calling a tool.
    EndTurn,
    /// A tool call waits for the user's approval; resume the interrupt to go on.
    Interrupted,
    /// The run was cancelled; background tasks go on.
    Cancelled,
    /// The step budget was used up.
    MaxSteps,
    /// The model (or the store) failed; the message says why.
    Error,
}

/// One event of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The run began.
    RunStarted {
        /// The run's id.
        run_id: String,
    },
    /// More answer text.
    TextDelta {
        /// The text.
        text: String,
    },
    /// More reasoning text.
    ThinkingDelta {
        /// The text.
        text: String,
    },
    /// The model called a tool.
    ToolCall {
        /// The call's id.
        id: String,
        /// The tool.
        name: String,
        /// Its arguments.
        arguments: Value,
    },
    /// A tool answered.
    ToolResult {
        /// The call's id.
        id: String,
        /// The tool.
        name: String,
        /// Whether it failed.
        is_error: bool,
        /// The answer's first characters.
        preview: String,
        /// How long it took.
        ms: u64,
    },
    /// The todo list changed.
    Todos {
        /// The whole list.
        todos: Vec<Todo>,
    },
    /// A plan was approved.
    Plan {
        /// The plan.
        description: String,
    },
    /// A tool call waits for approval.
    Interrupt {
        /// The interrupt's id (resume it with this id).
        id: String,
        /// `plan` (submit_plan) or `tool` (a tool that needs approval).
        kind: String,
        /// The tool.
        tool: String,
        /// The call's arguments.
        arguments: Value,
    },
    /// A background subagent started.
    TaskStarted {
        /// Its number (`Task-N`).
        number: u32,
        /// Its type.
        subagent_type: String,
        /// What it was asked.
        description: String,
    },
    /// A background subagent ended.
    TaskFinished {
        /// Its number.
        number: u32,
        /// Done or failed.
        status: TaskStatus,
    },
    /// Token counts after a model call.
    Usage {
        /// This call.
        call: Usage,
        /// This run so far.
        run: Usage,
        /// The session so far (subagents included).
        session: Usage,
    },
    /// Something failed; the run ends with `run_finished` next.
    Error {
        /// What failed.
        message: String,
    },
    /// The run ended.
    RunFinished {
        /// Why.
        stop_reason: RunStop,
        /// This run's tokens.
        usage: Usage,
    },
}

/// An event, tagged with the background task it comes from (none for the main agent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentEvent {
    /// The subagent's task number, for events of a background subagent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<u32>,
    /// The event.
    #[serde(flatten)]
    pub kind: EventKind,
}

impl AgentEvent {
    /// The event's type name (the SSE `event:` field).
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            EventKind::RunStarted { .. } => "run_started",
            EventKind::TextDelta { .. } => "text_delta",
            EventKind::ThinkingDelta { .. } => "thinking_delta",
            EventKind::ToolCall { .. } => "tool_call",
            EventKind::ToolResult { .. } => "tool_result",
            EventKind::Todos { .. } => "todos",
            EventKind::Plan { .. } => "plan",
            EventKind::Interrupt { .. } => "interrupt",
            EventKind::TaskStarted { .. } => "task_started",
            EventKind::TaskFinished { .. } => "task_finished",
            EventKind::Usage { .. } => "usage",
            EventKind::Error { .. } => "error",
            EventKind::RunFinished { .. } => "run_finished",
        }
    }
}

/// Where a run's events go. Sending never blocks and never fails the run: a listener that went
/// away is simply not told.
#[derive(Debug, Clone)]
pub struct EventSink {
    tx: Option<mpsc::UnboundedSender<AgentEvent>>,
    task: Option<u32>,
}

impl EventSink {
    /// A sink sending to `tx`.
    pub fn new(tx: mpsc::UnboundedSender<AgentEvent>) -> Self {
        Self {
            tx: Some(tx),
            task: None,
        }
    }

    /// A sink that drops everything.
    pub fn discard() -> Self {
        Self {
            tx: None,
            task: None,
        }
    }

    /// The same sink, tagging events with a background task's number.
    pub fn for_task(&self, number: u32) -> Self {
        Self {
            tx: self.tx.clone(),
            task: Some(number),
        }
    }

    /// Sends one event.
    pub fn send(&self, kind: EventKind) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(AgentEvent {
                task: self.task,
                kind,
            });
        }
    }
}
