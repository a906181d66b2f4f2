//! Helpers the end-to-end tests share: a temporary directory, the event outline, request
//! checks for the fake model and token sums.
#![allow(clippy::unwrap_used)] // a failed set-up is a failed test

use std::path::PathBuf;

use fba_agent::llm::Usage;
use fba_agent::runtime::{AgentEvent, EventKind};
use fba_agent::testkit::llm::DEFAULT_USAGE;
use serde_json::Value;
use tokio::sync::mpsc;

/// A temporary directory, removed when dropped.
pub struct Dir(pub PathBuf);

impl Dir {
    /// A fresh directory named after `tag`.
    pub fn new(tag: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("fba-agent-e2e-{tag}-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The events received so far.
pub fn drain(rx: &mut mpsc::UnboundedReceiver<AgentEvent>) -> Vec<AgentEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}

/// The events without the deltas and usage, as `type[:tool]` strings.
pub fn outline(events: &[AgentEvent]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| {
            let tag = e.task.map(|n| format!("#{n} ")).unwrap_or_default();
            match &e.kind {
                EventKind::TextDelta { .. }
                | EventKind::ThinkingDelta { .. }
                | EventKind::Usage { .. } => None,
                EventKind::ToolCall { name, .. } => Some(format!("{tag}tool_call:{name}")),
                EventKind::ToolResult { name, is_error, .. } => Some(format!(
                    "{tag}tool_result:{name}{}",
                    if *is_error { ":error" } else { "" }
                )),
                EventKind::RunFinished { stop_reason, .. } => {
                    Some(format!("run_finished:{stop_reason:?}"))
                }
                other => Some(format!(
                    "{tag}{}",
                    AgentEvent {
                        task: None,
                        kind: other.clone()
                    }
                    .type_name()
                )),
            }
        })
        .collect()
}

/// A request check of the fake model: the body contains `needle`.
pub fn contains(
    needle: &'static str,
) -> impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static {
    move |body: &Value| {
        let text = body.to_string();
        if text.contains(needle) {
            Ok(())
        } else {
            Err(format!("the request lacks {needle:?}"))
        }
    }
}

/// `n` model calls of the fake model's default usage.
pub fn times(n: u64) -> Usage {
    let mut total = Usage::default();
    for _ in 0..n {
        total += DEFAULT_USAGE;
    }
    total
}
