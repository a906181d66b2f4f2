//! The plain sections of `config.yaml`, with upstream's keys and defaults.

use serde::{Deserialize, Serialize};

/// `security:` upstream's limits. Here they are enforced: the execution time, code length and
/// file size by the sandbox and the tools; the code "validation" lists are an advisory lint only
/// (no security boundary: the sandbox is).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SecurityConfig {
    /// Seconds one `execute_code` may run.
    pub max_execution_time: u64,
    /// Characters of code one `execute_code` may send.
    pub max_code_length: usize,
    /// Bytes a file written in the sandbox or by `write_file` may have.
    pub max_file_size: u64,
    /// Upstream's switch of the pattern and import checks (advisory here).
    pub enable_code_validation: bool,
    /// Upstream's import allowlist (advisory).
    pub allowed_imports: Vec<String>,
    /// Upstream's substring denylist (advisory).
    pub blocked_patterns: Vec<String>,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            max_execution_time: 300,
            max_code_length: 10_000,
            max_file_size: 10 * 1024 * 1024,
            enable_code_validation: true,
            allowed_imports: Vec::new(),
            blocked_patterns: Vec::new(),
        }
    }
}

/// `filesystem:` the virtual filesystem the model sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilesystemConfig {
    /// The root of the virtual paths (the sandbox's home).
    pub working_directory: String,
    /// Virtual directories the file tools may touch.
    pub allowed_directories: Vec<String>,
    /// Check paths against `allowed_directories`.
    pub enable_path_validation: bool,
}

impl Default for FilesystemConfig {
    fn default() -> Self {
        Self {
            working_directory: "/home/daytona".into(),
            allowed_directories: vec!["/home/daytona".into(), "/tmp".into()],
            enable_path_validation: true,
        }
    }
}

/// `agent:` switches of the agent loop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentOptions {
    /// Upstream's custom file tools (always on here: they are the only ones).
    pub use_custom_filesystem_tools: bool,
    /// The `view_image` tool.
    pub enable_view_image: bool,
    /// Wait for background subagents before a run ends.
    pub background_auto_wait: bool,
    /// Seconds a background wait lasts at most.
    pub background_timeout: u64,
    /// Ours: model calls one run may make (upstream's recursion limit is 1000 graph steps).
    pub max_steps: u32,
    /// Ours: tool calls of one model turn run at most this many at a time.
    pub max_parallel_tools: usize,
    /// Ours: summarise the conversation once its input reaches this many tokens.
    pub summarize_at_tokens: u64,
    /// Ours: the messages kept verbatim by a summary.
    pub summarize_keep_messages: usize,
}

impl Default for AgentOptions {
    fn default() -> Self {
        Self {
            use_custom_filesystem_tools: true,
            enable_view_image: true,
            background_auto_wait: false,
            background_timeout: 300,
            max_steps: 200,
            max_parallel_tools: 4,
            summarize_at_tokens: 170_000,
            summarize_keep_messages: 6,
        }
    }
}

/// `subagents:` which subagents exist.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubagentsConfig {
    /// Their names: `general-purpose`, `research`.
    pub enabled: Vec<String>,
}

impl Default for SubagentsConfig {
    fn default() -> Self {
        Self {
            enabled: vec!["general-purpose".into()],
        }
    }
}

/// `skills:` where `SKILL.md` directories come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SkillsConfig {
    /// Sync and list skills.
    pub enabled: bool,
    /// The user's skills.
    pub user_skills_dir: String,
    /// The project's skills (they win over the user's).
    pub project_skills_dir: String,
    /// Where skills live in the sandbox.
    pub sandbox_skills_base: String,
}

impl Default for SkillsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            user_skills_dir: "~/.ptc-agent/skills".into(),
            project_skills_dir: ".ptc-agent/skills".into(),
            sandbox_skills_base: "/home/daytona/skills".into(),
        }
    }
}

/// `logging:` accepted for compatibility; the host application's `tracing` set-up applies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LoggingConfig {
    /// Upstream's level name.
    pub level: String,
    /// Upstream's log file.
    pub file: Option<String>,
}

impl Default for LoggingConfig {
    fn default() -> Self {
        Self {
            level: "INFO".into(),
            file: None,
        }
    }
}
