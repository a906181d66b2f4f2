//! `/api/v1/tasks` through the real app: the tasks live workers run (`registered`), revoking a
//! job (`cancel`), the 503 when no worker is live, 403 without `sys:task:revoke`, 401 without
//! a token. Also the worker helpers the scheduler tests share.

use std::time::{Duration, Instant};

use fba_db::kv::KvBackend;
use fba_task::worker::{Worker, WorkerOptions};
use fba_task::{Tasks, default_registry};
use fba_testing::{TestApp, assert_401, assert_error, assert_ok_empty, make_staff};
use reqwest::Method;
use serde_json::{Value, json};

const REGISTERED: &str = "/api/v1/tasks/registered";

/// FBA's message when no worker answers.
pub(crate) const NO_WORKER: &str = "Celery Worker 暂不可用，请稍后重试";

/// The task system of `app`'s stores, as a separate process would open it.
pub(crate) async fn open_tasks(app: &TestApp) -> Tasks {
    Tasks::open(&app.app_state, default_registry())
        .await
        .expect("task system opens")
}

/// A worker for `app` when its server runs none (PostgreSQL or MySQL with Redis); `None` on
/// the in-process store, where the server runs its embedded worker (`TASK_EMBEDDED_WORKER=auto`).
pub(crate) async fn start_worker(app: &TestApp) -> Option<Worker> {
    if app.app_state.kv.backend() == KvBackend::Memory {
        return None;
    }
    let tasks = open_tasks(app).await;
    let options = WorkerOptions::new(&tasks);
    Some(Worker::spawn(app.app_state.clone(), tasks, options))
}

/// Stops a worker started by [`start_worker`].
pub(crate) async fn stop_worker(worker: Option<Worker>) {
    if let Some(worker) = worker {
        worker.stop(Duration::from_secs(5)).await;
    }
}

/// Waits until `GET /tasks/registered` sees a live worker; its reply.
pub(crate) async fn wait_for_worker(app: &TestApp, token: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (status, reply) = app.get_json(REGISTERED, token).await;
        if status == 200 {
            return reply;
        }
        assert_eq!(status, 503, "{reply}");
        assert!(Instant::now() < deadline, "no worker announced itself");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn registered_lists_each_task_with_its_description() {
    let app = TestApp::spawn().await;
    let worker = start_worker(&app).await;
    let admin = app.token_for(1).await;

    let reply = wait_for_worker(&app, &admin).await;
    assert_eq!(reply["code"], 200, "{reply}");
    let tasks = reply["data"].as_array().expect("a list");
    for (name, task) in [
        ("参数示例任务，模拟传参操作", "task_demo_params"),
        ("示例任务，模拟耗时操作", "task_demo"),
        (
            "自动删除数据库操作日志",
            fba_task::builtin::DELETE_OPERA_LOG,
        ),
    ] {
        assert!(
            tasks.contains(&json!({"name": name, "task": task})),
            "{task} registered: {reply}"
        );
    }
    let mut names: Vec<&str> = tasks.iter().map(|t| t["task"].as_str().unwrap()).collect();
    let listed = names.len();
    names.dedup();
    assert_eq!(names.len(), listed, "each task once: {reply}");
    for t in tasks {
        let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 2, "{t}");
    }

    // Any signed-in user may read it; without a token it is a 401.
    make_staff(&app, 2).await;
    let user = app.token_for(2).await;
    let (status, reply) = app.get_json(REGISTERED, &user).await;
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = app.call(Method::GET, REGISTERED, None, None).await;
    assert_401(status, &reply);

    stop_worker(worker).await;
    app.stop().await;
}

#[tokio::test]
async fn cancel_revokes_the_job_and_needs_its_permission() {
    let app = TestApp::spawn().await;
    let worker = start_worker(&app).await;
    let admin = app.token_for(1).await;
    wait_for_worker(&app, &admin).await;
    let tasks = open_tasks(&app).await;

    let task_id = uuid_like("cancel");
    let path = format!("/api/v1/tasks/{task_id}/cancel");
    assert!(!tasks.control.is_revoked(&task_id).await.unwrap());
    let (status, reply) = app.delete_json(&path, &admin, None).await;
    assert_ok_empty(status, &reply);
    assert!(tasks.control.is_revoked(&task_id).await.unwrap());

    // A staff user without `sys:task:revoke` is refused; no token is a 401.
    make_staff(&app, 2).await;
    let user = app.token_for(2).await;
    let other = format!("/api/v1/tasks/{}/cancel", uuid_like("other"));
    let (status, reply) = app.delete_json(&other, &user, None).await;
    assert_error(status, &reply, 403, "Permission Denied");
    let (status, reply) = app.call(Method::DELETE, &other, None, None).await;
    assert_401(status, &reply);
    // Only DELETE is served there.
    let (status, _) = app.call(Method::GET, &other, Some(&admin), None).await;
    assert_eq!(status, 405);

    stop_worker(worker).await;
    app.stop().await;
}

#[tokio::test]
async fn without_a_live_worker_registered_cancel_and_execute_are_503() {
    let app = TestApp::builder()
        .settings(&[("TASK_EMBEDDED_WORKER", "false")])
        .spawn()
        .await;
    let admin = app.token_for(1).await;

    let (status, reply) = app.get_json(REGISTERED, &admin).await;
    assert_error(status, &reply, 503, NO_WORKER);
    let none_id = uuid_like("none");
    let path = format!("/api/v1/tasks/{none_id}/cancel");
    let (status, reply) = app.delete_json(&path, &admin, None).await;
    assert_error(status, &reply, 503, NO_WORKER);
    let tasks = open_tasks(&app).await;
    assert!(
        !tasks.control.is_revoked(&none_id).await.unwrap(),
        "nothing revoked without a worker"
    );

    // Executing a valid entry needs a worker too (FBA's ping).
    let (_, all) = app.get_json("/api/v1/schedulers/all", &admin).await;
    let id = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["task"] == "task_demo_params")
        .and_then(|s| s["id"].as_i64())
        .expect("FBA's seeded task_demo_params entry");
    let (status, reply) = app
        .post_json(
            &format!("/api/v1/schedulers/{id}/execute"),
            &admin,
            &json!({}),
        )
        .await;
    assert_error(status, &reply, 503, NO_WORKER);

    // The permission is checked before the worker: a user without it gets a 403.
    make_staff(&app, 2).await;
    let user = app.token_for(2).await;
    let (status, reply) = app.delete_json(&path, &user, None).await;
    assert_error(status, &reply, 403, "Permission Denied");
    app.stop().await;
}

/// A job id of its own (`tag-<uuid>`).
fn uuid_like(tag: &str) -> String {
    format!("{tag}-{}", uuid::Uuid::new_v4())
}

#[tokio::test]
async fn the_servers_own_worker_is_counted_in_the_servers_metrics() {
    let app = TestApp::builder()
        .settings(&[
            ("TASK_EMBEDDED_WORKER", "true"),
            ("GRAFANA_METRICS_ENABLE", "true"),
        ])
        .spawn()
        .await;
    let admin = app.token_for(1).await;
    wait_for_worker(&app, &admin).await;
    let (_, all) = app.get_json("/api/v1/schedulers/all", &admin).await;
    let id = all["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["task"] == "task_demo_params")
        .and_then(|s| s["id"].as_i64())
        .expect("FBA's seeded task_demo_params entry");
    let (status, reply) = app
        .post_json(
            &format!("/api/v1/schedulers/{id}/execute"),
            &admin,
            &json!({}),
        )
        .await;
    assert_ok_empty(status, &reply);

    let line =
        "fba_task_total{app_name=\"fba_server\",task=\"task_demo_params\",status=\"SUCCESS\"} 1";
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let scrape = app.get("/metrics").await.text().await.unwrap();
        if scrape.contains(line) {
            assert!(
                scrape.contains("fba_task_running{app_name=\"fba_server\"} 0"),
                "{scrape}"
            );
            assert!(
                scrape.contains(
                    "fba_task_cost_time_count{app_name=\"fba_server\",task=\"task_demo_params\"} 1"
                ),
                "{scrape}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the run is not counted:\n{scrape}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
}
