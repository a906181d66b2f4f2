//! The MCP registry: host-side client sessions to every enabled server (spec §2.2), used for
//! discovery (tools for codegen and the prompt) and for the calls the bridge forwards.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures_util::future::join_all;
use rmcp::model::CallToolRequestParams;
use serde::Serialize;
use serde_json::Value;
use tokio::sync::Mutex;

use super::config::{McpServerConfig, McpTransport};
use super::connect::{Session, connect};
use super::error::McpError;
use super::tool_info::McpToolInfo;

/// The default time one server may take to start, initialize and list its tools.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// How long `shutdown` waits for one session to close before dropping it (which kills a child).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// One enabled server's connection state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerStatus {
    /// The server's name.
    pub name: String,
    /// How it is reached.
    pub transport: McpTransport,
    /// Whether a session is open.
    pub connected: bool,
    /// How many tools it listed.
    pub tool_count: usize,
    /// Why it is not connected.
    pub error: Option<String>,
}

struct Connection {
    peer: rmcp::Peer<rmcp::RoleClient>,
    session: Mutex<Option<Session>>,
    pid: Option<u32>,
}

struct Entry {
    status: ServerStatus,
    tools: Vec<McpToolInfo>,
    connection: Option<Arc<Connection>>,
}

/// The configured MCP servers and their live sessions.
pub struct McpRegistry {
    servers: Vec<McpServerConfig>,
    base_dir: PathBuf,
    env: BTreeMap<String, String>,
    connect_timeout: Duration,
    entries: RwLock<BTreeMap<String, Entry>>,
}

impl std::fmt::Debug for McpRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpRegistry")
            .field(
                "servers",
                &self.servers.iter().map(|s| &s.name).collect::<Vec<_>>(),
            )
            .field("base_dir", &self.base_dir)
            .finish_non_exhaustive()
    }
}

impl McpRegistry {
    /// A registry for `servers` (disabled ones are ignored). Relative commands resolve against
    /// `base_dir` (the config file's directory), which is also the children's working directory;
    /// `env` is where `${VAR}` in `env`, `url` and `headers` is looked up. Stdio children get
    /// this process's environment plus their expanded config `env`.
    pub fn new(
        servers: Vec<McpServerConfig>,
        base_dir: impl Into<PathBuf>,
        env: BTreeMap<String, String>,
    ) -> Self {
        Self {
            servers,
            base_dir: base_dir.into(),
            env,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            entries: RwLock::new(BTreeMap::new()),
        }
    }

    /// Sets the time one server may take to connect and list its tools.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The configured servers (enabled or not).
    pub fn servers(&self) -> &[McpServerConfig] {
        &self.servers
    }

    /// Connects every enabled server in parallel (closing earlier sessions first). A server
    /// that fails or times out is recorded with its error; it never fails the others.
    pub async fn connect_all(&self) -> Vec<ServerStatus> {
        self.shutdown().await;
        let mut seen = Vec::new();
        let enabled: Vec<&McpServerConfig> = self
            .servers
            .iter()
            .filter(|s| s.enabled)
            .filter(|s| {
                let fresh = !seen.contains(&s.name);
                seen.push(s.name.clone());
                if !fresh {
                    tracing::warn!(server = %s.name, "duplicate MCP server name ignored");
                }
                fresh
            })
            .collect();
        let attempts = enabled.iter().map(|config| async move {
            let outcome = tokio::time::timeout(
                self.connect_timeout,
                connect(config, &self.base_dir, &self.env),
            )
            .await
            .unwrap_or_else(|_| {
                Err(format!(
                    "connection timed out after {} s",
                    self.connect_timeout.as_secs_f64()
                ))
            });
            (*config, outcome)
        });
        let outcomes = join_all(attempts).await;
        let mut entries = BTreeMap::new();
        for (config, outcome) in outcomes {
            let entry = match outcome {
                Ok(connected) => {
                    tracing::info!(server = %config.name, tools = connected.tools.len(), "MCP server connected");
                    Entry {
                        status: ServerStatus {
                            name: config.name.clone(),
                            transport: config.transport,
                            connected: true,
                            tool_count: connected.tools.len(),
                            error: None,
                        },
                        tools: connected.tools,
                        connection: Some(Arc::new(Connection {
                            peer: connected.session.peer().clone(),
                            session: Mutex::new(Some(connected.session)),
                            pid: connected.pid,
                        })),
                    }
                }
                Err(error) => {
                    tracing::warn!(server = %config.name, %error, "MCP server failed to connect");
                    Entry {
                        status: ServerStatus {
                            name: config.name.clone(),
                            transport: config.transport,
                            connected: false,
                            tool_count: 0,
                            error: Some(error),
                        },
                        tools: Vec::new(),
                        connection: None,
                    }
                }
            };
            entries.insert(config.name.clone(), entry);
        }
        if let Ok(mut guard) = self.entries.write() {
            *guard = entries;
        }
        self.status()
    }

    /// The tools of every connected server, by server name.
    pub fn tools(&self) -> BTreeMap<String, Vec<McpToolInfo>> {
        let Ok(entries) = self.entries.read() else {
            return BTreeMap::new();
        };
        entries
            .iter()
            .filter(|(_, e)| e.status.connected)
            .map(|(name, e)| (name.clone(), e.tools.clone()))
            .collect()
    }

    /// The state of every enabled server after `connect_all`, in config order.
    pub fn status(&self) -> Vec<ServerStatus> {
        let Ok(entries) = self.entries.read() else {
            return Vec::new();
        };
        let mut out: Vec<ServerStatus> = Vec::with_capacity(entries.len());
        for config in &self.servers {
            if let Some(entry) = entries.get(&config.name)
                && !out.iter().any(|s| s.name == config.name)
            {
                out.push(entry.status.clone());
            }
        }
        out
    }

    /// The process ids of the stdio servers' children (diagnostics and tests).
    pub fn child_pids(&self) -> Vec<u32> {
        let Ok(entries) = self.entries.read() else {
            return Vec::new();
        };
        entries
            .values()
            .filter_map(|e| e.connection.as_ref().and_then(|c| c.pid))
            .collect()
    }

    /// Calls `tool` on `server` with `args` (a JSON object, or null for none), waiting at most
    /// `timeout`. The answer is the `CallToolResult` as JSON (`content`, `isError`,
    /// `structuredContent`); an `isError` result is still `Ok`.
    ///
    /// # Errors
    /// An unknown or unconnected server, an unknown tool, arguments that are not an object, a
    /// timeout (the request is cancelled), or the server's JSON-RPC error.
    pub async fn call(
        &self,
        server: &str,
        tool: &str,
        args: Value,
        timeout: Duration,
    ) -> Result<Value, McpError> {
        let connection = self.connection_for(server, tool)?;
        let arguments = match args {
            Value::Null => None,
            Value::Object(map) => Some(map),
            other => {
                return Err(McpError::BadArguments {
                    tool: tool.to_string(),
                    reason: format!("expected a JSON object, got {}", json_kind(&other)),
                });
            }
        };
        let mut params = CallToolRequestParams::new(tool.to_string());
        params.arguments = arguments;
        let result = tokio::time::timeout(timeout, connection.peer.call_tool(params))
            .await
            .map_err(|_| McpError::Timeout {
                server: server.to_string(),
                tool: tool.to_string(),
                after: timeout,
            })?
            .map_err(|e| McpError::Call {
                server: server.to_string(),
                tool: tool.to_string(),
                message: e.to_string(),
            })?;
        serde_json::to_value(&result).map_err(|e| McpError::Call {
            server: server.to_string(),
            tool: tool.to_string(),
            message: format!("unreadable result: {e}"),
        })
    }

    fn connection_for(&self, server: &str, tool: &str) -> Result<Arc<Connection>, McpError> {
        let entries = self
            .entries
            .read()
            .map_err(|_| McpError::UnknownServer(server.to_string()))?;
        let entry = entries
            .get(server)
            .ok_or_else(|| McpError::UnknownServer(server.to_string()))?;
        let Some(connection) = entry.connection.clone() else {
            return Err(McpError::NotConnected {
                server: server.to_string(),
                reason: entry
                    .status
                    .error
                    .clone()
                    .unwrap_or_else(|| "closed".into()),
            });
        };
        if !entry.tools.iter().any(|t| t.name == tool) {
            return Err(McpError::UnknownTool {
                server: server.to_string(),
                tool: tool.to_string(),
            });
        }
        Ok(connection)
    }

    /// Closes every session: a stdio child gets EOF, then SIGTERM, then SIGKILL (rmcp's
    /// shutdown sequence; a session that does not close in time is dropped, which kills its
    /// child). The registry then has no
    /// servers until the next `connect_all`.
    pub async fn shutdown(&self) {
        let connections: Vec<Arc<Connection>> = match self.entries.write() {
            Ok(mut entries) => std::mem::take(&mut *entries)
                .into_values()
                .filter_map(|e| e.connection)
                .collect(),
            Err(_) => Vec::new(),
        };
        join_all(connections.into_iter().map(|connection| async move {
            let session = connection.session.lock().await.take();
            if let Some(mut session) = session {
                let _ = session.close_with_timeout(CLOSE_TIMEOUT).await;
            }
        }))
        .await;
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
