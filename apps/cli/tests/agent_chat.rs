//! `fba agent chat` end to end: the real binary with piped stdin, a scripted fake model (the
//! agent's test kit, served from this process) and the fake stdio MCP server.
//!
//! The sandbox's exec helper (`fba-sandbox-exec`, a binary of fba-agent) is not built by
//! `cargo test -p fba-cli`: cargo builds only the tested package's binaries, and a
//! dev-dependency does not bring its binaries. A sandbox refuses to open without a working
//! helper, whatever the isolation mode, so these tests configure `sandbox.isolation: none` and
//! a stand-in helper script (it answers the probe and runs the command after `--`, with no
//! restriction). The real helper and the isolation layers are tested in fba-agent.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fba_agent::llm::Wire;
use fba_agent::testkit::llm::{FAKE_API_KEY, FakeLlm, Turn};
use fba_agent::testkit::mcp::write_fake_stdio_server;
use serde_json::{Value, json};

/// A temp directory with a home, config.yaml and llms.json pointing at `fake`.
struct Env {
    dir: PathBuf,
}

impl Env {
    fn new(fake: &FakeLlm) -> Self {
        let dir = std::env::temp_dir().join(format!("fba-cli-chat-{}", uuid_like()));
        std::fs::create_dir_all(dir.join("home")).unwrap();
        let server = write_fake_stdio_server().unwrap();
        let yaml = format!(
            r#"llm: {{name: fake}}
mcp:
  servers:
    - name: demo
      description: "Demo tools"
      command: /usr/bin/python3
      args: ["{server}"]
sandbox:
  root_dir: "{root}"
  isolation: none
  exec_helper: "{helper}"
"#,
            server = server.display(),
            root = dir.join("sandboxes").display(),
            helper = stand_in_helper(&dir).display(),
        );
        std::fs::write(dir.join("config.yaml"), yaml).unwrap();
        let llms = json!({"llms": {
            "fake": {
                "model_id": "fake-model", "provider": "test",
                "sdk": "langchain_anthropic.ChatAnthropic",
                "api_key_env": "FAKE_KEY", "base_url": fake.base_url_for(Wire::Anthropic)
            },
            "other": {
                "model_id": "other-model", "provider": "test",
                "sdk": "langchain_openai.ChatOpenAI",
                "api_key_env": "FAKE_KEY", "base_url": fake.base_url_for(Wire::OpenAi)
            }
        }});
        std::fs::write(dir.join("llms.json"), llms.to_string()).unwrap();
        Self { dir }
    }

    fn session_dir(&self) -> PathBuf {
        self.dir.join("chat-one")
    }

    fn command(&self, extra: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_fba"));
        cmd.current_dir(&self.dir)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.dir.join("home"))
            .env("FAKE_KEY", FAKE_API_KEY)
            .args(["--env-file", "/nonexistent/.env", "agent", "chat"])
            .arg("--config")
            .arg(self.dir.join("config.yaml"))
            .arg("--llms")
            .arg(self.dir.join("llms.json"))
            .arg("--session-dir")
            .arg(self.session_dir())
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// Runs the chat with `input` on stdin (then closed) and waits at most a minute.
    fn chat(&self, extra: &[&str], input: &str) -> Output {
        let mut child = self.command(extra).spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        wait(child)
    }

    fn state(&self) -> Value {
        let text = std::fs::read_to_string(self.session_dir().join("session.json")).unwrap();
        serde_json::from_str(&text).unwrap()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A stand-in for `fba-sandbox-exec` (test only, no restrictions): the probe line, else the
/// command after `--`.
const STAND_IN_HELPER: &str = r#"#!/bin/sh
if [ "$1" = "--probe" ]; then
  echo "landlock_abi=none landlock=none seccomp=error:stand-in"
  exit 0
fi
while [ $# -gt 0 ] && [ "$1" != "--" ]; do shift; done
[ $# -gt 0 ] && shift
exec "$@"
"#;

fn stand_in_helper(dir: &std::path::Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("fba-sandbox-exec");
    std::fs::write(&path, STAND_IN_HELPER).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn wait(mut child: Child) -> Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!("fba agent chat hung:\n{}", text(&out));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn contains(needle: &'static str) -> impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static {
    move |body: &Value| {
        if body.to_string().contains(needle) {
            Ok(())
        } else {
            Err(format!("the request lacks {needle:?}"))
        }
    }
}

#[test]
fn a_message_streams_text_and_tool_activity_and_the_commands_work() {
    let fake = FakeLlm::start([
        Turn::text("Writing the report now.").with_tool_call(
            "write_file",
            json!({"file_path": "results/report.md", "content": "# Report\n\n2 + 3 = 5\n"}),
        ),
        Turn::tool_call(
            "execute_code",
            json!({"code": "print(open('results/report.md').read().count('Report'))"}),
        )
        .expect(contains("results/report.md")),
        Turn::text("The report is in results/report.md.").expect(contains("SUCCESS\\n1")),
    ])
    .unwrap();
    let env = Env::new(&fake);
    let input = "Write a report.\n/files\n/tokens\n/model\n/model unknown\n/plan on\n/plan\n/tasks\n/help\n/bogus\n/clear\n/files\n/exit\n";
    let out = env.chat(&[], input);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = stdout(&out);

    // Start-up: the MCP server and the isolation layer.
    assert!(stdout.contains("MCP: demo ✓ 6 tools (stdio)"), "{all}");
    assert!(stdout.contains("sandbox: isolation none"), "{all}");
    assert!(stdout.contains("model: fake"), "{all}");
    // The run: text, the tool line and its result, the answer, the usage line.
    assert!(
        stdout.contains("Writing the report now.\n⏺ write_file("),
        "{all}"
    );
    assert!(stdout.contains("file_path=results/report.md"), "{all}");
    let results: Vec<&str> = stdout.lines().filter(|l| l.starts_with("  ⎿ ")).collect();
    assert_eq!(results.len(), 2, "{all}");
    assert!(results.iter().all(|l| l.ends_with(" ms)")), "{all}");
    assert!(
        stdout.contains("⏺ execute_code(code=print(open('results/report.md').read().count('Report')))\n  ⎿ SUCCESS … ("),
        "{all}"
    );
    assert!(
        stdout.contains("The report is in results/report.md.\n"),
        "{all}"
    );
    assert!(
        stdout.contains(
            "tokens: run 30 in, 15 out, cache 0 read / 0 written · session 30 in, 15 out, cache 0 read / 0 written"
        ),
        "{all}"
    );
    // The commands.
    let (before, after) = stdout
        .split_once("New conversation; data/, results/ and code/ are empty.")
        .unwrap_or_else(|| panic!("no /clear: {all}"));
    assert!(
        before.contains("/home/daytona/\n  data/\n  results/\n    report.md  20 B\n"),
        "{all}"
    );
    assert!(
        after.contains("/home/daytona/\n  data/\n  results/\n"),
        "{all}"
    );
    assert!(!after.contains("report.md"), "{all}");
    assert!(
        before.contains("main agent: 30 in, 15 out, cache 0 read / 0 written"),
        "{all}"
    );
    assert!(before.contains("* fake  fake-model (anthropic)"), "{all}");
    assert!(before.contains("  other  other-model (openai)"), "{all}");
    assert!(
        before.contains("✗ unknown model \"unknown\"; /model lists the catalogue"),
        "{all}"
    );
    assert!(before.contains("plan mode on\n"), "{all}");
    assert!(before.contains("plan mode is on\n"), "{all}");
    assert!(before.contains("no background tasks"), "{all}");
    assert!(before.contains("/files [all]"), "{all}");
    assert!(before.contains("✗ unknown command /bogus"), "{all}");

    let state = env.state();
    assert_eq!(
        state["messages"],
        json!([]),
        "/clear empties the conversation"
    );
    assert_eq!(state["plan_mode"], json!(true));
    assert_eq!(state["usage"]["calls"], json!(3));
    assert_eq!(fake.remaining(), 0);
}

#[test]
fn a_plan_is_rejected_with_feedback_then_approved() {
    let fake = FakeLlm::start([
        Turn::tool_call(
            "submit_plan",
            json!({"description": "1. add the numbers\n2. report"}),
        ),
        Turn::text("I will revise.").expect(contains("User feedback: fewer steps")),
        Turn::tool_call("submit_plan", json!({"description": "1. add"})),
        Turn::text("Done as planned.").expect(contains("Plan approved")),
    ])
    .unwrap();
    let env = Env::new(&fake);
    let out = env.chat(
        &["--plan-mode"],
        "Plan it.\nn\nfewer steps\nTry again.\ny\n",
    );
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = stdout(&out);
    assert!(
        stdout.contains("Plan for approval:\n  1. add the numbers\n  2. report\nApprove? [y/N/feedback] n\nFeedback for the agent (empty for none): fewer steps\n"),
        "{all}"
    );
    assert!(stdout.contains("I will revise."), "{all}");
    assert!(
        stdout.contains("Plan for approval:\n  1. add\nApprove? [y/N/feedback] y\n"),
        "{all}"
    );
    assert!(stdout.contains("✓ plan approved"), "{all}");
    assert!(stdout.contains("Done as planned."), "{all}");
    let state = env.state();
    assert_eq!(state["plan"], json!("1. add"));
    assert_eq!(state["pending"], Value::Null);
    assert_eq!(fake.remaining(), 0);
}

#[test]
fn auto_approve_does_not_ask() {
    let fake = FakeLlm::start([
        Turn::tool_call("submit_plan", json!({"description": "1. add"})),
        Turn::text("Done.").expect(contains("Plan approved")),
    ])
    .unwrap();
    let env = Env::new(&fake);
    let out = env.chat(&["--auto-approve"], "Go.\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        stdout(&out).contains("✓ approved (--auto-approve)"),
        "{all}"
    );
    assert!(!stdout(&out).contains("Approve?"), "{all}");
    assert!(stdout(&out).contains("Done."), "{all}");
    assert_eq!(fake.remaining(), 0);
}

#[test]
fn a_restart_continues_the_conversation_and_the_pending_question() {
    let fake = FakeLlm::start([
        Turn::text("Hello Ada."),
        Turn::tool_call("submit_plan", json!({"description": "1. greet"})),
    ])
    .unwrap();
    let env = Env::new(&fake);
    // The input ends at the plan's question: it stays pending in session.json.
    let out = env.chat(&[], "My name is Ada.\nPlan a greeting.\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(env.state()["pending"].is_object(), "{}", text(&out));

    fake.push([
        Turn::text("Greeted.").expect(contains("Plan approved")),
        Turn::text("You are Ada.").expect(contains("My name is Ada.")),
    ]);
    let out = env.chat(&[], "y\nWho am I?\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let stdout = stdout(&out);
    assert!(stdout.contains("continued: 4 messages"), "{all}");
    assert!(
        stdout
            .contains("asked again.\nPlan for approval:\n  1. greet\nApprove? [y/N/feedback] y\n"),
        "{all}"
    );
    assert!(stdout.contains("Greeted."), "{all}");
    assert!(stdout.contains("You are Ada."), "{all}");
    let requests = fake.requests();
    let last = requests.last().unwrap().body.to_string();
    for earlier in [
        "My name is Ada.",
        "Hello Ada.",
        "Plan a greeting.",
        "Who am I?",
    ] {
        assert!(last.contains(earlier), "{earlier:?} missing in {last}");
    }
    assert_eq!(fake.remaining(), 0);
}

#[test]
fn model_switch_keeps_the_conversation() {
    let fake = FakeLlm::start([
        Turn::text("First."),
        Turn::text("Second.").expect(contains("Hi once.")),
    ])
    .unwrap();
    let env = Env::new(&fake);
    let out = env.chat(&[], "Hi once.\n/model other\n/model\nHi twice.\n");
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(
        stdout(&out).contains("model: other (other-model, openai)"),
        "{all}"
    );
    assert!(
        stdout(&out).contains("* other  other-model (openai)"),
        "{all}"
    );
    let requests = fake.requests();
    assert_eq!(requests[0].wire(), Some(Wire::Anthropic));
    assert_eq!(requests[1].wire(), Some(Wire::OpenAi));
    assert_eq!(fake.remaining(), 0);
}

#[test]
fn ctrl_c_cancels_the_run_and_returns_to_the_prompt() {
    let fake = FakeLlm::start([
        Turn::text("one two three four five six seven eight nine ten")
            .chunk_delay(Duration::from_millis(300)),
        Turn::text("second answer"),
    ])
    .unwrap();
    let env = Env::new(&fake);
    let mut child = env.command(&[]).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut pipe = child.stdout.take().unwrap();
    let seen = Arc::new(Mutex::new(String::new()));
    let reader = {
        let seen = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        })
    };
    let wait_for = |needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !seen.lock().unwrap().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "{needle:?} not seen in:\n{}",
                seen.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    stdin.write_all(b"Count slowly.\n").unwrap();
    wait_for("Count slowly.\none");
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    wait_for("⏹ cancelled");
    stdin.write_all(b"Again.\n/exit\n").unwrap();
    drop(stdin);
    let out = wait(child);
    reader.join().unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(out.status.code(), Some(0), "{seen}");
    assert!(seen.contains("second answer"), "{seen}");
    assert!(
        !seen.contains("eight"),
        "the first answer was cut off: {seen}"
    );
}

#[test]
fn a_missing_config_is_one_line_and_exit_code_2() {
    let fake = FakeLlm::start([]).unwrap();
    let env = Env::new(&fake);
    let missing = env.dir.join("missing.yaml");
    let out = Command::new(env!("CARGO_BIN_EXE_fba"))
        .current_dir(&env.dir)
        .env_clear()
        .env("HOME", env.dir.join("home"))
        .args(["agent", "chat", "--config"])
        .arg(&missing)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("fba: "), "{stderr}");
    assert!(stderr.contains("missing.yaml"), "{stderr}");

    // No file anywhere in the search paths.
    std::fs::remove_file(env.dir.join("config.yaml")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fba"))
        .current_dir(&env.dir)
        .env_clear()
        .env("HOME", env.dir.join("home"))
        .args(["agent", "chat"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("config.yaml not found"), "{stderr}");
}
