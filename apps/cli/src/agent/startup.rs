//! Start-up: the configuration (CLI search order), the host with its MCP servers, the
//! workspace, and the session continued from `<session-dir>/session.json`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use fba_agent::AgentError;
use fba_agent::config::{AgentConfig, ConfigContext, LoadOptions};
use fba_agent::host::{AgentHost, Workspace};
use fba_agent::runtime::{AgentEvent, EventSink, Session, SessionState};
use fba_agent::sandbox::IsolationReport;
use fba_agent::sandbox::isolation::Layer;
use serde_json::Value;
use tokio::sync::mpsc;

use super::render::{Renderer, one_line};
use super::store::JsonCheckpointer;
use super::{ChatArgs, ChatError};

/// Everything the chat works with.
pub struct Parts {
    /// The configuration and the MCP servers.
    pub host: Arc<AgentHost>,
    /// The sandbox.
    pub workspace: Workspace,
    /// The conversation.
    pub session: Session,
    /// Where the conversation is saved.
    pub store: Arc<JsonCheckpointer>,
    /// The session's events are sent here…
    pub tx: mpsc::UnboundedSender<AgentEvent>,
    /// …and read here.
    pub rx: mpsc::UnboundedReceiver<AgentEvent>,
    /// The model alias in use.
    pub model: String,
    /// Today, for the system prompt.
    pub date: String,
}

/// Loads, connects, opens and restores; prints a few status lines.
pub async fn start<W: Write>(
    args: &ChatArgs,
    env_file: Option<PathBuf>,
    out: &mut Renderer<W>,
) -> Result<Parts, ChatError> {
    let mut config = AgentConfig::load(LoadOptions {
        config_file: args.config.clone(),
        llms_file: args.llms.clone(),
        env_file,
        context: ConfigContext::Cli,
        ..LoadOptions::default()
    })
    .map_err(|e| ChatError::Config(e.to_string()))?;
    let home = std::env::var_os("HOME").map(PathBuf::from);
    default_sandbox_root(&mut config.sandbox, home.as_deref());
    let style = out.style();
    for warning in &config.warnings {
        out.line(&style.yellow(&format!("config: {warning}")))?;
    }

    let host = AgentHost::start(config)
        .await
        .map_err(|e| ChatError::Config(e.to_string()))?;
    let host = Arc::new(host);
    let model = match &args.model {
        Some(alias) => alias.clone(),
        None => {
            host.config()
                .selected_llm()
                .map_err(|e| ChatError::Config(e.to_string()))?
                .0
        }
    };
    let llm = host
        .model(Some(&model))
        .map_err(|e| ChatError::Config(model_error(&e, &model)))?;
    for line in mcp_lines(&host) {
        out.line(&line)?;
    }
    let report = tokio::task::spawn_blocking({
        let config = host.sandbox_config().clone();
        move || IsolationReport::detect(&config)
    })
    .await
    .map_err(|e| ChatError::Failed(e.to_string()))?;
    for line in isolation_lines(&report) {
        out.line(&line)?;
    }

    let dir = match &args.session_dir {
        Some(dir) => dir.clone(),
        None => home
            .unwrap_or_else(std::env::temp_dir)
            .join(".ptc-agent/sessions")
            .join(uuid::Uuid::new_v4().to_string()),
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| ChatError::Failed(format!("{}: {e}", dir.display())))?;
    let id = workspace_id(&dir);
    let workspace = host.open_workspace(&id).map_err(|e| {
        let message = e.to_string();
        if message.contains("exec helper") {
            ChatError::Failed(format!(
                "{message}; put fba-sandbox-exec next to fba (cargo build -p fba-agent --bin fba-sandbox-exec) or set sandbox.exec_helper in config.yaml"
            ))
        } else {
            ChatError::Failed(message)
        }
    })?;
    let store = Arc::new(JsonCheckpointer::in_dir(&dir));
    let state = store.load().map_err(|e| ChatError::Failed(e.to_string()))?;
    let restored = state.as_ref().map(|s| s.messages.len());
    let date = chrono::Local::now().format("%Y-%m-%d").to_string();
    let spec = host
        .agent_spec(&workspace, llm, &date)
        .map_err(|e| ChatError::Failed(e.to_string()))?;
    let (tx, rx) = mpsc::unbounded_channel();
    let session = Session::new(
        spec,
        state.unwrap_or_else(SessionState::default),
        store.clone(),
        EventSink::new(tx.clone()),
    );
    if args.plan_mode {
        session
            .set_plan_mode(true)
            .map_err(|e| ChatError::Failed(e.to_string()))?;
    }
    let continued = match restored {
        Some(n) => format!(", continued: {n} messages"),
        None => String::new(),
    };
    out.line(&format!(
        "session: {}{continued} · model: {model} · /help for commands",
        dir.display()
    ))?;
    Ok(Parts {
        host,
        workspace,
        session,
        store,
        tx,
        rx,
        model,
        date,
    })
}

/// `unknown model "x"` with a hint.
pub fn model_error(e: &AgentError, alias: &str) -> String {
    match e {
        AgentError::Config(msg) if msg.starts_with("unknown model") => {
            format!("unknown model {alias:?}; /model lists the catalogue")
        }
        other => other.to_string(),
    }
}

/// Sandboxes live under `~/.ptc-agent/sandboxes` unless `sandbox.root_dir` says otherwise.
fn default_sandbox_root(sandbox: &mut Value, home: Option<&Path>) {
    let Some(home) = home else { return };
    let root = home.join(".ptc-agent/sandboxes").display().to_string();
    match sandbox {
        Value::Null => *sandbox = serde_json::json!({ "root_dir": root }),
        Value::Object(map) if !map.contains_key("root_dir") => {
            map.insert("root_dir".into(), Value::String(root));
        }
        _ => {}
    }
}

/// The sandbox id: the session directory's name (other characters than letters, digits, `-`,
/// `_` and `.` become `-`).
fn workspace_id(dir: &Path) -> String {
    let name = dir
        .canonicalize()
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let id: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if id.trim_matches(['.', '-']).is_empty() {
        uuid::Uuid::new_v4().to_string()
    } else {
        id
    }
}

/// One line for the MCP servers, plus one per failed server.
fn mcp_lines(host: &AgentHost) -> Vec<String> {
    let status = host.mcp_status();
    if status.is_empty() {
        return vec!["MCP: no servers configured".to_owned()];
    }
    let mut lines = vec![format!(
        "MCP: {}",
        status
            .iter()
            .map(|s| if s.connected {
                format!(
                    "{} ✓ {} tools ({})",
                    s.name,
                    s.tool_count,
                    s.transport.as_str()
                )
            } else {
                format!("{} ✗", s.name)
            })
            .collect::<Vec<_>>()
            .join(" · ")
    )];
    for s in status.iter().filter(|s| !s.connected) {
        lines.push(format!(
            "  {} not connected: {}",
            s.name,
            one_line(s.error.as_deref().unwrap_or("unknown error"), 160)
        ));
    }
    lines
}

/// The isolation layer on one line; a second line when code cannot run or runs unisolated.
fn isolation_lines(report: &IsolationReport) -> Vec<String> {
    let layer = match report.layer {
        Layer::Bwrap => "bubblewrap",
        Layer::Landlock => "landlock + seccomp",
        Layer::None => "none",
    };
    let mut lines = vec![format!(
        "sandbox: isolation {layer}, network {}, rlimits {}",
        report.network,
        if report.rlimits { "on" } else { "off" }
    )];
    if let Some(why) = &report.unavailable {
        lines.push(format!("  warning: {}", one_line(why, 160)));
    } else if report.layer == Layer::None
        && let Some(note) = report.notes.iter().find(|n| n.starts_with("no isolation"))
    {
        lines.push(format!("  warning: {}", one_line(note, 160)));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_root_defaults_under_home() {
        let mut v = Value::Null;
        default_sandbox_root(&mut v, Some(Path::new("/h")));
        assert_eq!(
            v,
            serde_json::json!({"root_dir": "/h/.ptc-agent/sandboxes"})
        );
        let mut v = serde_json::json!({"root_dir": "/srv"});
        default_sandbox_root(&mut v, Some(Path::new("/h")));
        assert_eq!(v, serde_json::json!({"root_dir": "/srv"}));
    }

    #[test]
    fn workspace_id_comes_from_the_directory_name() {
        let dir = std::env::temp_dir().join("fba cli ws:1");
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(workspace_id(&dir), "fba-cli-ws-1");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(workspace_id(Path::new("/")).len(), 36);
    }
}
