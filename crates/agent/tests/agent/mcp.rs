//! Tests of the mcp part: the registry against the fake stdio and Streamable HTTP servers, the
//! generated Python and docs (golden), the prompt summary (golden), and generated code calling
//! tools for real through the bridge (no sandbox).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use fba_agent::mcp::codegen::{generate_tool_documentation, generate_tool_module};
use fba_agent::mcp::{
    Bridge, BridgeSettings, McpCallEvent, McpError, McpRegistry, McpServerConfig, McpToolInfo,
    ToolExposureMode, format_tool_summary, generate_tool_files,
};
use fba_agent::testkit::mcp::{FakeMcpHttp, fake_stdio_config};
use fba_agent::tools::BridgeAccess;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

const SECRET: &str = "sekr1t-value-4711";

/// A fresh temp directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "fba-agent-mcp-{tag}-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn env_map() -> BTreeMap<String, String> {
    BTreeMap::from([("SECRET".to_string(), SECRET.to_string())])
}

/// The fake stdio server as `fake` with `TOKEN=${SECRET}`, the HTTP fake as `web`, a broken
/// server and a disabled one.
fn servers(http: &FakeMcpHttp) -> Vec<McpServerConfig> {
    let mut fake = fake_stdio_config("fake").unwrap();
    fake.env.insert("TOKEN".into(), "${SECRET}".into());
    let broken = McpServerConfig::stdio("broken", "/nonexistent/mcp-server-binary", vec![]);
    let mut off = fake_stdio_config("off").unwrap();
    off.enabled = false;
    vec![fake, http.config("web"), broken, off]
}

async fn connected_registry(http: &FakeMcpHttp, dir: &Path) -> Arc<McpRegistry> {
    let registry = Arc::new(
        McpRegistry::new(servers(http), dir, env_map())
            .with_connect_timeout(Duration::from_secs(20)),
    );
    registry.connect_all().await;
    registry
}

fn text_of(result: &Value) -> &str {
    result["content"][0]["text"].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_connects_in_parallel_and_records_failures() {
    let http = FakeMcpHttp::start().await.unwrap();
    let dir = TempDir::new("registry");
    let registry = McpRegistry::new(servers(&http), dir.path(), env_map());
    let status = registry.connect_all().await;

    let names: Vec<&str> = status.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["fake", "web", "broken"],
        "disabled servers are absent"
    );
    assert_eq!(status.iter().filter(|s| s.connected).count(), 2);
    let broken = &status[2];
    assert!(!broken.connected);
    assert_eq!(broken.tool_count, 0);
    let error = broken.error.as_deref().unwrap();
    assert!(
        error.contains("cannot start `/nonexistent/mcp-server-binary`"),
        "{error}"
    );
    assert_eq!(status[0].tool_count, 6);
    assert_eq!(status[1].transport.as_str(), "http");
    assert_eq!(registry.status(), status);

    let tools = registry.tools();
    assert_eq!(tools.keys().collect::<Vec<_>>(), ["fake", "web"]);
    let fake_names: Vec<&str> = tools["fake"].iter().map(|t| t.name.as_str()).collect();
    let web_names: Vec<&str> = tools["web"].iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        fake_names,
        ["echo", "add_numbers", "awkward", "fail", "slow", "env"]
    );
    assert_eq!(fake_names, web_names);
    assert_eq!(tools["fake"][2].input_schema, tools["web"][2].input_schema);
    assert_eq!(tools["web"][0].server, "web");
    assert_eq!(tools["fake"][0].return_type(), "str");
    registry.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_calls_work_time_out_and_report_errors() {
    let http = FakeMcpHttp::start().await.unwrap();
    let dir = TempDir::new("calls");
    let registry = connected_registry(&http, dir.path()).await;
    let t = Duration::from_secs(10);

    for server in ["fake", "web"] {
        let echoed = registry
            .call(server, "echo", json!({"text": "héllo"}), t)
            .await
            .unwrap();
        assert_eq!(text_of(&echoed), "héllo", "{server}");
        let sum = registry
            .call(server, "add_numbers", json!({"a": 2, "b": 3}), t)
            .await
            .unwrap();
        assert_eq!(text_of(&sum), "5");
        assert_eq!(sum["structuredContent"], json!({"result": 5}));
        let failed = registry.call(server, "fail", Value::Null, t).await.unwrap();
        assert_eq!(failed["isError"], json!(true));
        assert_eq!(text_of(&failed), "this tool always fails");
    }
    // The stdio child got the host env plus its expanded config env.
    let token = registry
        .call("fake", "env", json!({"name": "TOKEN"}), t)
        .await
        .unwrap();
    assert_eq!(text_of(&token), SECRET);
    let path = registry
        .call("fake", "env", json!({"name": "PATH"}), t)
        .await
        .unwrap();
    assert_eq!(text_of(&path), std::env::var("PATH").unwrap_or_default());

    for server in ["fake", "web"] {
        let started = std::time::Instant::now();
        let err = registry
            .call(
                server,
                "slow",
                json!({"seconds": 5}),
                Duration::from_millis(300),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, McpError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(3));
        assert!(
            err.to_string()
                .starts_with("MCP tool call timed out after 0.3 s"),
            "{err}"
        );
        // The session survives a timed-out call.
        let after = registry
            .call(server, "echo", json!({"text": "still here"}), t)
            .await
            .unwrap();
        assert_eq!(text_of(&after), "still here");
    }

    let err = registry
        .call("fake", "nope", json!({}), t)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Unknown tool 'nope' on MCP server 'fake'");
    let err = registry
        .call("ghost", "echo", json!({}), t)
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "Unknown MCP server: ghost");
    let err = registry
        .call("broken", "echo", json!({}), t)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("MCP server 'broken' is not connected: cannot start"),
        "{err}"
    );
    let err = registry
        .call("fake", "echo", json!([1]), t)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid arguments for MCP tool 'echo': expected a JSON object, got an array"
    );
    assert!(http.request_count() >= 8, "{}", http.request_count());

    let pids = registry.child_pids();
    assert_eq!(pids.len(), 1);
    registry.shutdown().await;
    assert!(registry.tools().is_empty());
    for pid in pids {
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        let mut waited = 0;
        while proc_dir.exists() && waited < 50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            waited += 1;
        }
        assert!(!proc_dir.exists(), "the stdio child {pid} is still running");
    }
}

#[tokio::test]
async fn sse_transport_is_reported_as_unsupported() {
    let mut sse = McpServerConfig::http("legacy", "http://127.0.0.1:9/sse");
    sse.transport = fba_agent::mcp::McpTransport::Sse;
    let registry = McpRegistry::new(vec![sse], "/", BTreeMap::new());
    let status = registry.connect_all().await;
    assert!(!status[0].connected);
    assert!(
        status[0]
            .error
            .as_deref()
            .unwrap()
            .contains("SSE transport is not supported")
    );
}

#[tokio::test]
async fn http_errors_do_not_show_the_expanded_url() {
    let mut server = McpServerConfig::http("closed", "http://127.0.0.1:9/mcp?key=${SECRET}");
    server
        .headers
        .insert("Authorization".into(), "Bearer ${SECRET}".into());
    let registry = McpRegistry::new(vec![server], "/", env_map())
        .with_connect_timeout(Duration::from_secs(10));
    let status = registry.connect_all().await;
    let error = status[0].error.clone().unwrap();
    assert!(!status[0].connected);
    assert!(!error.contains(SECRET), "{error}");
    assert!(
        error.contains("http://127.0.0.1:9/mcp?key=${SECRET}"),
        "{error}"
    );
}

// ---------------------------------------------------------------------------------------------
// Generated Python and docs (golden)

fn demo_tools() -> Vec<McpToolInfo> {
    vec![
        McpToolInfo::new(
            "demo",
            "search",
            "Search for items.\n\nReturns:\n    list of dict: matching items",
            json!({"type": "object", "properties": {
                "query": {"type": "string", "description": "Search query"},
                "limit": {"type": "integer", "description": "Max results", "default": 10},
                "from": {"type": "string", "description": "Start date"},
                "max-results": {"type": "integer", "description": "Cap"}
            }, "required": ["query", "from"]}),
        ),
        McpToolInfo::new(
            "demo",
            "get-data",
            "Get data.\n\nReturns:\n    dict: {\"value\": 1}",
            json!({"type": "object"}),
        ),
        McpToolInfo::new(
            "demo",
            "get_data",
            "",
            json!({"type": "object", "properties": {"class": {"type": "boolean"}}, "required": ["class"]}),
        ),
    ]
}

const MODULE_HEADER: &str = r#""""
Auto-generated tool functions for MCP server: demo

This module provides Python functions that call tools on the demo MCP server.
Functions are automatically generated from the MCP tool schemas.
"""

from __future__ import annotations  # annotations stay text: no `typing` import at run time

# Import MCP client
try:
    from .mcp_client import _call_mcp_tool
except ImportError:
    # Fallback for when mcp_client is not available
    def _call_mcp_tool(server_name: str, tool_name: str, arguments: dict[str, Any]) -> Any:
        raise NotImplementedError(
            "MCP client not initialized. "
            "This module must be used within a PTC sandbox with mcp_client.py installed."
        )


"#;

const SEARCH_FN: &str = r#"def search(query: str, from_: str, limit: int = 10, max_results_: int | None = None) -> list:
    """Search for items.

Returns:
    list of dict: matching items
    
    Args:
        query (string) (required): Search query
        from_ (string) (required): Start date
        limit (integer): Max results
        max_results_ (integer): Cap
    
    Returns:
        list: list of dict: matching items
    
    Example:
        result = search(query="example", from_="example")"""
    arguments = {
        "query": query,
        "from": from_,
        "limit": limit,
        "max-results": max_results_,
    }

    # Remove None values
    arguments = {k: v for k, v in arguments.items() if v is not None}

    return _call_mcp_tool("demo", "search", arguments)"#;

const GET_DATA_FN: &str = r#"def get_data() -> dict:
    """Get data.

Returns:
    dict: {"value": 1}
    
    Returns:
        dict: dict: {"value": 1}
    """
    arguments = {

    }

    # Remove None values
    arguments = {k: v for k, v in arguments.items() if v is not None}

    return _call_mcp_tool("demo", "get-data", arguments)"#;

const GET_DATA_2_FN: &str = r#"def get_data_2(class_: bool) -> Any:
    """Args:
        class_ (boolean) (required): 
    
    Returns:
        Tool execution result
    
    Example:
        result = get_data_2(class_=True)"""
    arguments = {
        "class": class_,
    }

    # Remove None values
    arguments = {k: v for k, v in arguments.items() if v is not None}

    return _call_mcp_tool("demo", "get_data", arguments)"#;

const SEARCH_DOC: &str = r#"# search(query: str, from_: str, limit: int = 10, max_results_: int = None)

Search for items.

Returns:
    list of dict: matching items

## Parameters

- `query` (string) - **Required**
  Search query

- `from_` (string) - **Required**
  Start date

- `limit` (integer) - Optional
  Max results

- `max_results_` (integer) - Optional
  Cap

## Returns

**Type:** `list`

list of dict: matching items

## Example

```python
from tools.demo import search

result = search(query="example", from_="example")
print(result)  # noqa: T201
```
"#;

const GET_DATA_DOC: &str = r#"# get_data()

Get data.

Returns:
    dict: {"value": 1}

## Parameters

No parameters

## Returns

**Type:** `dict`

dict: {"value": 1}

## Example

```python
from tools.demo import get_data

result = get_data()
print(result)  # noqa: T201
```
"#;

#[test]
fn generated_module_matches_upstream_format_with_safe_names() {
    let module = generate_tool_module("demo", &demo_tools());
    let expected = format!("{MODULE_HEADER}{SEARCH_FN}\n\n{GET_DATA_FN}\n\n{GET_DATA_2_FN}\n\n");
    assert_eq!(module, expected);
}

#[test]
fn generated_docs_match_upstream_format() {
    let tools = demo_tools();
    assert_eq!(
        generate_tool_documentation(&tools[0], "demo", "search"),
        SEARCH_DOC
    );
    assert_eq!(
        generate_tool_documentation(&tools[1], "demo", "get_data"),
        GET_DATA_DOC
    );
}

#[tokio::test]
async fn generated_files_layout_and_python_syntax() {
    let tools = BTreeMap::from([
        ("demo".to_string(), demo_tools()),
        (
            "my-server".to_string(),
            vec![McpToolInfo::new("my-server", "ping", "", json!({}))],
        ),
    ]);
    let files = generate_tool_files(&tools);
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "tools/__init__.py",
            "tools/mcp_client.py",
            "tools/demo.py",
            "tools/docs/demo/search.md",
            "tools/docs/demo/get-data.md",
            "tools/docs/demo/get_data.md",
            "tools/my_server_.py",
            "tools/docs/my_server_/ping.md",
        ]
    );
    assert_eq!(
        files[0].content,
        "\"\"\"Auto-generated tool modules from MCP servers.\"\"\"\n"
    );
    assert!(
        files[6]
            .content
            .contains("return _call_mcp_tool(\"my-server\", \"ping\", arguments)")
    );
    assert!(
        files[7]
            .content
            .contains("from tools.my_server_ import ping\n")
    );

    let dir = TempDir::new("syntax");
    write_files(dir.path(), &files);
    let out = tokio::process::Command::new("/usr/bin/python3")
        .args([
            "-c",
            "import tools.demo, tools.my_server_, tools.mcp_client; print('ok')",
        ])
        .current_dir(dir.path())
        .env_clear()
        .output()
        .await
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ok\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn mcp_client_holds_no_config_and_uses_the_bridge() {
    let client = fba_agent::mcp::MCP_CLIENT_PY;
    assert!(client.contains("os.environ.get(\"PTC_BRIDGE\", \"/run/ptc/bridge.sock\")"));
    assert!(client.contains("os.environ.get(\"PTC_TOKEN\", \"\")"));
    assert!(!client.contains("_SERVER_CONFIGS"));
    assert!(!client.contains("subprocess"));
    assert!(!client.contains("httpx"));
    let lines = client.lines().count();
    assert!((40..=70).contains(&lines), "{lines} lines");
}

/// (Also shows the fakes work on a current-thread runtime.)
#[tokio::test]
async fn no_secret_reaches_the_generated_files() {
    let http = FakeMcpHttp::start().await.unwrap();
    let dir = TempDir::new("secret");
    let registry = connected_registry(&http, dir.path()).await;
    let token = registry
        .call(
            "fake",
            "env",
            json!({"name": "TOKEN"}),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(
        text_of(&token),
        SECRET,
        "the server itself does get the secret"
    );
    let files = generate_tool_files(&registry.tools());
    assert!(files.len() > 10);
    for file in &files {
        assert!(
            !file.content.contains(SECRET),
            "{} holds the secret",
            file.path
        );
        assert!(
            !file.content.contains("${SECRET}"),
            "{} holds the placeholder",
            file.path
        );
    }
    let summary = format_tool_summary(&registry.tools(), "detailed", registry.servers());
    assert!(!summary.contains(SECRET));
    registry.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// Prompt summary (golden)

fn summary_tools() -> BTreeMap<String, Vec<McpToolInfo>> {
    BTreeMap::from([
        ("demo".to_string(), demo_tools()),
        (
            "web".to_string(),
            vec![McpToolInfo::new(
                "web",
                "echo",
                "Echo the text back.",
                json!({"properties": {"text": {"type": "string"}, "times": {"type": "integer", "default": 1}},
                       "required": ["text"]}),
            )],
        ),
    ])
}

fn summary_servers() -> Vec<McpServerConfig> {
    let mut demo = McpServerConfig::stdio("demo", "demo-server", vec![]);
    demo.description = "Demo tools".into();
    demo.instruction = "Use for demos".into();
    let mut web = McpServerConfig::http("web", "http://example.invalid/mcp");
    web.tool_exposure_mode = Some(ToolExposureMode::Detailed);
    vec![demo, web]
}

const NOTE: &str = "\n\n**Note**: Check `tools/docs/{server_name}/{tool_name}.md` for exact function signatures before use.";

const DEMO_BRIEF: &str = "
demo: Demo tools
  Instructions: Use for demos
  - Module: tools/demo.py
  - Tools: 3 tools available
  - Import: from tools.demo import <tool_name>
  - Documentation: tools/docs/demo/*.md";

const WEB_DETAILED: &str = "
web:
  Module: tools/web.py
  Available tools:
    - echo(text: string, times: integer = 1) -> Any: Echo the text back.";

const WEB_BRIEF: &str = "
web:
  - Module: tools/web.py
  - Tools: 1 tool available
  - Import: from tools.web import <tool_name>
  - Documentation: tools/docs/web/*.md";

#[test]
fn summary_mode_per_server_golden() {
    let text = format_tool_summary(&summary_tools(), "summary", &summary_servers());
    assert_eq!(text, format!("{DEMO_BRIEF}\n{WEB_DETAILED}{NOTE}"));
    for name in ["search", "get_data"] {
        assert!(!text.contains(name), "summary mode lists {name}");
    }
}

#[test]
fn detailed_and_full_modes_golden() {
    let demo_detailed = "
demo: Demo tools
  Instructions: Use for demos
  Module: tools/demo.py
  Available tools:
    - search(query: string, from_: string, limit: integer = 10, max_results_: integer = None) -> list: Search for items.

Returns:
    list of dict: matching items
    - get_data() -> dict: Get data.

Returns:
    dict: {\"value\": 1}
    - get_data_2(class_: boolean) -> Any";
    let detailed = format_tool_summary(&summary_tools(), "detailed", &summary_servers());
    assert_eq!(detailed, format!("{demo_detailed}\n{WEB_DETAILED}{NOTE}"));
    assert_eq!(
        format_tool_summary(&summary_tools(), "full", &summary_servers()),
        detailed
    );

    // Without configs: the global mode for all, and detailed mode has no note (as upstream).
    let bare = format_tool_summary(&summary_tools(), "full", &[]);
    assert!(
        bare.starts_with("\ndemo:\n  Module: tools/demo.py\n  Available tools:\n    - search(")
    );
    assert!(bare.ends_with(WEB_DETAILED));
}

#[test]
fn unknown_mode_falls_back_to_summary_and_empty_registry_gives_text() {
    let tools = summary_tools();
    let unknown = format_tool_summary(&tools, "verbose", &[]);
    let demo_plain = DEMO_BRIEF.replace(
        "demo: Demo tools\n  Instructions: Use for demos\n",
        "demo:\n",
    );
    assert_eq!(unknown, format!("{demo_plain}\n{WEB_BRIEF}{NOTE}"));
    assert_eq!(format_tool_summary(&tools, "summary", &[]), unknown);
    let empty = BTreeMap::new();
    assert_eq!(
        format_tool_summary(&empty, "summary", &[]),
        "\nNo MCP servers configured."
    );
    assert_eq!(
        format_tool_summary(&empty, "detailed", &summary_servers()),
        "\nNo MCP servers configured."
    );
}

// ---------------------------------------------------------------------------------------------
// End to end through the bridge, without a sandbox

fn write_files(root: &Path, files: &[fba_agent::mcp::GeneratedFile]) {
    for file in files {
        let path = root.join(&file.path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, &file.content).unwrap();
    }
}

/// Runs `code` with python3 in `dir`, the environment cleared except the bridge variables.
async fn run_python(dir: &Path, socket: &Path, token: &str, code: &str) -> (String, String) {
    let out = tokio::process::Command::new("/usr/bin/python3")
        .args(["-c", code])
        .current_dir(dir)
        .env_clear()
        .env("PYTHONPATH", dir)
        .env("PTC_BRIDGE", socket)
        .env("PTC_TOKEN", token)
        .output()
        .await
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const CATCH: &str = "\ntry:\n    CALL\nexcept RuntimeError as e:\n    print('RuntimeError:', e)\n";

fn catching(import: &str, call: &str) -> String {
    format!("{import}{}", CATCH.replace("CALL", call))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_code_calls_tools_through_the_bridge() {
    let http = FakeMcpHttp::start().await.unwrap();
    let dir = TempDir::new("e2e");
    let registry = connected_registry(&http, dir.path()).await;
    write_files(dir.path(), &generate_tool_files(&registry.tools()));
    let socket = dir.path().join("run/bridge.sock");
    let bridge = Bridge::bind(&socket, registry.clone(), BridgeSettings::default()).unwrap();
    assert_eq!(bridge.socket_path(), socket);
    let (tx, mut rx) = mpsc::unbounded_channel::<McpCallEvent>();
    let grant = bridge.grant_with(Some(tx));
    assert_eq!(grant.token.len(), 64);

    for server in ["fake", "web"] {
        let code = format!("from tools.{server} import add_numbers; print(add_numbers(a=2, b=3))");
        let (out, err) = run_python(dir.path(), &socket, &grant.token, &code).await;
        assert_eq!(out, "5\n", "{server}: {err}");
    }
    let (out, err) = run_python(
        dir.path(),
        &socket,
        &grant.token,
        "from tools.fake import awkward, echo\nprint(awkward(from_='x', max_results_=3))\nprint(awkward('y'))\nprint(echo(text='[not json'))",
    )
    .await;
    assert_eq!(
        out, "{'from': 'x', 'max-results': 3}\n{'from': 'y', 'max-results': 10}\n[not json\n",
        "{err}"
    );

    let (out, err) = run_python(
        dir.path(),
        &socket,
        &grant.token,
        &catching("from tools.web import fail", "fail()"),
    )
    .await;
    assert_eq!(
        out, "RuntimeError: MCP tool call failed: this tool always fails\n",
        "{err}"
    );
    let (out, _) = run_python(
        dir.path(),
        &socket,
        &grant.token,
        &catching(
            "from tools.mcp_client import _call_mcp_tool",
            "_call_mcp_tool('fake', 'nope', {})",
        ),
    )
    .await;
    assert_eq!(
        out,
        "RuntimeError: Unknown tool 'nope' on MCP server 'fake'\n"
    );
    let (out, _) = run_python(
        dir.path(),
        &socket,
        &grant.token,
        &catching(
            "from tools.mcp_client import _call_mcp_tool",
            "_call_mcp_tool('ghost', 'echo', {})",
        ),
    )
    .await;
    assert_eq!(out, "RuntimeError: Unknown MCP server: ghost\n");

    let mut events = Vec::new();
    while let Ok(event) = rx.try_recv() {
        events.push(event);
    }
    let summary: Vec<(&str, &str, bool)> = events
        .iter()
        .map(|e| (e.server.as_str(), e.tool.as_str(), e.ok))
        .collect();
    assert_eq!(
        summary,
        [
            ("fake", "add_numbers", true),
            ("web", "add_numbers", true),
            ("fake", "awkward", true),
            ("fake", "awkward", true),
            ("fake", "echo", true),
            ("web", "fail", true),
            ("fake", "nope", false),
            ("ghost", "echo", false),
        ]
    );
    assert!(events.iter().all(|e| e.bytes > 10));

    // Revoked: the same token is refused once the grant is dropped.
    let token = grant.token.clone();
    assert_eq!(bridge.active_grants(), 1);
    drop(grant);
    assert_eq!(bridge.active_grants(), 0);
    let (out, _) = run_python(
        dir.path(),
        &socket,
        &token,
        &catching("from tools.fake import echo", "echo(text='hi')"),
    )
    .await;
    assert_eq!(out, "RuntimeError: invalid or revoked bridge token\n");

    drop(bridge);
    assert!(
        !socket.exists(),
        "the socket file is removed with the bridge"
    );
    registry.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridge_enforces_call_budget_timeout_and_line_cap() {
    let http = FakeMcpHttp::start().await.unwrap();
    let dir = TempDir::new("limits");
    let registry = connected_registry(&http, dir.path()).await;
    write_files(dir.path(), &generate_tool_files(&registry.tools()));
    let socket = dir.path().join("bridge.sock");
    let settings = BridgeSettings {
        call_timeout: Duration::from_millis(400),
        max_calls_per_execution: 3,
        max_line_bytes: 1024,
    };
    let bridge = Bridge::bind(&socket, registry.clone(), settings).unwrap();
    let grant = bridge.grant();

    let code = "from tools.fake import echo, slow\nfor i in range(3):\n    try:\n        print(echo(text=str(i)) if i != 1 else slow(seconds=5))\n    except RuntimeError as e:\n        print('RuntimeError:', e)\ntry:\n    echo(text='4th')\nexcept RuntimeError as e:\n    print('RuntimeError:', e)";
    let (out, err) = run_python(dir.path(), &socket, &grant.token, code).await;
    assert_eq!(
        out,
        "0\nRuntimeError: MCP tool call timed out after 0.4 s: fake.slow\n2\nRuntimeError: too many MCP tool calls in this execution (max 3)\n",
        "{err}"
    );
    // A second grant has its own budget.
    let other = bridge.grant();
    let (out, _) = run_python(
        dir.path(),
        &socket,
        &other.token,
        "from tools.web import echo; print(echo(text='ok'))",
    )
    .await;
    assert_eq!(out, "ok\n");

    // Raw protocol: bad JSON, an over-long line (the connection is closed afterwards).
    let stream = tokio::net::UnixStream::connect(&socket).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"{not json\n").await.unwrap();
    let answer: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(answer["ok"], json!(false));
    assert!(
        answer["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid bridge request:")
    );
    write
        .write_all(format!("{{\"token\":\"{}\",\"server\":\"fake\",\"tool\":\"echo\",\"arguments\":{{\"text\":\"raw\"}}}}\n", other.token).as_bytes())
        .await
        .unwrap();
    let answer: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(answer["ok"], json!(true));
    assert_eq!(answer["result"]["content"][0]["text"], "raw");
    write.write_all(&vec![b'x'; 2000]).await.unwrap();
    write.write_all(b"\n").await.unwrap();
    let answer: Value = serde_json::from_str(&lines.next_line().await.unwrap().unwrap()).unwrap();
    assert_eq!(answer["error"], "request line too long (max 1024 bytes)");
    assert!(
        lines.next_line().await.unwrap().is_none(),
        "closed after an over-long line"
    );

    // A second bridge on a live socket is refused.
    let again = Bridge::bind(&socket, registry.clone(), BridgeSettings::default()).unwrap_err();
    assert!(again.to_string().contains("already served"), "{again}");
    drop(bridge);
    registry.shutdown().await;
}
