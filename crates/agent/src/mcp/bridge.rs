//! The host-side MCP bridge (spec §8.5): a Unix socket the sandboxed `tools/mcp_client.py`
//! talks to, one JSON line per call, so MCP sessions and their secrets stay on the host.
//!
//! Request: `{"token", "server", "tool", "arguments"}`; answer: `{"ok":true,"result":…}` or
//! `{"ok":false,"error":"…"}`. Each execution gets a grant (a random token, revoked when the
//! grant's guard is dropped) with its own call budget and, optionally, an event channel.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

use super::config::McpSettings;
use super::error::McpError;
use super::registry::McpRegistry;
use crate::tools::{BridgeAccess, BridgeGrant};

/// The default largest request line (arguments included).
pub const DEFAULT_MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// The bridge's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeSettings {
    /// How long one tool call may take.
    pub call_timeout: Duration,
    /// How many calls one grant (one execution) may make.
    pub max_calls_per_execution: u64,
    /// The largest request line accepted; a longer one is refused and the connection closed.
    pub max_line_bytes: usize,
}

impl Default for BridgeSettings {
    fn default() -> Self {
        Self::from(&McpSettings::default())
    }
}

impl From<&McpSettings> for BridgeSettings {
    fn from(settings: &McpSettings) -> Self {
        Self {
            call_timeout: Duration::from_secs(settings.call_timeout_secs),
            max_calls_per_execution: settings.max_calls_per_execution,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
        }
    }
}

/// One tool call made through the bridge (for metrics and the `mcp_call` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct McpCallEvent {
    /// The server.
    pub server: String,
    /// The tool.
    pub tool: String,
    /// Whether the call got a result (an `isError` result counts as ok here).
    pub ok: bool,
    /// How long it took, in milliseconds.
    pub ms: u64,
    /// The size of the answer line sent back, in bytes.
    pub bytes: u64,
}

struct GrantState {
    calls: AtomicU64,
    events: Option<UnboundedSender<McpCallEvent>>,
}

struct Shared {
    registry: Arc<McpRegistry>,
    settings: BridgeSettings,
    grants: Mutex<HashMap<String, Arc<GrantState>>>,
}

impl Shared {
    fn grant_for(&self, token: &str) -> Option<Arc<GrantState>> {
        self.grants.lock().ok()?.get(token).cloned()
    }
}

/// Starts bridges.
#[derive(Debug)]
pub struct Bridge;

impl Bridge {
    /// Listens on `socket_path` (its directory is created; a stale socket file is replaced)
    /// and serves calls to `registry` on a tokio task. Must be called inside a tokio runtime.
    ///
    /// # Errors
    /// The path is served by a live bridge already, or the socket cannot be bound.
    pub fn bind(
        socket_path: &Path,
        registry: Arc<McpRegistry>,
        settings: BridgeSettings,
    ) -> Result<BridgeHandle, McpError> {
        if let Some(dir) = socket_path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        if socket_path.exists() {
            if std::os::unix::net::UnixStream::connect(socket_path).is_ok() {
                return Err(McpError::Bridge(format!(
                    "{} is already served by another bridge",
                    socket_path.display()
                )));
            }
            std::fs::remove_file(socket_path)?;
        }
        let listener = UnixListener::bind(socket_path).map_err(|e| {
            McpError::Bridge(format!("cannot listen on {}: {e}", socket_path.display()))
        })?;
        let shared = Arc::new(Shared {
            registry,
            settings,
            grants: Mutex::new(HashMap::new()),
        });
        let cancel = CancellationToken::new();
        tokio::spawn(accept_loop(listener, shared.clone(), cancel.clone()));
        Ok(BridgeHandle {
            shared,
            socket_path: socket_path.to_path_buf(),
            cancel,
        })
    }
}

/// A running bridge. Dropping it (or `shutdown`) stops the listener and every connection and
/// removes the socket file.
pub struct BridgeHandle {
    shared: Arc<Shared>,
    socket_path: PathBuf,
    cancel: CancellationToken,
}

impl std::fmt::Debug for BridgeHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeHandle")
            .field("socket_path", &self.socket_path)
            .finish_non_exhaustive()
    }
}

impl BridgeHandle {
    /// A new grant whose calls are reported on `events` (when given).
    pub fn grant_with(&self, events: Option<UnboundedSender<McpCallEvent>>) -> BridgeGrant {
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let state = Arc::new(GrantState {
            calls: AtomicU64::new(0),
            events,
        });
        if let Ok(mut grants) = self.shared.grants.lock() {
            grants.insert(token.clone(), state);
        }
        BridgeGrant {
            token: token.clone(),
            guard: Box::new(GrantGuard {
                shared: Arc::downgrade(&self.shared),
                token,
            }),
        }
    }

    /// How many grants are live (not yet revoked).
    pub fn active_grants(&self) -> usize {
        self.shared.grants.lock().map(|g| g.len()).unwrap_or(0)
    }

    /// Stops the bridge now (as dropping it does).
    pub fn shutdown(self) {
        drop(self);
    }
}

impl Drop for BridgeHandle {
    fn drop(&mut self) {
        self.cancel.cancel();
        let _ = std::fs::remove_file(&self.socket_path);
    }
}

impl BridgeAccess for BridgeHandle {
    fn socket_path(&self) -> &Path {
        &self.socket_path
    }

    fn grant(&self) -> BridgeGrant {
        self.grant_with(None)
    }
}

/// Revokes its token when dropped.
struct GrantGuard {
    shared: Weak<Shared>,
    token: String,
}

impl Drop for GrantGuard {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade()
            && let Ok(mut grants) = shared.grants.lock()
        {
            grants.remove(&self.token);
        }
    }
}

async fn accept_loop(listener: UnixListener, shared: Arc<Shared>, cancel: CancellationToken) {
    loop {
        tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, shared.clone(), cancel.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "MCP bridge accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    token: String,
    server: String,
    tool: String,
    #[serde(default)]
    arguments: Value,
}

/// What reading one line gave.
enum Line {
    Text(Vec<u8>),
    TooLong,
    Eof,
}

async fn read_line<R: AsyncRead + Unpin>(
    reader: &mut BufReader<R>,
    max: usize,
) -> std::io::Result<Line> {
    let mut buf = Vec::new();
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(if buf.is_empty() {
                Line::Eof
            } else {
                Line::Text(buf)
            });
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        if buf.len() + chunk.len() > max {
            return Ok(Line::TooLong);
        }
        buf.extend_from_slice(chunk);
        let consumed = done.unwrap_or(chunk.len());
        reader.consume(consumed);
        if done.is_some() {
            return Ok(Line::Text(buf));
        }
    }
}

async fn serve_connection(stream: UnixStream, shared: Arc<Shared>, cancel: CancellationToken) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    let max = shared.settings.max_line_bytes;
    loop {
        let line = tokio::select! {
            () = cancel.cancelled() => return,
            line = read_line(&mut reader, max) => line,
        };
        let (answer, close) = match line {
            Ok(Line::Eof) | Err(_) => return,
            Ok(Line::TooLong) => (
                failure(&format!("request line too long (max {max} bytes)")),
                true,
            ),
            Ok(Line::Text(bytes)) if bytes.iter().all(u8::is_ascii_whitespace) => continue,
            Ok(Line::Text(bytes)) => {
                let answer = tokio::select! {
                    () = cancel.cancelled() => return,
                    answer = handle_line(&bytes, &shared) => answer,
                };
                (answer, false)
            }
        };
        if write.write_all(answer.as_bytes()).await.is_err() || close {
            return;
        }
    }
}

fn failure(message: &str) -> String {
    let mut line = json!({"ok": false, "error": message}).to_string();
    line.push('\n');
    line
}

async fn handle_line(bytes: &[u8], shared: &Shared) -> String {
    let request: Request = match serde_json::from_slice(bytes) {
        Ok(r) => r,
        Err(e) => return failure(&format!("invalid bridge request: {e}")),
    };
    let Some(grant) = shared.grant_for(&request.token) else {
        return failure("invalid or revoked bridge token");
    };
    let started = Instant::now();
    let calls = grant.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let max = shared.settings.max_calls_per_execution;
    let (ok, line) = if calls > max {
        (
            false,
            failure(&format!(
                "too many MCP tool calls in this execution (max {max})"
            )),
        )
    } else {
        match shared
            .registry
            .call(
                &request.server,
                &request.tool,
                request.arguments,
                shared.settings.call_timeout,
            )
            .await
        {
            Ok(result) => {
                let mut line = json!({"ok": true, "result": result}).to_string();
                line.push('\n');
                (true, line)
            }
            Err(e) => (false, failure(&e.to_string())),
        }
    };
    if let Some(events) = &grant.events {
        let _ = events.send(McpCallEvent {
            server: request.server,
            tool: request.tool,
            ok,
            ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            bytes: line.len() as u64,
        });
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn read_line_caps_and_splits() {
        let data: &[u8] = b"abc\n\nlonger-than-eight\nrest";
        let mut reader = BufReader::with_capacity(4, data);
        assert!(matches!(read_line(&mut reader, 8).await.unwrap(), Line::Text(t) if t == b"abc"));
        assert!(matches!(read_line(&mut reader, 8).await.unwrap(), Line::Text(t) if t.is_empty()));
        assert!(matches!(
            read_line(&mut reader, 8).await.unwrap(),
            Line::TooLong
        ));
    }

    #[tokio::test]
    async fn read_line_returns_the_last_unterminated_line_then_eof() {
        let data: &[u8] = b"x\ntail";
        let mut reader = BufReader::new(data);
        assert!(matches!(read_line(&mut reader, 100).await.unwrap(), Line::Text(t) if t == b"x"));
        assert!(
            matches!(read_line(&mut reader, 100).await.unwrap(), Line::Text(t) if t == b"tail")
        );
        assert!(matches!(
            read_line(&mut reader, 100).await.unwrap(),
            Line::Eof
        ));
    }
}
