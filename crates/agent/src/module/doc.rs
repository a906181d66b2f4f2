//! The OpenAPI shapes of the agent's replies. The replies are built from the library's types
//! (which carry no OpenAPI derive, so the library stays free of the server's crates); these
//! structs document the same JSON.

use serde_json::Value;
use utoipa::ToSchema;

/// A model of the catalogue.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ModelInfo {
    /// The `llms.json` alias.
    alias: String,
    /// The provider's model id.
    model_id: String,
    /// `openai` or `anthropic`.
    wire: String,
}

/// An MCP server's state.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct McpServerInfo {
    /// Its name.
    name: String,
    /// `stdio`, `http` or `sse`.
    transport: String,
    /// Whether it is connected.
    connected: bool,
    /// Its tools.
    tool_count: u64,
    /// Why it is not connected.
    error: Option<String>,
}

/// The agent's health: the sandbox isolation on this machine and the MCP servers.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AgentHealth {
    /// Always `true` (an unconfigured agent answers 503).
    configured: bool,
    /// The isolation report: `layer` (`bwrap`, `landlock`, `none`), `bwrap`, `user_namespaces`,
    /// `landlock_abi`, `seccomp`, `network`, `rlimits`, `unavailable`, `notes`.
    #[schema(value_type = Object)]
    isolation: Value,
    /// The MCP servers.
    mcp: Vec<McpServerInfo>,
}

/// A session with its state (`GET /agent/sessions/{id}`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SessionState {
    /// Its id.
    id: String,
    /// Its title.
    title: String,
    /// Its model alias (`null`: the configured model).
    model: Option<String>,
    /// Its sandbox.
    sandbox_id: String,
    /// Plan mode.
    plan_mode: bool,
    /// `idle`, `interrupted` or `running`.
    status: String,
    /// Creation time.
    created_time: String,
    /// Last update.
    updated_time: Option<String>,
    /// The conversation: `{role, content: [{type: text|thinking|image, …}], tool_calls,
    /// tool_call_id, is_error}`.
    #[schema(value_type = Vec<Object>)]
    messages: Vec<Value>,
    /// The todo list: `{content, status}`.
    #[schema(value_type = Vec<Object>)]
    todos: Vec<Value>,
    /// The approved plan.
    plan: Option<String>,
    /// Background tasks (see [`TaskInfo`]).
    tasks: Vec<TaskInfo>,
    /// Token counts: `session`, `main`, `tasks` (by number), `calls`.
    #[schema(value_type = Object)]
    usage: Value,
    /// The interrupt waiting for a decision: `{id, kind, call_index}`.
    #[schema(value_type = Option<Object>)]
    pending_interrupt: Option<Value>,
    /// The run in progress.
    active_run: Option<String>,
    /// Runs started.
    runs: u64,
}

/// A new session and the isolation its code runs under.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SessionCreated {
    /// The session.
    session: SessionState,
    /// The isolation report.
    #[schema(value_type = Object)]
    isolation: Value,
}

/// A background subagent (`Task-N`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TaskInfo {
    /// N.
    number: u32,
    /// The `task` call that started it.
    tool_call_id: String,
    /// What it was asked.
    description: String,
    /// `general-purpose` or `research`.
    subagent_type: String,
    /// `running`, `done` or `error`.
    status: String,
    /// Its final answer.
    result: Option<String>,
    /// Why it failed.
    error: Option<String>,
    /// Whether the model has read the result.
    seen: bool,
    /// Tool calls by tool.
    #[schema(value_type = Object)]
    tool_call_counts: Value,
    /// All its tool calls.
    total_tool_calls: u32,
    /// The tool it runs now.
    current_tool: Option<String>,
    /// Its tokens.
    #[schema(value_type = Object)]
    usage: Value,
    /// Start time.
    created_at: String,
    /// End time.
    finished_at: Option<String>,
}

/// The SSE stream of a run: frames `id: run-N:seq`, `event: <type>`, `data: <json>`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EventStream(String);
