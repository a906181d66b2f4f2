//! Opening one MCP client session with rmcp: a stdio child or a Streamable HTTP server, then
//! `tools/list`. Used by the registry; every failure is a readable message.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{HeaderName, HeaderValue};
use rmcp::model::{ClientCapabilities, ClientConfig, Implementation, ProtocolVersion};
use rmcp::service::RunningService;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use super::config::{McpServerConfig, McpTransport};
use super::tool_info::McpToolInfo;

/// A live client session.
pub(crate) type Session = RunningService<RoleClient, ClientConfig>;

/// The lines of a child's stderr kept for error messages.
const STDERR_TAIL_LINES: usize = 10;

/// What a successful connection gives the registry.
pub(crate) struct Connected {
    pub session: Session,
    pub tools: Vec<McpToolInfo>,
    pub pid: Option<u32>,
}

fn client_config() -> ClientConfig {
    ClientConfig::new(
        ClientCapabilities::default(),
        Implementation::new("fba-agent", env!("CARGO_PKG_VERSION")),
    )
    .with_protocol_version(ProtocolVersion::LATEST_WITH_INITIALIZE)
}

/// Connects to one server and lists its tools. Messages never hold the expanded URL (it may
/// carry a key): the configured one, with its `${VAR}` placeholders, is shown instead.
pub(crate) async fn connect(
    config: &McpServerConfig,
    base_dir: &Path,
    env: &BTreeMap<String, String>,
) -> Result<Connected, String> {
    let lookup = |name: &str| env.get(name).cloned();
    connect_inner(config, base_dir, env)
        .await
        .map_err(
            |message| match (config.expanded_url(&lookup), config.url.as_deref()) {
                (Some(expanded), Some(raw)) if !expanded.is_empty() && expanded != raw => {
                    message.replace(&expanded, raw)
                }
                _ => message,
            },
        )
}

async fn connect_inner(
    config: &McpServerConfig,
    base_dir: &Path,
    env: &BTreeMap<String, String>,
) -> Result<Connected, String> {
    let lookup = |name: &str| env.get(name).cloned();
    let (session, pid, stderr) = match config.transport {
        McpTransport::Stdio => {
            let (session, pid, stderr) = connect_stdio(config, base_dir, &lookup).await?;
            (session, pid, Some(stderr))
        }
        McpTransport::Http => (connect_http(config, &lookup).await?, None, None),
        McpTransport::Sse => {
            return Err(
                "the legacy SSE transport is not supported (the rmcp 3.11 client has \
                        none); use `transport: http` for a Streamable HTTP endpoint"
                    .into(),
            );
        }
    };
    let listed = session.peer().list_all_tools().await;
    let tools = match listed {
        Ok(tools) => tools,
        Err(e) => {
            let message = with_stderr(format!("tools/list failed: {e}"), stderr.as_ref()).await;
            let _ = tokio::time::timeout(Duration::from_secs(5), session.cancel()).await;
            return Err(message);
        }
    };
    let tools = tools
        .into_iter()
        .map(|tool| McpToolInfo {
            server: config.name.clone(),
            name: tool.name.to_string(),
            description: tool.description.map(|d| d.to_string()).unwrap_or_default(),
            input_schema: Value::Object((*tool.input_schema).clone()),
        })
        .collect();
    Ok(Connected {
        session,
        tools,
        pid,
    })
}

type StderrTail = Arc<Mutex<VecDeque<String>>>;

async fn connect_stdio(
    config: &McpServerConfig,
    base_dir: &Path,
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<(Session, Option<u32>, StderrTail), String> {
    let command = config
        .resolved_command(base_dir)
        .ok_or_else(|| "Command is required for stdio transport".to_string())?;
    let mut cmd = tokio::process::Command::new(&command);
    cmd.args(&config.args)
        .envs(config.expanded_env(lookup))
        .kill_on_drop(true);
    if base_dir.is_dir() {
        cmd.current_dir(base_dir);
    }
    let (transport, stderr) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start `{}`: {e}", command.display()))?;
    let pid = transport.id();
    let tail: StderrTail = Arc::default();
    if let Some(stderr) = stderr {
        let tail = tail.clone();
        let server = config.name.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::debug!(server = %server, "mcp stderr: {line}");
                if let Ok(mut tail) = tail.lock() {
                    if tail.len() == STDERR_TAIL_LINES {
                        tail.pop_front();
                    }
                    tail.push_back(line);
                }
            }
        });
    }
    match client_config().serve(transport).await {
        Ok(session) => Ok((session, pid, tail)),
        Err(e) => Err(with_stderr(format!("initialize failed: {e}"), Some(&tail)).await),
    }
}

/// Adds the child's last stderr lines to a message (after a moment for them to arrive).
async fn with_stderr(message: String, tail: Option<&StderrTail>) -> String {
    let Some(tail) = tail else {
        return message;
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    let lines: Vec<String> = tail
        .lock()
        .map(|t| t.iter().cloned().collect())
        .unwrap_or_default();
    if lines.is_empty() {
        message
    } else {
        format!("{message}; stderr: {}", lines.join("\n"))
    }
}

async fn connect_http(
    config: &McpServerConfig,
    lookup: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Session, String> {
    let url = config
        .expanded_url(lookup)
        .filter(|u| !u.trim().is_empty())
        .ok_or_else(|| format!("URL required for HTTP transport: {}", config.name))?;
    let mut headers = HashMap::new();
    for (name, value) in config.expanded_headers(lookup) {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| format!("invalid header name `{name}`: {e}"))?;
        let value = HeaderValue::from_str(&value)
            .map_err(|e| format!("invalid value for header `{name}`: {e}"))?;
        headers.insert(header, value);
    }
    crate::tls::install_default_provider();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let transport = StreamableHttpClientTransport::with_client(
        client,
        StreamableHttpClientTransportConfig::with_uri(url).custom_headers(headers),
    );
    client_config()
        .serve(transport)
        .await
        .map_err(|e| format!("initialize failed: {e}"))
}
