//! Fake MCP servers for tests: a stdlib-only Python script on stdio, and an in-process
//! Streamable HTTP server (actix-web). Both offer the same tools: `echo(text)`,
//! `add_numbers(a, b)` (the sum as JSON text), `awkward(from, max-results)` (names that are not
//! Python identifiers; echoes its arguments as JSON), `fail()` (an `isError` result),
//! `slow(seconds)` and `env(name)` (the server's environment variable).

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::mcp::McpServerConfig;

/// The stdio fake: newline-delimited JSON-RPC (initialize, notifications/initialized,
/// tools/list, tools/call, ping), Python ≥3.8 stdlib only.
pub const FAKE_MCP_STDIO_PY: &str = include_str!("fake_mcp_server.py");

/// The protocol versions the fakes accept (others are answered with 2025-06-18).
const SUPPORTED_VERSIONS: &[&str] = &["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

/// Writes [`FAKE_MCP_STDIO_PY`] once to the temp directory (named by its hash) and returns its
/// path.
///
/// # Errors
/// The temp directory is not writable.
pub fn write_fake_stdio_server() -> std::io::Result<PathBuf> {
    let digest = Sha256::digest(FAKE_MCP_STDIO_PY.as_bytes());
    let hash: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let path = std::env::temp_dir().join(format!("fba-agent-fake-mcp-{hash}.py"));
    if !path.exists() {
        let tmp = path.with_extension(format!("{}.tmp", uuid::Uuid::new_v4().simple()));
        std::fs::write(&tmp, FAKE_MCP_STDIO_PY)?;
        std::fs::rename(&tmp, &path)?;
    }
    Ok(path)
}

/// A stdio server config named `name` running the fake with `/usr/bin/python3`.
///
/// # Errors
/// The script cannot be written.
pub fn fake_stdio_config(name: &str) -> std::io::Result<McpServerConfig> {
    let script = write_fake_stdio_server()?;
    Ok(McpServerConfig::stdio(
        name,
        "/usr/bin/python3",
        vec![script.to_string_lossy().into_owned()],
    ))
}

/// The fakes' tool list (the same schemas as the Python script).
pub fn fake_tools() -> Value {
    json!([
        {"name": "echo", "description": "Echo the text back.\n\nReturns:\n    str: the same text",
         "inputSchema": {"type": "object", "properties": {"text": {"type": "string", "description": "Text to echo"}},
                         "required": ["text"]}},
        {"name": "add_numbers", "description": "Add two numbers.",
         "inputSchema": {"type": "object", "properties": {"a": {"type": "number", "description": "First number"},
                                                           "b": {"type": "number", "description": "Second number"}},
                         "required": ["a", "b"]}},
        {"name": "awkward", "description": "Parameters that are not Python identifiers.\n\nReturns:\n    dict: the arguments received",
         "inputSchema": {"type": "object", "properties": {"from": {"type": "string", "description": "Start"},
                                                           "max-results": {"type": "integer", "description": "Limit", "default": 10}},
                         "required": ["from"]}},
        {"name": "fail", "description": "Always fails.", "inputSchema": {"type": "object", "properties": {}}},
        {"name": "slow", "description": "Sleep, then answer.",
         "inputSchema": {"type": "object", "properties": {"seconds": {"type": "number", "description": "How long"}},
                         "required": ["seconds"]}},
        {"name": "env", "description": "Read an environment variable of the server.",
         "inputSchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}}
    ])
}

fn text_result(text: String, is_error: bool) -> Value {
    json!({"content": [{"type": "text", "text": text}], "isError": is_error})
}

/// Runs one fake tool; `None` for an unknown tool.
async fn run_tool(name: &str, args: &Value) -> Option<Value> {
    let result = match name {
        "echo" => text_result(args["text"].as_str().unwrap_or_default().to_string(), false),
        "add_numbers" => {
            let sum = match (args["a"].as_i64(), args["b"].as_i64()) {
                (Some(a), Some(b)) => json!(a.saturating_add(b)),
                _ => json!(args["a"].as_f64().unwrap_or(0.0) + args["b"].as_f64().unwrap_or(0.0)),
            };
            let mut result = text_result(sum.to_string(), false);
            result["structuredContent"] = json!({"result": sum});
            result
        }
        "awkward" => text_result(args.to_string(), false),
        "fail" => text_result("this tool always fails".into(), true),
        "slow" => {
            let seconds = args["seconds"].as_f64().unwrap_or(1.0).clamp(0.0, 600.0);
            tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
            text_result("slept".into(), false)
        }
        "env" => text_result(
            std::env::var(args["name"].as_str().unwrap_or_default()).unwrap_or_default(),
            false,
        ),
        _ => return None,
    };
    Some(result)
}

struct HttpState {
    requests: AtomicUsize,
    sessions: Mutex<HashSet<String>>,
}

/// An in-process Streamable HTTP MCP server on `127.0.0.1:<random>`, path `/mcp`. It issues an
/// `Mcp-Session-Id` on `initialize` and requires it afterwards, answers JSON, except `tools/call`,
/// which is answered as an SSE stream; GET is 405. Stops when dropped.
pub struct FakeMcpHttp {
    addr: SocketAddr,
    handle: ServerHandle,
    state: web::Data<HttpState>,
}

impl std::fmt::Debug for FakeMcpHttp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeMcpHttp")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FakeMcpHttp {
    /// Starts the server (inside a tokio runtime).
    ///
    /// # Errors
    /// No loopback port could be bound.
    pub async fn start() -> std::io::Result<Self> {
        let state = web::Data::new(HttpState {
            requests: AtomicUsize::new(0),
            sessions: Mutex::new(HashSet::new()),
        });
        let app_state = state.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                .route("/mcp", web::post().to(post))
                .route(
                    "/mcp",
                    web::get().to(|| async { HttpResponse::MethodNotAllowed().finish() }),
                )
                .route("/mcp", web::delete().to(delete))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))?;
        let addr = server
            .addrs()
            .first()
            .copied()
            .ok_or_else(|| std::io::Error::other("no bound address"))?;
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Ok(Self {
            addr,
            handle,
            state,
        })
    }

    /// The MCP endpoint, `http://127.0.0.1:<port>/mcp`.
    pub fn url(&self) -> String {
        format!("http://{}/mcp", self.addr)
    }

    /// How many HTTP requests the server has received.
    pub fn request_count(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }

    /// An `http` server config named `name` for this server.
    pub fn config(&self, name: &str) -> McpServerConfig {
        McpServerConfig::http(name, self.url())
    }
}

impl Drop for FakeMcpHttp {
    fn drop(&mut self) {
        // The stop command is sent at once; the returned future only waits for completion.
        drop(self.handle.stop(false));
    }
}

fn rpc_result(id: &Value, result: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn rpc_error(id: &Value, code: i64, message: String) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}

async fn post(req: HttpRequest, body: web::Bytes, state: web::Data<HttpState>) -> HttpResponse {
    state.requests.fetch_add(1, Ordering::SeqCst);
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest().json(rpc_error(
            &Value::Null,
            -32700,
            "Parse error".into(),
        ));
    };
    let method = message["method"].as_str().unwrap_or_default();
    let id = message.get("id").cloned().unwrap_or(Value::Null);
    if method == "initialize" {
        let session = uuid::Uuid::new_v4().simple().to_string();
        if let Ok(mut sessions) = state.sessions.lock() {
            sessions.insert(session.clone());
        }
        let asked = message["params"]["protocolVersion"]
            .as_str()
            .unwrap_or_default();
        let version = if SUPPORTED_VERSIONS.contains(&asked) {
            asked
        } else {
            "2025-06-18"
        };
        return HttpResponse::Ok()
            .insert_header(("Mcp-Session-Id", session))
            .json(rpc_result(
                &id,
                json!({"protocolVersion": version, "capabilities": {"tools": {}},
                   "serverInfo": {"name": "fake-mcp-http", "version": "1.0.0"}}),
            ));
    }
    let session = req
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok());
    let known = session.is_some_and(|s| state.sessions.lock().is_ok_and(|set| set.contains(s)));
    if session.is_none() {
        return HttpResponse::BadRequest().body("Bad Request: missing Mcp-Session-Id");
    }
    if !known {
        return HttpResponse::NotFound().body("unknown session");
    }
    if message.get("method").is_none() || id.is_null() {
        return HttpResponse::Accepted().finish();
    }
    match method {
        "ping" => HttpResponse::Ok().json(rpc_result(&id, json!({}))),
        "tools/list" => HttpResponse::Ok().json(rpc_result(&id, json!({"tools": fake_tools()}))),
        "tools/call" => {
            let name = message["params"]["name"].as_str().unwrap_or_default();
            let args = message["params"]["arguments"].clone();
            let answer = match run_tool(name, &args).await {
                Some(result) => rpc_result(&id, result),
                None => rpc_error(&id, -32602, format!("Unknown tool: {name}")),
            };
            HttpResponse::Ok()
                .content_type("text/event-stream")
                .body(format!("event: message\ndata: {answer}\n\n"))
        }
        other => {
            HttpResponse::Ok().json(rpc_error(&id, -32601, format!("Method not found: {other}")))
        }
    }
}

async fn delete(req: HttpRequest, state: web::Data<HttpState>) -> HttpResponse {
    state.requests.fetch_add(1, Ordering::SeqCst);
    if let Some(session) = req
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        && let Ok(mut sessions) = state.sessions.lock()
    {
        sessions.remove(session);
    }
    HttpResponse::Ok().finish()
}
