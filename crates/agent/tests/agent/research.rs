//! The research subagent: `tavily_search` against the fake Tavily API (upstream's answer format,
//! the request it sends, every failure as an `ERROR` answer), `think_tool`, the subagent in
//! `agent_spec` only when a key is set, and end to end: the main model delegates to `research`,
//! whose own model searches, reflects and answers, and the main agent gets it through `wait`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use fba_agent::config::{AgentConfig, EnvMap, LlmCatalog};
use fba_agent::host::{AgentHost, RESEARCH};
use fba_agent::llm::Wire;
use fba_agent::runtime::{EventSink, RunInput, RunStop, Session, SessionState, TaskStatus};
use fba_agent::testkit::llm::{FAKE_API_KEY, FakeLlm, Turn};
use fba_agent::testkit::search::{FAKE_TAVILY_KEY, FakeResult, FakeTavily, SearchAnswer};
use fba_agent::tools::think::ThinkTool;
use fba_agent::tools::web_search::{TavilySearchTool, Topic};
use fba_agent::tools::{Tool, ToolCx, ToolOutput};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::support::{Dir, contains, drain, outline, times};

fn cx() -> ToolCx {
    ToolCx {
        call_id: "call_1".into(),
        cancel: CancellationToken::new(),
    }
}

fn tool(fake: &FakeTavily) -> TavilySearchTool {
    TavilySearchTool::new(FAKE_TAVILY_KEY)
        .unwrap()
        .with_base_url(&fake.url())
}

async fn search(tool: &TavilySearchTool, query: &str) -> ToolOutput {
    tool.call(json!({ "query": query }), &cx()).await
}

#[tokio::test]
async fn tavily_search_answers_in_upstreams_format_and_sends_the_key_as_bearer() {
    let fake = FakeTavily::start([SearchAnswer::results([
        FakeResult::new(
            "The Rust 2024 Edition",
            "https://blog.rust-lang.org/2025/02/20/Rust-1.85.0.html",
            "# Rust 1.85.0\n\nThe 2024 edition is stable.",
        ),
        FakeResult::new("No URL", "", "dropped, as upstream drops it"),
        FakeResult::new(
            "Edition Guide",
            "https://doc.rust-lang.org/edition-guide/",
            "snippet only",
        )
        .without_raw_content(),
    ])])
    .unwrap();
    let tool = tool(&fake).with_max_results(3).with_topic(Topic::News);
    let out = search(&tool, "rust 2024 edition").await;
    assert!(!out.is_error, "{}", out.text());
    assert_eq!(
        out.text(),
        "Found 2 result(s) for 'rust 2024 edition':\n\n\
         ## The Rust 2024 Edition\n**URL:** https://blog.rust-lang.org/2025/02/20/Rust-1.85.0.html\n\n\
         # Rust 1.85.0\n\nThe 2024 edition is stable.\n\n---\n\n\
         ## Edition Guide\n**URL:** https://doc.rust-lang.org/edition-guide/\n\nsnippet only\n\n---\n"
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.path, "/search");
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {FAKE_TAVILY_KEY}").as_str())
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.body,
        json!({
            "query": "rust 2024 edition",
            "max_results": 3,
            "topic": "news",
            "include_raw_content": "markdown",
        })
    );
    assert_eq!(fake.remaining(), 0);
}

#[tokio::test]
async fn tavily_search_uses_upstreams_defaults_and_reports_no_results() {
    let fake = FakeTavily::start([SearchAnswer::results([])]).unwrap();
    let tool = tool(&fake);
    let spec = tool.spec();
    assert_eq!(spec.name, "tavily_search");
    assert_eq!(
        spec.parameters["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["query"],
        "max_results and topic are not the model's"
    );
    let out = search(&tool, "nothing at all").await;
    assert!(!out.is_error);
    assert_eq!(out.text(), "Found 0 result(s) for 'nothing at all':\n\n");
    let body = &fake.requests()[0].body;
    assert_eq!(body["max_results"], 1);
    assert_eq!(body["topic"], "general");
}

#[tokio::test]
async fn a_long_page_is_capped_with_a_note() {
    let page = "x".repeat(50);
    let fake = FakeTavily::start([SearchAnswer::results([FakeResult::new(
        "Long",
        "https://long.example",
        page,
    )])])
    .unwrap();
    let tool = tool(&fake).with_max_content_chars(10);
    let out = search(&tool, "long").await;
    assert_eq!(
        out.text(),
        "Found 1 result(s) for 'long':\n\n## Long\n**URL:** https://long.example\n\n\
         xxxxxxxxxx\n\n[Content truncated: the first 10 of 50 characters are shown]\n\n---\n"
    );
}

#[tokio::test]
async fn api_failures_are_error_answers() {
    let fake = FakeTavily::start([
        SearchAnswer::status(500, "upstream index unavailable"),
        SearchAnswer::status(429, "This request exceeds your plan's set usage limit."),
        SearchAnswer::raw(200, r#"{"results": [{"title": "cut"#),
        SearchAnswer::raw(200, r#"{"results": "not a list"}"#),
        SearchAnswer::raw(502, "<html>Bad Gateway</html>"),
    ])
    .unwrap();
    let tool = tool(&fake);
    let mut answers = Vec::new();
    for _ in 0..5 {
        let out = search(&tool, "q").await;
        assert!(out.is_error, "{}", out.text());
        answers.push(out.text());
    }
    assert_eq!(
        answers[0],
        "ERROR: Search failed - HTTP 500 (Tavily server error): upstream index unavailable"
    );
    assert_eq!(
        answers[1],
        "ERROR: Search failed - HTTP 429 (usage limit exceeded): This request exceeds your plan's set usage limit."
    );
    assert!(
        answers[2]
            .starts_with("ERROR: Search failed - the Tavily API answered with invalid JSON: "),
        "{}",
        answers[2]
    );
    assert_eq!(
        answers[3],
        "ERROR: Search failed - the Tavily API answer's `results` is not a list"
    );
    assert_eq!(
        answers[4],
        "ERROR: Search failed - HTTP 502 (Tavily server error): <html>Bad Gateway</html>"
    );

    // A wrong key is a 401 with the API's message (and uses up no scripted answer).
    fake.push([SearchAnswer::results([])]);
    let wrong = TavilySearchTool::new("tvly-wrong")
        .unwrap()
        .with_base_url(&fake.url());
    let out = search(&wrong, "q").await;
    assert!(out.is_error);
    assert_eq!(
        out.text(),
        "ERROR: Search failed - HTTP 401 (invalid API key): Unauthorized: missing or invalid API key."
    );
    assert_eq!(fake.remaining(), 1);
    assert_eq!(
        fake.requests().last().unwrap().header("authorization"),
        Some("Bearer tvly-wrong")
    );
}

#[tokio::test]
async fn timeouts_unreachable_servers_cancels_and_bad_arguments_are_error_answers() {
    let fake =
        FakeTavily::start([SearchAnswer::results([]).delay(Duration::from_secs(3))]).unwrap();
    let slow = tool(&fake).with_timeout(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let out = search(&slow, "slow").await;
    assert!(out.is_error);
    assert_eq!(
        out.text(),
        "ERROR: Search failed - the request timed out after 200 ms"
    );
    assert!(started.elapsed() < Duration::from_secs(2));

    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let gone = TavilySearchTool::new(FAKE_TAVILY_KEY)
        .unwrap()
        .with_base_url(&format!("http://127.0.0.1:{port}/"));
    let out = search(&gone, "q").await;
    assert!(out.is_error);
    assert!(
        out.text().starts_with(&format!(
            "ERROR: Search failed - could not reach http://127.0.0.1:{port}/search: "
        )),
        "{}",
        out.text()
    );

    let cancelled = cx();
    cancelled.cancel.cancel();
    let out = tool(&fake).call(json!({"query": "q"}), &cancelled).await;
    assert_eq!(
        (out.is_error, out.text().as_str()),
        (true, "ERROR: Search was cancelled")
    );

    let out = tool(&fake).call(json!({"q": "wrong name"}), &cx()).await;
    assert_eq!(
        out.text(),
        "ERROR: missing required argument 'query' (a string)"
    );
    let out = search(&tool(&fake), "   ").await;
    assert_eq!(out.text(), "ERROR: the search query is empty");
    assert!(TavilySearchTool::new("").is_err());
    assert!(TavilySearchTool::new("bad\nkey").is_err());
}

#[tokio::test]
async fn the_search_tool_is_configured_from_the_env_map() {
    assert!(
        TavilySearchTool::from_env(&EnvMap::default())
            .unwrap()
            .is_none()
    );
    assert!(
        TavilySearchTool::from_env(&EnvMap::from_pairs([("TAVILY_API_KEY", " ")]))
            .unwrap()
            .is_none()
    );
    let plain = TavilySearchTool::from_env(&EnvMap::from_pairs([("TAVILY_API_KEY", "k")]))
        .unwrap()
        .unwrap();
    assert_eq!(plain.base_url(), "https://api.tavily.com");
    let proxied = TavilySearchTool::from_env(&EnvMap::from_pairs([
        ("TAVILY_API_KEY", "k"),
        ("TAVILY_BASE_URL", "http://proxy.local:8080/tavily/"),
    ]))
    .unwrap()
    .unwrap();
    assert_eq!(proxied.base_url(), "http://proxy.local:8080/tavily");
    assert!(!format!("{proxied:?}").contains("Bearer"));
}

#[tokio::test]
async fn think_tool_records_the_reflection() {
    let think = ThinkTool::new();
    assert_eq!(think.spec().name, "think_tool");
    assert_eq!(think.spec().parameters["required"], json!(["reflection"]));
    let out = think
        .call(
            json!({"reflection": "Two sources agree; one more for prices."}),
            &cx(),
        )
        .await;
    assert_eq!(
        out,
        ToolOutput::ok("Reflection recorded: Two sources agree; one more for prices.")
    );
    let out = think.call(json!({}), &cx()).await;
    assert_eq!(
        out,
        ToolOutput::error("ERROR: missing required argument 'reflection' (a string)")
    );
}

// --- the subagent in the agent ---------------------------------------------------------------

/// A host whose model is `fake` (OpenAI wire), with these subagents and extra env variables
/// (no MCP servers).
async fn host(dir: &Dir, fake: &FakeLlm, subagents: &[&str], env: &[(&str, &str)]) -> AgentHost {
    let yaml = format!(
        r#"
llm: {{name: fake}}
sandbox:
  root_dir: "{root}"
  exec_helper: "{helper}"
subagents: {{enabled: {subagents:?}}}
"#,
        root = dir.0.join("sandboxes").display(),
        helper = env!("CARGO_BIN_EXE_fba-sandbox-exec"),
    );
    let llms = json!({"llms": {"fake": {
        "model_id": "fake-model", "provider": "test", "sdk": "langchain_openai.ChatOpenAI",
        "api_key_env": "FAKE_KEY", "base_url": fake.base_url_for(Wire::OpenAi)
    }}});
    let catalog = LlmCatalog::parse(&llms.to_string(), "llms.json").unwrap();
    let mut vars = EnvMap::from_pairs([("FAKE_KEY", FAKE_API_KEY)]);
    for (k, v) in env {
        vars.set(*k, *v);
    }
    let config =
        AgentConfig::from_yaml(&yaml, "config.yaml", catalog, dir.0.clone(), vars).unwrap();
    AgentHost::start(config).await.unwrap()
}

#[tokio::test]
async fn research_is_offered_only_with_a_search_key() {
    let dir = Dir::new("spec");
    let fake = FakeLlm::start([]).unwrap();
    let enabled = ["general-purpose", "research"];

    let without = host(&dir, &fake, &enabled, &[]).await;
    let ws = without.open_workspace("no-key").unwrap();
    let spec = without
        .agent_spec(&ws, without.model(None).unwrap(), "2026-12-06")
        .unwrap();
    let names: Vec<&str> = spec.subagents.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["general-purpose"]);
    assert!(!spec.system_prompt.contains("**research**"));

    let with = host(&dir, &fake, &enabled, &[("TAVILY_API_KEY", "tvly-k")]).await;
    let ws = with.open_workspace("key").unwrap();
    let spec = with
        .agent_spec(&ws, with.model(None).unwrap(), "2026-12-06")
        .unwrap();
    let names: Vec<&str> = spec.subagents.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["general-purpose", RESEARCH]);
    let research = &spec.subagents[1];
    let tools: Vec<String> = research.tools.iter().map(|t| t.spec().name).collect();
    assert_eq!(tools, ["tavily_search", "think_tool"]);
    assert!(research.llm.is_none());
    assert!(research.description.contains("numbered source citations"));
    assert!(
        spec.system_prompt
            .contains("- **research**: A web researcher for one focused topic")
    );
    assert!(
        spec.system_prompt
            .contains("  Tools: tavily_search, think_tool")
    );
    let prompt = &research.system_prompt;
    for needle in [
        "Today is 2026-12-06.",
        "`tavily_search`",
        "`think_tool`",
        "<workflow>",
        "two or three searches",
        "up to 5 searches",
        "<thinking_process>",
        "### Sources",
        "[n] Title: URL",
    ] {
        assert!(prompt.contains(needle), "{needle} missing in\n{prompt}");
    }
}

#[tokio::test]
async fn a_research_subagent_searches_reflects_and_reports_back_through_wait() {
    let dir = Dir::new("e2e");
    let answer = "The 2024 edition became stable in Rust 1.85 [1].\n\n### Sources\n[1] Rust 1.85.0: https://blog.rust-lang.org/2025/02/20/Rust-1.85.0.html";
    let main = FakeLlm::start([
        Turn::tool_call(
            "task",
            json!({"description": "When did the Rust 2024 edition become stable?", "subagent_type": "research"}),
        )
        .expect(contains("A web researcher for one focused topic")),
        Turn::tool_call("wait", json!({"task_number": 1, "timeout": 30}))
            .expect(contains("Background subagent deployed: **Task-1**")),
        Turn::text("Rust 1.85 made the 2024 edition stable.").expect(contains(
            "**Task-1** (research) completed:\\n\\nThe 2024 edition became stable in Rust 1.85 [1].",
        )),
    ])
    .unwrap();
    let sub = FakeLlm::start([
        Turn::tool_call("tavily_search", json!({"query": "Rust 2024 edition stable release"}))
            .expect(contains("When did the Rust 2024 edition become stable?")),
        Turn::tool_call(
            "think_tool",
            json!({"reflection": "The release post answers it; no gaps left."}),
        )
        .expect(contains(
            "Found 1 result(s) for 'Rust 2024 edition stable release':\\n\\n## Rust 1.85.0\\n**URL:** https://blog.rust-lang.org/2025/02/20/Rust-1.85.0.html\\n\\n# Rust 1.85.0",
        )),
        Turn::text(answer).expect(contains(
            "Reflection recorded: The release post answers it; no gaps left.",
        )),
    ])
    .unwrap();
    let tavily = FakeTavily::start([SearchAnswer::results([FakeResult::new(
        "Rust 1.85.0",
        "https://blog.rust-lang.org/2025/02/20/Rust-1.85.0.html",
        "# Rust 1.85.0\n\nRust 1.85.0 stabilizes the 2024 edition.",
    )])])
    .unwrap();
    let url = tavily.url();
    let host = host(
        &dir,
        &main,
        &["research"],
        &[
            ("TAVILY_API_KEY", FAKE_TAVILY_KEY),
            ("TAVILY_BASE_URL", &url),
        ],
    )
    .await;
    let ws = host.open_workspace("r1").unwrap();
    let mut spec = host
        .agent_spec(&ws, host.model(None).unwrap(), "2026-12-06")
        .unwrap();
    assert_eq!(spec.subagents.len(), 1);
    assert_eq!(spec.subagents[0].name, "research");
    spec.subagents[0].llm = Some(fba_agent::llm::backend(sub.model_spec(Wire::Anthropic)).unwrap());
    let (tx, mut rx) = mpsc::unbounded_channel();
    let session = Session::new(
        spec,
        SessionState::default(),
        Arc::new(fba_agent::runtime::NoCheckpoint),
        EventSink::new(tx),
    );
    let stop = session
        .run(
            RunInput::Message("When did the Rust 2024 edition become stable?".into()),
            CancellationToken::new(),
        )
        .await
        .unwrap();
    let events = drain(&mut rx);
    assert_eq!(stop, RunStop::EndTurn, "{events:#?}");
    let outline = outline(&events);
    let sub_calls: Vec<&str> = outline
        .iter()
        .filter(|e| e.starts_with("#1 tool_"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        sub_calls,
        [
            "#1 tool_call:tavily_search",
            "#1 tool_result:tavily_search",
            "#1 tool_call:think_tool",
            "#1 tool_result:think_tool",
        ]
    );
    for expected in ["task_started", "task_finished", "tool_result:wait"] {
        assert!(
            outline.contains(&expected.to_string()),
            "{expected} missing in {outline:?}"
        );
    }

    // The subagent's model saw its own prompt and only its own tools.
    let first = &sub.requests()[0].body;
    assert!(first.to_string().contains("You are a research subagent"));
    let mut tools: Vec<&str> = first["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    tools.sort_unstable();
    assert!(
        tools.contains(&"tavily_search") && tools.contains(&"think_tool"),
        "{tools:?}"
    );
    for absent in ["execute_code", "task", "Bash", "read_file"] {
        assert!(
            !tools.contains(&absent),
            "{absent} offered to research: {tools:?}"
        );
    }

    // One search went out, with the key and upstream's hidden defaults.
    let searches = tavily.requests();
    assert_eq!(searches.len(), 1);
    assert_eq!(
        searches[0].body,
        json!({"query": "Rust 2024 edition stable release", "max_results": 1, "topic": "general", "include_raw_content": "markdown"})
    );
    assert_eq!(
        searches[0].header("authorization"),
        Some(format!("Bearer {FAKE_TAVILY_KEY}").as_str())
    );

    let state = session.snapshot().await;
    assert_eq!(state.tasks.len(), 1);
    let task = &state.tasks[0];
    assert_eq!(task.status, TaskStatus::Done);
    assert_eq!(task.subagent_type, "research");
    assert_eq!(task.result.as_deref(), Some(answer));
    assert!(task.seen);
    assert_eq!(task.tool_call_counts.get("tavily_search"), Some(&1));
    assert_eq!(task.tool_call_counts.get("think_tool"), Some(&1));
    assert_eq!(state.usage.main, times(3));
    assert_eq!(state.usage.tasks.get(&1), Some(&times(3)));
    assert_eq!(state.usage.session, times(6));
    assert_eq!(main.remaining(), 0);
    assert_eq!(sub.remaining(), 0);
    assert_eq!(tavily.remaining(), 0);
}
