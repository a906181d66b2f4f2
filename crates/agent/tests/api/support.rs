//! Config files in a temp dir, the app's settings pointing at them, and an SSE reader.

use std::path::PathBuf;
use std::time::Duration;

use fba_agent::llm::Wire;
use fba_agent::testkit::llm::FakeLlm;
use fba_agent::testkit::mcp::write_fake_stdio_server;
use fba_testing::TestApp;
use serde_json::{Value, json};

pub const AGENT: &str = "/api/v1/agent";

/// A temp dir with `config.yaml` and `llms.json` for `fake`, removed on drop.
pub struct Setup {
    pub dir: PathBuf,
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Setup {
    pub fn new(fake: &FakeLlm) -> Self {
        Self::with_subagents(fake, &[])
    }

    pub fn with_subagents(fake: &FakeLlm, subagents: &[&str]) -> Self {
        // Short: the sandboxes' bridge sockets live under it (`sun_path` is 108 bytes).
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("faa-{}", &tag[..10]));
        std::fs::create_dir_all(&dir).unwrap();
        let server = write_fake_stdio_server().unwrap();
        let yaml = format!(
            r#"
llm: {{name: fake}}
mcp:
  servers:
    - name: demo
      description: "Demo tools"
      command: /usr/bin/python3
      args: ["{server}"]
sandbox:
  exec_helper: "{helper}"
subagents: {{enabled: {subagents:?}}}
"#,
            server = server.display(),
            helper = env!("CARGO_BIN_EXE_fba-sandbox-exec"),
        );
        std::fs::write(dir.join("config.yaml"), yaml).unwrap();
        let llms = json!({"llms": {
            "fake": {"model_id": "fake-model", "provider": "test",
                     "sdk": "langchain_anthropic.ChatAnthropic", "api_key_env": "FAKE_KEY",
                     "base_url": fake.base_url_for(Wire::Anthropic)},
            "fake-openai": {"model_id": "fake-openai-model", "provider": "test",
                     "sdk": "langchain_openai.ChatOpenAI", "api_key_env": "FAKE_KEY",
                     "base_url": fake.base_url_for(Wire::OpenAi)}
        }});
        std::fs::write(dir.join("llms.json"), llms.to_string()).unwrap();
        Self { dir }
    }

    pub fn pairs(&self) -> Vec<(String, String)> {
        vec![
            (
                "AGENT_CONFIG_FILE".into(),
                self.dir.join("config.yaml").display().to_string(),
            ),
            (
                "AGENT_LLMS_FILE".into(),
                self.dir.join("llms.json").display().to_string(),
            ),
            (
                "AGENT_DATA_DIR".into(),
                self.dir.join("data").display().to_string(),
            ),
        ]
    }

    pub async fn spawn(&self) -> TestApp {
        let pairs = self.pairs();
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        TestApp::builder().settings(&pairs).spawn().await
    }
}

/// Creates a session; returns its id.
pub async fn create_session(app: &TestApp, token: &str, body: Value) -> String {
    let (status, reply) = app
        .post_json(&format!("{AGENT}/sessions"), token, &body)
        .await;
    assert_eq!(status, 200, "{reply}");
    reply["data"]["session"]["id"].as_str().unwrap().to_owned()
}

/// One SSE frame.
#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub id: String,
    pub event: String,
    pub data: Value,
}

impl Frame {
    pub fn seq(&self) -> u64 {
        self.id.rsplit(':').next().unwrap().parse().unwrap()
    }
}

/// Parses the complete frames of `text` (comments skipped).
pub fn parse_frames(text: &str) -> Vec<Frame> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut id = None;
            let mut event = None;
            let mut data = None;
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id: ") {
                    id = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("event: ") {
                    event = Some(v.to_owned());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = Some(serde_json::from_str(v).unwrap());
                }
            }
            Some(Frame {
                id: id?,
                event: event?,
                data: data?,
            })
        })
        .collect()
}

/// Reads an SSE response to its end (within 60 s).
pub async fn read_sse(resp: reqwest::Response) -> Vec<Frame> {
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let body = tokio::time::timeout(Duration::from_secs(60), resp.text())
        .await
        .expect("the stream ends")
        .unwrap();
    parse_frames(&body)
}

/// `POST path` with a JSON body, as a raw response (SSE).
pub async fn post_raw(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The run's stop reason (`run_finished` must be last).
pub fn stop_reason(frames: &[Frame]) -> String {
    let last = frames.last().expect("frames");
    assert_eq!(last.event, "run_finished", "{frames:#?}");
    last.data["stop_reason"].as_str().unwrap().to_owned()
}

/// Polls the session until `pred` holds on its detail (within 30 s).
pub async fn wait_detail(
    app: &TestApp,
    token: &str,
    id: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..300 {
        let (status, reply) = app.get_json(&format!("{AGENT}/sessions/{id}"), token).await;
        assert_eq!(status, 200, "{reply}");
        if pred(&reply["data"]) {
            return reply["data"].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the session never reached the expected state");
}
