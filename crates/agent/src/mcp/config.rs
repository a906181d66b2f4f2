//! The `mcp:` section of upstream's `config.yaml`: the server list and the exposure settings,
//! plus `${VAR}` expansion and command resolution for the registry.
//!
//! Keys are upstream's (`name, enabled, description, instruction, transport, command, args, env,
//! url, tool_exposure_mode`); `headers`, `call_timeout_secs` and `max_calls_per_execution` are ours.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// How an MCP server is reached.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum McpTransport {
    /// A child process speaking newline-delimited JSON-RPC on stdin/stdout (the default).
    #[default]
    Stdio,
    /// The legacy HTTP+SSE transport (not supported by the rmcp client: reported as failed).
    Sse,
    /// Streamable HTTP (`streamable-http` and `streamable_http` are accepted too).
    #[serde(alias = "streamable-http", alias = "streamable_http")]
    Http,
}

impl McpTransport {
    /// The name used in `config.yaml` and in status reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stdio => "stdio",
            Self::Sse => "sse",
            Self::Http => "http",
        }
    }
}

/// How a server's tools appear in the system prompt (spec §1.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolExposureMode {
    /// Per server: module path, tool count, import line and docs glob; no tool names.
    #[default]
    Summary,
    /// One line per tool with its signature; `full` (upstream's documented value) is an alias.
    #[serde(alias = "full")]
    Detailed,
}

impl ToolExposureMode {
    /// Reads a mode name; `full` means `detailed`; anything else is `None`.
    pub fn parse(mode: &str) -> Option<Self> {
        match mode.trim().to_ascii_lowercase().as_str() {
            "summary" => Some(Self::Summary),
            "detailed" | "full" => Some(Self::Detailed),
            _ => None,
        }
    }

    /// The canonical name (`summary` or `detailed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Summary => "summary",
            Self::Detailed => "detailed",
        }
    }
}

fn yes() -> bool {
    true
}

/// One entry of `mcp.servers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpServerConfig {
    /// The server's name: the registry key, the `tools/<name>.py` module and the docs folder.
    pub name: String,
    /// Disabled servers are skipped entirely (default true).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// What the server does (shown in the prompt summary).
    #[serde(default)]
    pub description: String,
    /// When and how to use it (shown in the prompt summary).
    #[serde(default)]
    pub instruction: String,
    /// How the server is reached (default stdio).
    #[serde(default)]
    pub transport: McpTransport,
    /// The stdio command; a relative path containing `/` resolves against the config directory.
    #[serde(default)]
    pub command: Option<String>,
    /// The stdio command's arguments.
    #[serde(default)]
    pub args: Vec<String>,
    /// Extra environment of the stdio child; values may hold `${VAR}`.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The URL of an `http`/`sse` server; may hold `${VAR}`.
    #[serde(default)]
    pub url: Option<String>,
    /// Extra HTTP headers (ours); values may hold `${VAR}`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// This server's exposure mode, overriding `mcp.tool_exposure_mode`.
    #[serde(default)]
    pub tool_exposure_mode: Option<ToolExposureMode>,
}

impl McpServerConfig {
    /// A stdio server with the given command and arguments, enabled, everything else empty.
    pub fn stdio(name: impl Into<String>, command: impl Into<String>, args: Vec<String>) -> Self {
        Self {
            name: name.into(),
            enabled: true,
            description: String::new(),
            instruction: String::new(),
            transport: McpTransport::Stdio,
            command: Some(command.into()),
            args,
            env: BTreeMap::new(),
            url: None,
            headers: BTreeMap::new(),
            tool_exposure_mode: None,
        }
    }

    /// A Streamable HTTP server at `url`, enabled, everything else empty.
    pub fn http(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            transport: McpTransport::Http,
            command: None,
            url: Some(url.into()),
            ..Self::stdio(name, "", Vec::new())
        }
    }

    /// The config `env` with `${VAR}` expanded from `lookup`.
    pub fn expanded_env(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> BTreeMap<String, String> {
        self.env
            .iter()
            .map(|(k, v)| (k.clone(), expand_vars(v, lookup)))
            .collect()
    }

    /// The `url` with `${VAR}` expanded from `lookup`.
    pub fn expanded_url(&self, lookup: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        self.url.as_deref().map(|u| expand_vars(u, lookup))
    }

    /// The `headers` with `${VAR}` expanded from `lookup`.
    pub fn expanded_headers(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> BTreeMap<String, String> {
        self.headers
            .iter()
            .map(|(k, v)| (k.clone(), expand_vars(v, lookup)))
            .collect()
    }

    /// The command to spawn: an absolute path or a bare name (found on `PATH`) is kept; a
    /// relative path (`./srv`, `bin/srv`) is joined to `base_dir`. `None` without a command.
    pub fn resolved_command(&self, base_dir: &Path) -> Option<PathBuf> {
        let command = self
            .command
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())?;
        let path = Path::new(command);
        if path.is_absolute() || !command.contains('/') {
            Some(path.to_path_buf())
        } else {
            Some(base_dir.join(path))
        }
    }
}

fn default_call_timeout_secs() -> u64 {
    60
}

fn default_max_calls() -> u64 {
    1000
}

/// The whole `mcp:` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpSettings {
    /// The configured servers, enabled or not.
    #[serde(default)]
    pub servers: Vec<McpServerConfig>,
    /// The global exposure mode (default summary).
    #[serde(default)]
    pub tool_exposure_mode: ToolExposureMode,
    /// Seconds one tool call may take through the bridge (ours, default 60).
    #[serde(default = "default_call_timeout_secs")]
    pub call_timeout_secs: u64,
    /// Tool calls one `execute_code` run may make (ours, default 1000).
    #[serde(default = "default_max_calls")]
    pub max_calls_per_execution: u64,
    /// Upstream's key; accepted, no effect.
    #[serde(default = "yes")]
    pub tool_discovery_enabled: bool,
    /// Upstream's key; accepted, no effect.
    #[serde(default = "yes")]
    pub lazy_load: bool,
    /// Upstream's key (seconds); accepted, unused.
    #[serde(default)]
    pub cache_duration: Option<u64>,
}

impl Default for McpSettings {
    fn default() -> Self {
        Self {
            servers: Vec::new(),
            tool_exposure_mode: ToolExposureMode::Summary,
            call_timeout_secs: default_call_timeout_secs(),
            max_calls_per_execution: default_max_calls(),
            tool_discovery_enabled: true,
            lazy_load: true,
            cache_duration: None,
        }
    }
}

impl McpSettings {
    /// The enabled servers, in config order.
    pub fn enabled_servers(&self) -> impl Iterator<Item = &McpServerConfig> {
        self.servers.iter().filter(|s| s.enabled)
    }
}

pub use crate::config::expand_vars;

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "KEY" => Some("s3cret".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_known_and_keeps_unknown_placeholders() {
        assert_eq!(expand_vars("${KEY}", env), "s3cret");
        assert_eq!(expand_vars("a=${KEY}&b=${NOPE}", env), "a=s3cret&b=${NOPE}");
        assert_eq!(expand_vars("literal", env), "literal");
        assert_eq!(expand_vars("x${EMPTY}y", env), "xy");
        assert_eq!(expand_vars("$KEY ${} ${KEY", env), "s3cret ${} ${KEY");
    }

    #[test]
    fn upstream_yaml_parses_with_defaults_and_full_alias() {
        let yaml = r#"
servers:
  - name: tavily
    enabled: false
    description: "Web search"
    tool_exposure_mode: "summary"
    transport: "stdio"
    command: "npx"
    args: ["-y", "tavily-mcp@latest"]
    env:
      TAVILY_API_KEY: "${TAVILY_API_KEY}"
  - name: alphavantage
    transport: "http"
    url: "https://mcp.example/mcp?apikey=${KEY}"
    tool_exposure_mode: full
  - name: local
    command: "./bin/server"
tool_discovery_enabled: true
lazy_load: true
cache_duration: 300
"#;
        let settings: McpSettings = serde_yaml_ng::from_str(yaml).unwrap();
        assert_eq!(settings.servers.len(), 3);
        assert_eq!(settings.tool_exposure_mode, ToolExposureMode::Summary);
        assert_eq!(settings.call_timeout_secs, 60);
        assert_eq!(settings.max_calls_per_execution, 1000);
        assert_eq!(settings.cache_duration, Some(300));
        let tavily = &settings.servers[0];
        assert!(!tavily.enabled);
        assert_eq!(tavily.transport, McpTransport::Stdio);
        assert_eq!(tavily.args, vec!["-y", "tavily-mcp@latest"]);
        let alpha = &settings.servers[1];
        assert!(alpha.enabled);
        assert_eq!(alpha.transport, McpTransport::Http);
        assert_eq!(alpha.tool_exposure_mode, Some(ToolExposureMode::Detailed));
        assert_eq!(
            alpha.expanded_url(&env).as_deref(),
            Some("https://mcp.example/mcp?apikey=s3cret")
        );
        let local = &settings.servers[2];
        assert_eq!(local.transport, McpTransport::Stdio);
        assert_eq!(
            local.resolved_command(Path::new("/etc/ptc")),
            Some(PathBuf::from("/etc/ptc/./bin/server"))
        );
        assert_eq!(
            tavily.resolved_command(Path::new("/etc/ptc")),
            Some(PathBuf::from("npx"))
        );
        assert_eq!(settings.enabled_servers().count(), 2);
    }

    #[test]
    fn unknown_mode_is_a_config_error_but_parse_falls_back_to_none() {
        let err = serde_yaml_ng::from_str::<McpSettings>("tool_exposure_mode: verbose");
        assert!(err.is_err());
        assert_eq!(
            ToolExposureMode::parse("FULL"),
            Some(ToolExposureMode::Detailed)
        );
        assert_eq!(ToolExposureMode::parse("verbose"), None);
    }
}
