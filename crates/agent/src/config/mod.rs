//! Configuration: upstream's `config.yaml` (settings), `llms.json` (the model catalogue) and
//! `.env` (credentials), found where upstream looks for them, so existing files load unchanged.
//!
//! Differences from upstream, on purpose:
//! - every section is optional with upstream's defaults (upstream requires `llm, daytona,
//!   security, mcp, logging, filesystem`); a `daytona` section is accepted and unused (the
//!   sandbox is local);
//! - unknown keys are reported as warnings ([`AgentConfig::warnings`]) instead of being ignored
//!   silently;
//! - `.env` is read into the configuration's environment map, never into the process
//!   environment; a variable set in the process wins over the file;
//! - `filesystem.working_directory` is honoured (upstream's loader drops it).

mod env;
mod llms;
mod load;
mod sections;

pub use env::{EnvMap, expand_vars};
pub use llms::{LlmCatalog, LlmDefinition, LlmSelection};
pub use load::{ConfigContext, LoadOptions};
pub use sections::{
    AgentOptions, FilesystemConfig, LoggingConfig, SecurityConfig, SkillsConfig, SubagentsConfig,
};

use std::path::PathBuf;

/// The whole agent configuration, loaded once.
#[derive(Debug, Clone)]
pub struct AgentConfig {
    /// The model the agent uses: an alias of the catalogue or an inline definition.
    pub llm: LlmSelection,
    /// The catalogue of `llms.json` (empty when there is none).
    pub llms: LlmCatalog,
    /// `security:` limits (enforced by the sandbox and the tools).
    pub security: SecurityConfig,
    /// `mcp:` as written; read with [`crate::mcp`]'s settings type.
    pub mcp: serde_json::Value,
    /// `filesystem:` the virtual root and the allowed directories.
    pub filesystem: FilesystemConfig,
    /// `sandbox:` (ours) as written; read with [`crate::sandbox`]'s settings type.
    pub sandbox: serde_json::Value,
    /// `agent:` switches of the agent loop.
    pub agent: AgentOptions,
    /// `subagents:` the enabled subagents.
    pub subagents: SubagentsConfig,
    /// `skills:` skill sources.
    pub skills: SkillsConfig,
    /// `logging:` accepted for compatibility (the host application's logging applies).
    pub logging: LoggingConfig,
    /// The directory of `config.yaml` (relative paths in it resolve against it), or the
    /// working directory when the configuration did not come from a file.
    pub base_dir: PathBuf,
    /// The process environment overlaid on `.env`: what `${VAR}` and `api_key_env` read.
    pub env: EnvMap,
    /// Unknown keys and ignored settings, one line each, for the log.
    pub warnings: Vec<String>,
}

impl AgentConfig {
    /// The selected model's definition: the catalogue entry named by `llm.name`, or the inline
    /// definition.
    pub fn selected_llm(&self) -> Result<(String, LlmDefinition), crate::AgentError> {
        self.llm.resolve(&self.llms)
    }
}
