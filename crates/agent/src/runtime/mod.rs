//! The agent loop as an explicit state machine: call the model, run the tool calls it asks for
//! (in parallel, results kept in call order), stop at an answer, an approval interrupt, a
//! cancellation or the step budget. Background subagents run the same loop with their own tools.

pub mod background;
pub mod builtin;
pub mod events;
mod patch;
mod runner;
pub mod state;
mod summarize;

pub use events::{AgentEvent, EventKind, EventSink, RunStop};
pub use runner::{
    AgentSpec, Checkpointer, Decision, NoCheckpoint, RunInput, RunOptions, Session, SubagentSpec,
};
pub use state::{SessionState, TaskRecord, TaskStatus, Todo, TodoStatus, UsageBook};
