//! `fba-worker` as its own process beside a server sharing its database and Redis: a job sent
//! through FBA's API runs in the worker, its `task_notification`s reach a real
//! `socket.io-client` connected to the server, `task_worker_status` and `registered` see the
//! worker, and SIGTERM stops it cleanly. Needs a shared database and Redis (the PostgreSQL and
//! MariaDB runs); skipped with a note on SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::{Child, Command};
use std::time::Duration;

use fba_testing::TestApp;
use fba_testing::socketio::{SocketClient, socket_auth, socket_session};
use serde_json::{Value, json};

struct WorkerProcess(Child);

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_worker(app: &TestApp, redis: &str, metrics_port: u16) -> WorkerProcess {
    let namespace = app
        .app_state
        .settings
        .redis
        .as_ref()
        .map(|r| r.key_namespace.clone())
        .unwrap_or_default();
    let child = Command::new(env!("CARGO_BIN_EXE_fba-worker"))
        .current_dir(std::env::temp_dir())
        .env("DATABASE_URL", app.database_url())
        .env("REDIS_URL", redis)
        .env("REDIS_KEY_NAMESPACE", namespace)
        .env("TASK_HEARTBEAT_INTERVAL", "1")
        .env("SERVER_SHUTDOWN_TIMEOUT", "5")
        .env("LOG_STD_LEVEL", "warn")
        .env("SERVER_HOST", "127.0.0.1")
        .env("TASK_METRICS_PORT", metrics_port.to_string())
        .spawn()
        .expect("fba-worker starts");
    WorkerProcess(child)
}

async fn wait_registered(app: &TestApp, token: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (code, body) = app.get_json("/api/v1/tasks/registered", token).await;
        if code == 200 {
            return body["data"].clone();
        }
        assert_eq!(code, 503, "{body}");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the worker never announced itself"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_job_sent_through_the_api_runs_in_fba_worker_and_its_notifications_reach_the_ui() {
    let Some(redis) = fba_testing::replica_redis() else {
        return;
    };
    let app = TestApp::builder()
        .settings(&[("TASK_HEARTBEAT_INTERVAL", "1")])
        .spawn()
        .await;
    let (token, session) = socket_session(&app, 1).await;
    // No worker yet: FBA's message, as a 503.
    let (code, body) = app.get_json("/api/v1/tasks/registered", &token).await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["msg"], "Celery Worker 暂不可用，请稍后重试");

    let metrics_port = free_port();
    let mut worker = start_worker(&app, &redis, metrics_port);
    let registered = wait_registered(&app, &token).await;
    assert!(
        registered.as_array().unwrap().iter().any(
            |t| t == &json!({"name": "参数示例任务，模拟传参操作", "task": "task_demo_params"})
        ),
        "{registered}"
    );
    let (mut ui, outcome) = SocketClient::connect(&app, socket_auth(&token, &session)).await;
    assert_eq!(outcome["type"], "connect", "{outcome}");

    // The worker answers task_worker_status through the server's socket.
    ui.send(json!({"op": "emit", "event": "task_worker_status", "ack": true}));
    let status = ui.expect("event").await;
    let pings = status["args"][0].as_array().unwrap().clone();
    assert_eq!(pings.len(), 1, "{status}");
    assert!(
        pings[0]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| k.starts_with("fba@"))
    );

    // A schedule entry executed through the API runs in the worker process.
    let name = format!("跨进程-{}", uuid_like());
    let (code, body) = app
        .post_json(
            "/api/v1/schedulers",
            &token,
            &json!({
                "name": name,
                "task": "task_demo_params",
                "args": "[\"a\"]",
                "kwargs": "{\"world\": \"b\"}",
                "type": 1,
                "crontab": "0 0 1 1 *",
            }),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let (_, page) = app
        .get_json(&format!("/api/v1/schedulers?name={name}"), &token)
        .await;
    let pk = page["data"]["items"][0]["id"].as_i64().unwrap();
    let (code, body) = app
        .post_json(
            &format!("/api/v1/schedulers/{pk}/execute"),
            &token,
            &json!({}),
        )
        .await;
    assert_eq!(code, 200, "{body}");

    let started = ui.expect("event").await;
    assert_eq!(started["name"], "task_notification", "{started}");
    let msg = started["args"][0]["msg"].as_str().unwrap().to_owned();
    assert!(
        msg.starts_with("任务 ") && msg.ends_with(" 开始执行"),
        "{msg}"
    );
    let task_id = msg
        .trim_start_matches("任务 ")
        .trim_end_matches(" 开始执行")
        .to_owned();
    let done = ui.expect("event").await;
    assert_eq!(
        done["args"][0]["msg"],
        format!("任务 {task_id} 执行成功"),
        "{done}"
    );
    let (code, body) = app
        .get_json(&format!("/api/v1/task-results?task_id={task_id}"), &token)
        .await;
    assert_eq!(code, 200, "{body}");
    let row = &body["data"]["items"][0];
    assert_eq!(row["status"], "SUCCESS", "{row}");
    assert_eq!(row["result"], "ab");
    assert_eq!(row["args"], json!(["a"]));
    assert_eq!(row["kwargs"], json!({"world": "b"}));
    assert!(row["worker"].as_str().unwrap().starts_with("fba@"));

    // The worker's own /metrics counts the run.
    let scrape = fba_testing::http_client_builder()
        .build()
        .unwrap()
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status().as_u16(), 200);
    let text = scrape.text().await.unwrap();
    assert!(
        text.contains(
            r#"fba_task_total{app_name="fba_worker",task="task_demo_params",status="SUCCESS"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains("fba_task_running{app_name=\"fba_worker\"} 0"),
        "{text}"
    );
    assert!(text.contains("fba_task_cost_time_count{"), "{text}");
    assert!(text.contains("process_resident_memory_bytes"), "{text}");

    // SIGTERM: the worker stops cleanly and withdraws its heartbeat.
    let pid = worker.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(status) = worker.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "fba-worker ignored SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status.success(), "{status}");
    let (code, _) = app.get_json("/api/v1/tasks/registered", &token).await;
    assert_eq!(code, 503);
    ui.disconnect().await;
    app.stop().await;
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[test]
fn a_bad_setting_stops_fba_worker_with_one_line_and_exit_code_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_fba-worker"))
        .current_dir(std::env::temp_dir())
        .env("CELERY_BROKER", "sqs")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "invalid setting CELERY_BROKER=\"sqs\": expected one of database, redis, rabbitmq"
        ),
        "{stderr}"
    );
}

#[test]
fn a_metrics_port_that_is_not_a_port_is_refused_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_fba-worker"))
        .current_dir(std::env::temp_dir())
        .env("TASK_METRICS_PORT", "70000")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--metrics-port"), "{stderr}");
}
