//! The whole agent, end to end and offline: a scripted fake model (both wire formats), the fake
//! stdio MCP server, the generated tool modules and the real sandbox. The model reads the tool
//! docs, runs code that imports a generated MCP tool and calls it through the bridge, writes
//! `results/report.md` and answers; plus plan approval across a restart and a background
//! subagent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use fba_agent::AgentError;
use fba_agent::config::{AgentConfig, EnvMap, LlmCatalog};
use fba_agent::host::{AgentHost, Workspace};
use fba_agent::llm::Wire;
use fba_agent::runtime::{
    AgentEvent, Checkpointer, Decision, EventKind, EventSink, RunInput, RunStop, Session,
    SessionState, TaskStatus,
};
use fba_agent::testkit::llm::{FAKE_API_KEY, FakeLlm, Turn};
use fba_agent::testkit::mcp::write_fake_stdio_server;
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::support::{Dir, contains, drain, outline, times};

/// A host whose model is `fake` (on `wire`) and whose MCP server `demo` is the fake stdio one.
async fn host(dir: &Dir, fake: &FakeLlm, wire: Wire, subagents: &[&str]) -> AgentHost {
    let server = write_fake_stdio_server().unwrap();
    let yaml = format!(
        r#"
llm: {{name: fake}}
mcp:
  servers:
    - name: demo
      description: "Demo tools"
      instruction: "Use for arithmetic"
      command: /usr/bin/python3
      args: ["{server}"]
sandbox:
  root_dir: "{root}"
  exec_helper: "{helper}"
subagents: {{enabled: {subagents:?}}}
"#,
        server = server.display(),
        root = dir.0.join("sandboxes").display(),
        helper = env!("CARGO_BIN_EXE_fba-sandbox-exec"),
    );
    let sdk = match wire {
        Wire::Anthropic => "langchain_anthropic.ChatAnthropic",
        Wire::OpenAi => "langchain_openai.ChatOpenAI",
    };
    let llms = json!({"llms": {"fake": {
        "model_id": "fake-model", "provider": "test", "sdk": sdk,
        "api_key_env": "FAKE_KEY", "base_url": fake.base_url_for(wire)
    }}});
    let catalog = LlmCatalog::parse(&llms.to_string(), "llms.json").unwrap();
    let env = EnvMap::from_pairs([("FAKE_KEY", FAKE_API_KEY)]);
    let config = AgentConfig::from_yaml(&yaml, "config.yaml", catalog, dir.0.clone(), env).unwrap();
    let host = AgentHost::start(config).await.unwrap();
    assert!(
        host.mcp_status().iter().all(|s| s.connected),
        "{:?}",
        host.mcp_status()
    );
    host
}

fn session(
    host: &AgentHost,
    ws: &Workspace,
    state: SessionState,
    store: Arc<dyn Checkpointer>,
) -> (Session, mpsc::UnboundedReceiver<AgentEvent>) {
    let spec = host
        .agent_spec(ws, host.model(None).unwrap(), "2026-12-06")
        .unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    (Session::new(spec, state, store, EventSink::new(tx)), rx)
}

const CODE: &str = "from tools.demo import add_numbers\nresult = add_numbers(a=2, b=3)\nwith open('results/report.md', 'w') as f:\n    f.write(f'# Report\\n\\n2 + 3 = {result}\\n')\nprint(result)\n";

async fn docs_then_code_then_answer(wire: Wire) {
    let dir = Dir::new("ptc");
    let fake = FakeLlm::start([
        Turn::tool_call("glob", json!({"pattern": "tools/docs/demo/*.md"}))
            .expect(contains("tools/docs/demo")),
        Turn::tool_call(
            "read_file",
            json!({"file_path": "tools/docs/demo/add_numbers.md"}),
        )
        .expect(contains("/tools/docs/demo/add_numbers.md")),
        Turn::tool_call("execute_code", json!({"code": CODE})).expect(contains("add_numbers(")),
        Turn::text("2 + 3 = 5; the report is in results/report.md.").expect(contains(
            "SUCCESS\\n5\\n\\nFiles created: results/report.md",
        )),
    ])
    .unwrap();
    let host = host(&dir, &fake, wire, &[]).await;
    let ws = host.open_workspace("s1").unwrap();
    let (session, mut rx) = session(
        &host,
        &ws,
        SessionState::default(),
        Arc::new(fba_agent::runtime::NoCheckpoint),
    );

    let stop = session
        .run(
            RunInput::Message("Add 2 and 3 with the demo tools and write a report.".into()),
            CancellationToken::new(),
        )
        .await
        .unwrap();
    let events = drain(&mut rx);
    assert_eq!(stop, RunStop::EndTurn, "{events:#?}");
    assert_eq!(
        outline(&events),
        [
            "run_started",
            "tool_call:glob",
            "tool_result:glob",
            "tool_call:read_file",
            "tool_result:read_file",
            "tool_call:execute_code",
            "tool_result:execute_code",
            "run_finished:EndTurn",
        ]
    );
    let text: String = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TextDelta { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(text, "2 + 3 = 5; the report is in results/report.md.");
    let Some(EventKind::RunFinished { usage, .. }) = events.last().map(|e| &e.kind) else {
        panic!()
    };
    assert_eq!(*usage, times(4));
    let state = session.snapshot().await;
    assert_eq!(state.usage.session, times(4));
    assert_eq!(state.usage.calls, 4);
    let report =
        std::fs::read_to_string(ws.sandbox.workspace_dir().join("results/report.md")).unwrap();
    assert_eq!(report, "# Report\n\n2 + 3 = 5\n");
    assert!(
        ws.sandbox
            .workspace_dir()
            .join("code/exec_0001.py")
            .is_file()
    );
    // The system prompt carried the MCP summary, and no key or secret reached the workspace.
    let first = &fake.requests()[0];
    assert!(first.body.to_string().contains("tools/docs/demo"));
    for entry in walk(ws.sandbox.workspace_dir()) {
        let content = std::fs::read(&entry).unwrap();
        assert!(
            !String::from_utf8_lossy(&content).contains(FAKE_API_KEY),
            "{}",
            entry.display()
        );
    }
    assert_eq!(fake.remaining(), 0);
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[tokio::test]
async fn anthropic_reads_docs_runs_code_through_the_bridge_and_answers() {
    docs_then_code_then_answer(Wire::Anthropic).await;
}

#[tokio::test]
async fn openai_reads_docs_runs_code_through_the_bridge_and_answers() {
    docs_then_code_then_answer(Wire::OpenAi).await;
}

/// Keeps the last saved state, as a database would.
#[derive(Default)]
struct Memory(Mutex<Option<SessionState>>);

#[async_trait]
impl Checkpointer for Memory {
    async fn save(&self, state: &SessionState) -> Result<(), AgentError> {
        *self.0.lock().unwrap() = Some(state.clone());
        Ok(())
    }
}

#[tokio::test]
async fn a_plan_interrupt_survives_a_restart_and_resumes() {
    let dir = Dir::new("plan");
    let fake = FakeLlm::start([
        Turn::tool_call(
            "write_todos",
            json!({"todos": [{"content": "add", "status": "pending"}]}),
        )
        .with_tool_call("submit_plan", json!({"description": "1. add the numbers"})),
        Turn::text("Rejected? I will revise.").expect(contains("User feedback: fewer steps")),
        Turn::tool_call("submit_plan", json!({"description": "1. add"})),
        Turn::text("Done as planned.").expect(contains("Plan approved. Proceed with execution.")),
    ])
    .unwrap();
    let host = host(&dir, &fake, Wire::Anthropic, &[]).await;
    let ws = host.open_workspace("s2").unwrap();
    let store = Arc::new(Memory::default());
    let (first, mut rx) = session(&host, &ws, SessionState::default(), store.clone());
    first.set_plan_mode(true).unwrap();
    let stop = first
        .run(
            RunInput::Message("Plan it.".into()),
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(stop, RunStop::Interrupted);
    let events = drain(&mut rx);
    let interrupt = events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Interrupt { id, kind, tool, .. } => {
                Some((id.clone(), kind.clone(), tool.clone()))
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (interrupt.1.as_str(), interrupt.2.as_str()),
        ("plan", "submit_plan")
    );
    assert!(outline(&events).contains(&"todos".to_string()));
    // A wrong id is refused and changes nothing.
    let err = first
        .run(
            RunInput::Resume {
                interrupt_id: "nope".into(),
                decision: Decision::Approve,
            },
            CancellationToken::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "interrupt nope is not the pending one");
    drop(first);

    // "Restart": a new session from what the store kept.
    let saved = store.0.lock().unwrap().clone().unwrap();
    assert_eq!(
        saved.pending.as_ref().map(|p| p.id.clone()),
        Some(interrupt.0.clone())
    );
    assert_eq!(saved.todos.len(), 1);
    assert!(saved.messages[0].text().contains("Plan mode is on"));
    let (second, mut rx) = session(&host, &ws, saved, store.clone());
    let stop = second
        .run(
            RunInput::Resume {
                interrupt_id: interrupt.0.clone(),
                decision: Decision::Reject {
                    feedback: "fewer steps".into(),
                },
            },
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(stop, RunStop::EndTurn);
    let stop = second
        .run(
            RunInput::Message("Try again.".into()),
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(stop, RunStop::Interrupted);
    let id = drain(&mut rx)
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::Interrupt { id, .. } => Some(id.clone()),
            _ => None,
        })
        .unwrap();
    let stop = second
        .run(
            RunInput::Resume {
                interrupt_id: id,
                decision: Decision::Approve,
            },
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(stop, RunStop::EndTurn);
    let state = second.snapshot().await;
    assert_eq!(state.plan.as_deref(), Some("1. add"));
    assert!(!state.plan_mode);
    assert_eq!(state.pending, None);
    assert_eq!(fake.remaining(), 0);
}

#[tokio::test]
async fn a_background_subagent_reports_back_through_wait() {
    let dir = Dir::new("task");
    let main = FakeLlm::start([
        Turn::tool_call("task", json!({"description": "Compute 2 + 3 with add_numbers.", "subagent_type": "general-purpose"})),
        Turn::tool_call("wait", json!({"task_number": 1, "timeout": 30})).expect(contains("Background subagent deployed: **Task-1**")),
        Turn::text("The subagent says 5.").expect(contains("**Task-1** (general-purpose) completed:\\n\\nsum is 5")),
    ])
    .unwrap();
    let sub = FakeLlm::start([
        Turn::tool_call(
            "execute_code",
            json!({"code": "from tools.demo import add_numbers\nprint(add_numbers(a=2, b=3))"}),
        ),
        Turn::text("sum is 5").expect(contains("SUCCESS\\n5")),
    ])
    .unwrap();
    let host = host(&dir, &main, Wire::OpenAi, &["general-purpose", "research"]).await;
    let ws = host.open_workspace("s3").unwrap();
    let mut spec = host
        .agent_spec(&ws, host.model(None).unwrap(), "2026-12-06")
        .unwrap();
    assert_eq!(
        spec.subagents.len(),
        1,
        "research needs a web search backend and is skipped"
    );
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
            RunInput::Message("Delegate the sum.".into()),
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(stop, RunStop::EndTurn);
    let events = drain(&mut rx);
    let outline = outline(&events);
    for expected in [
        "task_started",
        "#1 tool_call:execute_code",
        "#1 tool_result:execute_code",
        "task_finished",
        "tool_result:wait",
    ] {
        assert!(
            outline.contains(&expected.to_string()),
            "{expected} missing in {outline:?}"
        );
    }
    let state = session.snapshot().await;
    assert_eq!(state.tasks.len(), 1);
    assert_eq!(state.tasks[0].status, TaskStatus::Done);
    assert!(state.tasks[0].seen);
    assert_eq!(
        state.tasks[0].tool_call_counts.get("execute_code"),
        Some(&1)
    );
    assert_eq!(state.usage.main, times(3));
    assert_eq!(state.usage.tasks.get(&1), Some(&times(2)));
    assert_eq!(state.usage.session, times(5));
    assert_eq!(main.remaining(), 0);
    assert_eq!(sub.remaining(), 0);
}

#[tokio::test]
async fn the_state_can_be_read_while_a_run_goes_on_and_a_cancel_stops_it() {
    let dir = Dir::new("cancel");
    let fake = FakeLlm::start([
        Turn::text("a long answer that streams slowly, chunk after chunk")
            .chunk_delay(std::time::Duration::from_millis(300)),
    ])
    .unwrap();
    let host = host(&dir, &fake, Wire::Anthropic, &[]).await;
    let ws = host.open_workspace("s4").unwrap();
    let (session, mut rx) = session(
        &host,
        &ws,
        SessionState::default(),
        Arc::new(fba_agent::runtime::NoCheckpoint),
    );
    let cancel = CancellationToken::new();
    let running = {
        let session = session.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move { session.run(RunInput::Message("Talk.".into()), cancel).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(session.is_running());
    let state = tokio::time::timeout(std::time::Duration::from_secs(1), session.snapshot())
        .await
        .expect("reading the state does not wait for the run");
    assert_eq!(
        state.messages.last().map(|m| m.text()),
        Some("Talk.".to_string())
    );
    // A second run is refused while this one goes on.
    let busy = session
        .run(RunInput::Message("Again.".into()), CancellationToken::new())
        .await;
    assert!(matches!(busy, Err(AgentError::Busy)), "{busy:?}");
    cancel.cancel();
    let stop = tokio::time::timeout(std::time::Duration::from_secs(2), running)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(stop, RunStop::Cancelled);
    assert_eq!(
        outline(&drain(&mut rx)).last().map(String::as_str),
        Some("run_finished:Cancelled")
    );
}

#[tokio::test]
async fn a_long_conversation_is_summarised_keeping_the_last_messages() {
    let dir = Dir::new("summary");
    let fake = FakeLlm::start([
        Turn::tool_call(
            "write_todos",
            json!({"todos": [{"content": "step", "status": "in_progress"}]}),
        ),
        // The summary call: no tools, the transcript of what is cut.
        Turn::text("SUMMARY: the user asked for a step.").expect(contains("[USER]\\nDo the step.")),
        Turn::text("Done.").expect(contains("SUMMARY: the user asked for a step.")),
    ])
    .unwrap();
    let host = host(&dir, &fake, Wire::Anthropic, &[]).await;
    let ws = host.open_workspace("s5").unwrap();
    let mut spec = host
        .agent_spec(&ws, host.model(None).unwrap(), "2026-12-06")
        .unwrap();
    spec.options.summarize_at_tokens = 5;
    spec.options.summarize_keep_messages = 1;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let session = Session::new(
        spec,
        SessionState::default(),
        Arc::new(fba_agent::runtime::NoCheckpoint),
        EventSink::new(tx),
    );
    let stop = session
        .run(
            RunInput::Message("Do the step.".into()),
            CancellationToken::new(),
        )
        .await
        .unwrap();
    assert_eq!(stop, RunStop::EndTurn, "{:#?}", drain(&mut rx));
    let state = session.snapshot().await;
    assert!(
        state.messages[0].text().starts_with("<summary>"),
        "{:?}",
        state.messages[0]
    );
    assert!(
        state.messages[0]
            .text()
            .contains("SUMMARY: the user asked for a step.")
    );
    // The assistant's call and its answer were kept, then the final answer.
    assert_eq!(state.messages.len(), 4, "{:#?}", state.messages);
    assert_eq!(state.messages[1].tool_calls[0].name, "write_todos");
    assert_eq!(state.messages[3].text(), "Done.");
    // The summary call's tokens count too.
    assert_eq!(state.usage.session, times(3));
    let summary_request = &fake.requests()[1];
    assert!(
        summary_request.body["tools"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );
}
