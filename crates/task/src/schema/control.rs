//! `/tasks` shapes: FBA's `TaskRegisteredDetail`.

use serde::Serialize;

use crate::control::AnnouncedTask;

/// One task a live worker runs (FBA's `TaskRegisteredDetail`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TaskRegisteredDetail {
    /// The task's description (its docstring in FBA), or its name when it has none.
    pub name: String,
    /// The registered task name.
    pub task: String,
}

impl From<AnnouncedTask> for TaskRegisteredDetail {
    fn from(t: AnnouncedTask) -> Self {
        let name = if t.doc.trim().is_empty() {
            t.name.clone()
        } else {
            t.doc
        };
        Self { name, task: t.name }
    }
}
