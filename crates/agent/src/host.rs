//! Putting the parts together: an [`AgentHost`] holds the configuration and the connected MCP
//! servers (one per process); a [`Workspace`] is one sandbox with its generated tool modules and
//! its MCP bridge; [`AgentHost::agent_spec`] builds the tools, the prompts and the subagents for
//! a workspace and a model.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::AgentError;
use crate::config::AgentConfig;
use crate::llm::{self, LlmBackend, ModelSpec, Wire};
use crate::mcp::{
    Bridge, BridgeHandle, BridgeSettings, McpRegistry, McpSettings, McpToolInfo, ServerStatus,
    format_tool_summary, generate_tool_files,
};
use crate::prompts::{self, PromptContext};
use crate::runtime::{AgentSpec, RunOptions, SubagentSpec};
use crate::sandbox::paths::VirtualFs;
use crate::sandbox::{IsolationReport, LocalSandbox, SandboxConfig};
use crate::tools::bash::BashTool;
use crate::tools::edit::EditFileTool;
use crate::tools::execute_code::ExecuteCodeTool;
use crate::tools::glob::{GlobTool, LsTool};
use crate::tools::grep::GrepTool;
use crate::tools::read::ReadFileTool;
use crate::tools::think::ThinkTool;
use crate::tools::web_search::{API_KEY_ENV as TAVILY_KEY_ENV, TavilySearchTool};
use crate::tools::write::WriteFileTool;
use crate::tools::{BridgeAccess, Tool};

/// The general-purpose subagent's name.
pub const GENERAL_PURPOSE: &str = "general-purpose";
/// The research subagent's name (web search with `tavily_search` and `think_tool`; enabled
/// only when `TAVILY_API_KEY` is set).
pub const RESEARCH: &str = "research";

/// The configuration and the connected MCP servers.
pub struct AgentHost {
    config: AgentConfig,
    mcp_settings: McpSettings,
    sandbox: SandboxConfig,
    registry: Arc<McpRegistry>,
    status: Vec<ServerStatus>,
}

impl std::fmt::Debug for AgentHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentHost")
            .field("servers", &self.status)
            .finish_non_exhaustive()
    }
}

impl AgentHost {
    /// Reads the `mcp:` and `sandbox:` sections (upstream's `security` limits and
    /// `filesystem.working_directory` apply to the sandbox) and connects every enabled MCP
    /// server in parallel; a server that fails is reported in [`AgentHost::mcp_status`].
    pub async fn start(config: AgentConfig) -> Result<Self, AgentError> {
        let mcp_settings: McpSettings = if config.mcp.is_null() {
            McpSettings::default()
        } else {
            serde_json::from_value(config.mcp.clone())
                .map_err(|e| AgentError::Config(format!("config.yaml mcp: {e}")))?
        };
        let sandbox = sandbox_config(&config)?;
        let env = config.env.as_map().clone();
        let registry = Arc::new(McpRegistry::new(
            mcp_settings.servers.clone(),
            config.base_dir.clone(),
            env,
        ));
        let status = registry.connect_all().await;
        for s in status.iter().filter(|s| !s.connected) {
            tracing::warn!(server = %s.name, error = s.error.as_deref().unwrap_or(""), "MCP server not connected");
        }
        Ok(Self {
            config,
            mcp_settings,
            sandbox,
            registry,
            status,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AgentConfig {
        &self.config
    }

    /// The sandbox settings in effect.
    pub fn sandbox_config(&self) -> &SandboxConfig {
        &self.sandbox
    }

    /// Each configured server: connected or not, its tool count, its error.
    pub fn mcp_status(&self) -> &[ServerStatus] {
        &self.status
    }

    /// The connected servers' tools.
    pub fn mcp_tools(&self) -> BTreeMap<String, Vec<McpToolInfo>> {
        self.registry.tools()
    }

    /// The isolation the sandboxes get on this machine.
    pub fn isolation(&self) -> IsolationReport {
        IsolationReport::detect(&self.sandbox)
    }

    /// The model catalogue: aliases with their model ids and wire formats.
    pub fn models(&self) -> Vec<(String, String, &'static str)> {
        let mut out: Vec<(String, String, &'static str)> = self
            .config
            .llms
            .llms
            .iter()
            .map(|(alias, def)| (alias.clone(), def.model_id.clone(), def.wire_name()))
            .collect();
        if let Ok((alias, def)) = self.config.selected_llm()
            && !out.iter().any(|(a, _, _)| *a == alias)
        {
            out.push((alias, def.model_id.clone(), def.wire_name()));
        }
        out
    }

    /// The model spec of `alias` (the configured `llm` when `None`), with its API key read from
    /// `api_key_env`.
    pub fn model_spec(&self, alias: Option<&str>) -> Result<ModelSpec, AgentError> {
        let (alias, def) = match alias {
            None => self.config.selected_llm()?,
            Some(a) => match self.config.llms.llms.get(a) {
                Some(def) => (a.to_owned(), def.clone()),
                None => match self.config.selected_llm()? {
                    (name, def) if name == a => (name, def),
                    _ => return Err(AgentError::Config(format!("unknown model {a:?}"))),
                },
            },
        };
        let wire = if def.wire_name() == "anthropic" {
            Wire::Anthropic
        } else {
            Wire::OpenAi
        };
        let mut spec = ModelSpec::new(alias, def.model_id.clone(), wire);
        spec.base_url = def.effective_base_url();
        spec.api_key = self.config.env.get(&def.api_key_env).map(str::to_owned);
        spec.parameters = def.parameters.clone();
        Ok(spec)
    }

    /// The backend of `alias` (the configured model when `None`).
    pub fn model(&self, alias: Option<&str>) -> Result<Arc<dyn LlmBackend>, AgentError> {
        llm::backend(self.model_spec(alias)?).map_err(|e| AgentError::Config(e.to_string()))
    }

    /// Creates (or reopens) the sandbox `id`, writes the generated tool modules and docs into
    /// it, and binds its MCP bridge. Reopening regenerates the modules, so changed MCP schemas
    /// are picked up (upstream skips this on reconnect).
    pub fn open_workspace(&self, id: &str) -> Result<Workspace, AgentError> {
        let root = self.sandbox.root_dir.join(id);
        let sandbox = if root.exists() {
            LocalSandbox::open(self.sandbox.clone(), id)
        } else {
            LocalSandbox::create(self.sandbox.clone(), id)
        }
        .map_err(|e| AgentError::Config(format!("sandbox {id}: {e}")))?;
        let isolation = sandbox.isolation();
        if self.sandbox.require_isolation && isolation.unavailable.is_some() {
            return Err(AgentError::Config(format!(
                "sandbox {id}: isolation is required but unavailable: {}",
                isolation.unavailable.as_deref().unwrap_or("")
            )));
        }
        write_files(
            sandbox.workspace_dir(),
            &generate_tool_files(&self.registry.tools()),
        )?;
        let socket = sandbox.bridge_socket_path();
        let bridge = Bridge::bind(
            &socket,
            Arc::clone(&self.registry),
            BridgeSettings::from(&self.mcp_settings),
        )
        .map_err(|e| AgentError::Config(format!("MCP bridge for {id}: {e}")))?;
        let fs = self.virtual_fs(&sandbox);
        Ok(Workspace {
            sandbox: Arc::new(sandbox),
            bridge: Arc::new(bridge),
            fs: Arc::new(fs),
        })
    }

    fn virtual_fs(&self, sandbox: &LocalSandbox) -> VirtualFs {
        let fs_config = &self.config.filesystem;
        let mut fs = VirtualFs::new(sandbox.workspace_dir())
            .with_virtual_root(sandbox.virtual_root())
            .with_tmp(sandbox.tmp_dir());
        fs.allowed = fs_config.allowed_directories.clone();
        if !fs.allowed.iter().any(|a| a == sandbox.virtual_root()) {
            fs.allowed.push(sandbox.virtual_root().to_owned());
        }
        fs.validate = fs_config.enable_path_validation;
        fs
    }

    /// The agent for `workspace` and `llm`: tools, system prompt (with today's `date`, fixed for
    /// the session), the subagents of `subagents.enabled` and the run options.
    pub fn agent_spec(
        &self,
        workspace: &Workspace,
        llm: Arc<dyn LlmBackend>,
        date: &str,
    ) -> Result<AgentSpec, AgentError> {
        let max_file = self.config.security.max_file_size;
        let fs = &workspace.fs;
        let bridge: Arc<dyn BridgeAccess> = workspace.bridge.clone();
        let execute: Arc<dyn Tool> = Arc::new(ExecuteCodeTool::new(
            Arc::clone(&workspace.sandbox),
            Some(bridge),
        ));
        let file_tools: Vec<Arc<dyn Tool>> = vec![
            Arc::new(ReadFileTool::new(Arc::clone(fs)).with_max_file_size(max_file)),
            Arc::new(WriteFileTool::new(Arc::clone(fs)).with_max_file_size(max_file)),
            Arc::new(EditFileTool::new(Arc::clone(fs)).with_max_file_size(max_file)),
            Arc::new(GlobTool::new(Arc::clone(fs))),
            Arc::new(GrepTool::new(Arc::clone(fs)).with_max_file_size(max_file)),
            Arc::new(LsTool::new(Arc::clone(fs))),
        ];
        let mut tools: Vec<Arc<dyn Tool>> = vec![
            Arc::clone(&execute),
            Arc::new(BashTool::new(Arc::clone(&workspace.sandbox))),
        ];
        tools.extend(file_tools.iter().cloned());

        let tool_summary = format_tool_summary(
            &self.registry.tools(),
            self.mcp_settings.tool_exposure_mode.as_str(),
            &self.mcp_settings.servers,
        );
        let mut cx = PromptContext {
            date: date.to_owned(),
            workspace_root: workspace.sandbox.virtual_root().to_owned(),
            tool_summary,
            subagents: Vec::new(),
            max_concurrent_task_units: 3,
            max_task_iterations: 3,
        };
        let mut subagents = Vec::new();
        for name in &self.config.subagents.enabled {
            if name == RESEARCH {
                let Some(search) = TavilySearchTool::from_env(&self.config.env)? else {
                    tracing::warn!(subagent = %name, "the research subagent needs a web search key ({TAVILY_KEY_ENV} is not set); skipped");
                    continue;
                };
                let sub_tools: Vec<Arc<dyn Tool>> =
                    vec![Arc::new(search), Arc::new(ThinkTool::new())];
                let description = "A web researcher for one focused topic or question at a time: it searches the web, reflects after each search and answers with its findings and numbered source citations. It cannot run code or read files; give it the full question, since it does not see this conversation.".to_owned();
                cx.subagents.push((
                    name.clone(),
                    description.clone(),
                    sub_tools.iter().map(|t| t.spec().name).collect(),
                ));
                subagents.push(SubagentSpec {
                    name: name.clone(),
                    description,
                    system_prompt: prompts::research_prompt(&cx, 5)?,
                    tools: sub_tools,
                    max_steps: 30,
                    llm: None,
                });
                continue;
            }
            if name != GENERAL_PURPOSE {
                tracing::warn!(subagent = %name, "unknown subagent; skipped");
                continue;
            }
            let mut sub_tools = vec![Arc::clone(&execute)];
            sub_tools.extend(file_tools.iter().cloned());
            let description = "A general-purpose agent for self-contained work: data gathering and analysis with execute_code and the MCP tools, file work, reports. Give it the full context: it does not see this conversation.".to_owned();
            cx.subagents.push((
                name.clone(),
                description.clone(),
                sub_tools.iter().map(|t| t.spec().name).collect(),
            ));
            subagents.push(SubagentSpec {
                name: name.clone(),
                description,
                system_prompt: prompts::general_prompt(&cx, 10)?,
                tools: sub_tools,
                max_steps: 50,
                llm: None,
            });
        }
        let opts = &self.config.agent;
        Ok(AgentSpec {
            llm,
            system_prompt: prompts::system_prompt(&cx)?,
            tools,
            approval: BTreeSet::new(),
            subagents,
            options: RunOptions {
                max_steps: opts.max_steps,
                max_parallel_tools: opts.max_parallel_tools,
                summarize_at_tokens: opts.summarize_at_tokens,
                summarize_keep_messages: opts.summarize_keep_messages,
                background_auto_wait: opts.background_auto_wait,
                background_timeout: Duration::from_secs(opts.background_timeout),
                ..RunOptions::default()
            },
        })
    }

    /// Disconnects the MCP servers (children are killed).
    pub async fn shutdown(&self) {
        self.registry.shutdown().await;
    }
}

/// One sandbox with its tool modules and its MCP bridge.
#[derive(Clone)]
pub struct Workspace {
    /// The sandbox.
    pub sandbox: Arc<LocalSandbox>,
    /// Its bridge (stopped when the last clone is dropped).
    pub bridge: Arc<BridgeHandle>,
    /// The file tools' view of it.
    pub fs: Arc<VirtualFs>,
}

impl std::fmt::Debug for Workspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workspace")
            .field("id", &self.sandbox.id())
            .finish_non_exhaustive()
    }
}

/// The sandbox settings: the `sandbox:` section, with upstream's `security` limits and
/// `filesystem.working_directory` applied.
fn sandbox_config(config: &AgentConfig) -> Result<SandboxConfig, AgentError> {
    let mut sandbox: SandboxConfig = if config.sandbox.is_null() {
        SandboxConfig::default()
    } else {
        serde_json::from_value(config.sandbox.clone())
            .map_err(|e| AgentError::Config(format!("config.yaml sandbox: {e}")))?
    };
    let security = &config.security;
    sandbox.limits.max_execution_time_secs = security.max_execution_time;
    sandbox.limits.max_code_length = security.max_code_length;
    sandbox.limits.max_file_size = security.max_file_size;
    sandbox.virtual_root = config.filesystem.working_directory.clone();
    if sandbox.root_dir.is_relative() {
        sandbox.root_dir = config.base_dir.join(&sandbox.root_dir);
    }
    Ok(sandbox)
}

/// Writes generated files under `root`, replacing older ones.
fn write_files(root: &Path, files: &[crate::mcp::GeneratedFile]) -> Result<(), AgentError> {
    for file in files {
        let path = root.join(&file.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &file.content)?;
    }
    Ok(())
}
