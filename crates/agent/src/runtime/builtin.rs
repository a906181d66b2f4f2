//! The tools the loop itself answers, because they change the session's state: `write_todos`,
//! `submit_plan`, and the background subagent tools `task`, `wait` and `task_output`.

use serde::Deserialize;
use serde_json::{Value, json};

use super::state::Todo;
use crate::llm::ToolSpec;

/// `write_todos`.
pub const WRITE_TODOS: &str = "write_todos";
/// `submit_plan`.
pub const SUBMIT_PLAN: &str = "submit_plan";
/// `task`.
pub const TASK: &str = "task";
/// `wait`.
pub const WAIT: &str = "wait";
/// `task_output`.
pub const TASK_OUTPUT: &str = "task_output";

/// What the tool message says when a plan is approved.
pub const PLAN_APPROVED: &str = "Plan approved. Proceed with execution.";

/// The tool message of a rejected plan.
pub fn plan_rejected(feedback: &str) -> String {
    let feedback = if feedback.trim().is_empty() {
        "(none)"
    } else {
        feedback.trim()
    };
    format!(
        "<system-reminder>Your plan was rejected. User feedback: {feedback}. You MUST submit the revised plan for review using submit_plan before proceeding.</system-reminder>"
    )
}

/// The tool message of a rejected tool call (generic approval).
pub fn tool_rejected(tool: &str, feedback: &str) -> String {
    let mut text = format!("ERROR: The user rejected the {tool} call.");
    if !feedback.trim().is_empty() {
        text.push_str(&format!(" User feedback: {}", feedback.trim()));
    }
    text
}

/// The reminder put before each user message in plan mode.
pub const PLAN_MODE_REMINDER: &str = "<system-reminder>Plan mode is on: research and read as needed, but do not change files or run side-effecting code yet. When you know what to do, call submit_plan with the plan and wait for the user's approval.</system-reminder>";

/// Arguments of `write_todos`.
#[derive(Debug, Deserialize)]
pub struct WriteTodosArgs {
    /// The whole new list.
    pub todos: Vec<Todo>,
}

/// Arguments of `submit_plan`.
#[derive(Debug, Deserialize)]
pub struct SubmitPlanArgs {
    /// The plan.
    pub description: String,
}

/// Arguments of `task`.
#[derive(Debug, Deserialize)]
pub struct TaskArgs {
    /// What the subagent should do, with all the context it needs.
    pub description: String,
    /// Which subagent.
    pub subagent_type: String,
}

/// Arguments of `wait`.
#[derive(Debug, Deserialize)]
pub struct WaitArgs {
    /// One task's number, or all when absent.
    #[serde(default)]
    pub task_number: Option<u32>,
    /// Seconds to wait at most (60 by default).
    #[serde(default = "default_wait")]
    pub timeout: f64,
}

fn default_wait() -> f64 {
    60.0
}

/// Arguments of `task_output`.
#[derive(Debug, Deserialize)]
pub struct TaskOutputArgs {
    /// One task's number, or all when absent.
    #[serde(default)]
    pub task_number: Option<u32>,
}

/// Upstream's answer to `write_todos`: the list as Python prints it.
pub fn todos_updated(todos: &[Todo]) -> String {
    let items: Vec<String> = todos
        .iter()
        .map(|t| {
            let status = serde_json::to_value(t.status).ok();
            let status = status.as_ref().and_then(Value::as_str).unwrap_or("pending");
            format!(
                "{{'content': {}, 'status': '{status}'}}",
                crate::mcp::python::str_repr(&t.content)
            )
        })
        .collect();
    format!("Updated todo list to [{}]", items.join(", "))
}

/// The spec of `write_todos`.
pub fn write_todos_spec() -> ToolSpec {
    ToolSpec {
        name: WRITE_TODOS.into(),
        description: "Create or replace the todo list of this task. Use it for work of three or more steps: list the steps, mark one `in_progress` before starting it and `completed` as soon as it is done. Send the whole list each time.".into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "todos": {
                    "type": "array",
                    "description": "The whole todo list.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "content": {"type": "string", "description": "What to do."},
                            "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]}
                        },
                        "required": ["content", "status"]
                    }
                }
            },
            "required": ["todos"]
        }),
    }
}

/// The spec of `submit_plan`.
pub fn submit_plan_spec() -> ToolSpec {
    ToolSpec {
        name: SUBMIT_PLAN.into(),
        description: "Submit a plan for the user's review before carrying it out. The user approves it or rejects it with feedback; on approval, carry out the plan.".into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "description": {"type": "string", "description": "The plan: the steps, the tools and the expected outputs."}
            },
            "required": ["description"]
        }),
    }
}

/// The spec of `task`, listing the subagents (`(name, description)`).
pub fn task_spec(subagents: &[(String, String)]) -> ToolSpec {
    let list: Vec<String> = subagents
        .iter()
        .map(|(n, d)| format!("- {n}: {d}"))
        .collect();
    ToolSpec {
        name: TASK.into(),
        description: format!(
            "Start a subagent in the background on a complex or self-contained piece of work. It works on its own with its own context and only its final report comes back; start several in one message to run them in parallel. You get a Task-N handle at once: keep working, then use task_output or wait for the result.\n\nSubagents:\n{}",
            list.join("\n")
        ),
        parameters: json!({
            "type": "object",
            "properties": {
                "description": {"type": "string", "description": "The work, with every detail the subagent needs: it sees nothing of this conversation."},
                "subagent_type": {"type": "string", "enum": subagents.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>()}
            },
            "required": ["description", "subagent_type"]
        }),
    }
}

/// The spec of `wait`.
pub fn wait_spec() -> ToolSpec {
    ToolSpec {
        name: WAIT.into(),
        description: "Wait for background subagent tasks to finish and return their results. Give task_number for one task, or nothing to wait for all; timeout is in seconds (60 by default).".into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "task_number": {"type": "integer", "description": "The N of Task-N; leave out to wait for all."},
                "timeout": {"type": "number", "description": "Seconds to wait at most.", "default": 60}
            }
        }),
    }
}

/// The spec of `task_output`.
pub fn task_output_spec() -> ToolSpec {
    ToolSpec {
        name: TASK_OUTPUT.into(),
        description: "Get a background subagent task's result if it has finished, or its progress if it is still running. task_output(task_number=1) for one task, task_output() for all.".into(),
        parameters: json!({
            "type": "object",
            "properties": {
                "task_number": {"type": "integer", "description": "The N of Task-N; leave out for all tasks."}
            }
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::state::TodoStatus;

    #[test]
    fn todos_are_printed_as_python_does() {
        let todos = vec![
            Todo {
                content: "fetch data".into(),
                status: TodoStatus::Completed,
            },
            Todo {
                content: "it's done".into(),
                status: TodoStatus::InProgress,
            },
        ];
        assert_eq!(
            todos_updated(&todos),
            "Updated todo list to [{'content': 'fetch data', 'status': 'completed'}, {'content': \"it's done\", 'status': 'in_progress'}]"
        );
    }

    #[test]
    fn rejection_texts() {
        assert_eq!(
            plan_rejected("use fewer steps"),
            "<system-reminder>Your plan was rejected. User feedback: use fewer steps. You MUST submit the revised plan for review using submit_plan before proceeding.</system-reminder>"
        );
        assert_eq!(
            tool_rejected("Bash", ""),
            "ERROR: The user rejected the Bash call."
        );
    }
}
