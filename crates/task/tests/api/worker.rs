//! Workers and the scheduler end to end, on every broker: the test database's default (the SQL
//! broker on SQLite and PostgreSQL, Redis on MySQL), Redis when `FBA_TEST_REDIS_URL` is set and
//! RabbitMQ when it answers at 127.0.0.1:5672 (required under `CI=true`): results, retries and
//! FBA's failure dict, revocation, time limits, a killed worker's job, a stopping worker's job, and
//! one firing per due time with two schedulers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use fba_task::model::{task_result, task_scheduler};
use fba_task::registry::{TaskCall, TaskContext, TaskDef, TaskFailure, TaskOutcome};
use fba_task::scheduler::Scheduler;
use fba_task::worker::{Worker, WorkerOptions};
use fba_task::{TaskRegistry, TaskSettings, Tasks};
use fba_testing::TestApp;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Map, Value, json};

/// Runs per key (the first argument of every test task), across the binary's tests.
static RUNS: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);

fn bump(key: &str) -> u32 {
    let mut guard = RUNS.lock().unwrap();
    let map = guard.get_or_insert_with(HashMap::new);
    let n = map.entry(key.to_owned()).or_insert(0);
    *n += 1;
    *n
}

fn runs(key: &str) -> u32 {
    RUNS.lock()
        .unwrap()
        .as_ref()
        .and_then(|m| m.get(key).copied())
        .unwrap_or(0)
}

fn key(call: &TaskCall) -> Result<String, TaskFailure> {
    call.arg(0, "key")
}

async fn echo(_ctx: TaskContext, call: TaskCall) -> TaskOutcome {
    let k = key(&call)?;
    bump(&k);
    Ok(Value::from(k))
}

async fn always_db_error(_ctx: TaskContext, call: TaskCall) -> TaskOutcome {
    bump(&key(&call)?);
    Err(TaskFailure::database(&sea_orm::DbErr::Custom(
        "connection reset".into(),
    )))
}

async fn flaky(ctx: TaskContext, call: TaskCall) -> TaskOutcome {
    bump(&key(&call)?);
    if ctx.retries == 0 {
        return Err(TaskFailure::database(&sea_orm::DbErr::Custom(
            "once".into(),
        )));
    }
    Ok(Value::from("recovered"))
}

async fn value_error(_ctx: TaskContext, call: TaskCall) -> TaskOutcome {
    bump(&key(&call)?);
    Err(TaskFailure::new("ValueError", "bad value"))
}

async fn panics(_ctx: TaskContext, call: TaskCall) -> TaskOutcome {
    bump(&key(&call)?);
    panic!("boom");
}

async fn slow(_ctx: TaskContext, call: TaskCall) -> TaskOutcome {
    let k = key(&call)?;
    bump(&format!("{k}:started"));
    let secs: u64 = call.opt_arg(1, "secs")?.unwrap_or(3);
    tokio::time::sleep(Duration::from_secs(secs)).await;
    bump(&k);
    Ok(Value::from("slow done"))
}

fn registry() -> TaskRegistry {
    let mut r = fba_task::default_registry();
    r.register(TaskDef::new("test_echo", "echo", echo))
        .register(TaskDef::new(
            "test_db_error",
            "always a db error",
            always_db_error,
        ))
        .register(TaskDef::new("test_flaky", "fails once", flaky))
        .register(TaskDef::new("test_value_error", "value error", value_error))
        .register(TaskDef::new("test_panic", "panics", panics))
        .register(TaskDef::new("test_slow", "sleeps", slow));
    r
}

/// The settings that select `broker` (`default`, `redis`, `rabbitmq`), or `None` when it cannot
/// run here (skipped with a note).
fn broker_settings(broker: &str) -> Option<Vec<(String, String)>> {
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    match broker {
        "redis" => {
            let on_mysql = std::env::var("FBA_TEST_DATABASE").as_deref() == Ok("mysql");
            if fba_testing::redis_url().is_none() || on_mysql {
                eprintln!("skipped: no Redis, or Redis is already the default broker (MySQL)");
                return None;
            }
            Some(vec![pair("CELERY_BROKER", "redis")])
        }
        "rabbitmq" => {
            let answers = "127.0.0.1:5672".parse().is_ok_and(|addr| {
                std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
            });
            if !answers {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "RabbitMQ does not answer at 127.0.0.1:5672 (required under CI)"
                );
                eprintln!("skipped: RabbitMQ does not answer at 127.0.0.1:5672");
                return None;
            }
            // A queue of the test's own (the queue is named after the prefix).
            Some(vec![
                pair("CELERY_BROKER", "rabbitmq"),
                pair("CELERY_REDIS_PREFIX", &unique("fba-test")),
            ])
        }
        _ => Some(Vec::new()),
    }
}

/// A test app on `broker` without the in-process worker, with fast retries, leases and ticks;
/// `None` when the broker cannot run here.
async fn app(broker: &str, extra: &[(&str, &str)]) -> Option<(TestApp, Tasks)> {
    let mut settings: Vec<(String, String)> = [
        ("TASK_EMBEDDED_WORKER", "false"),
        ("TASK_RETRY_DELAY_MS", "50"),
        ("TASK_HEARTBEAT_INTERVAL", "1"),
        ("TASK_VISIBILITY_TIMEOUT", "2"),
        ("TASK_SCHEDULER_TICK_MS", "100"),
        ("TASK_POLL_INTERVAL_MS", "50"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    settings.extend(broker_settings(broker)?);
    settings.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let pairs: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let app = TestApp::builder().settings(&pairs).spawn().await;
    let tasks = Tasks::open(&app.app_state, registry()).await.unwrap();
    Some((app, tasks))
}

fn worker(app: &TestApp, tasks: &Tasks) -> Worker {
    Worker::spawn(
        app.app_state.clone(),
        tasks.clone(),
        WorkerOptions::new(tasks),
    )
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

async fn send(tasks: &Tasks, name: &str, args: Value) -> String {
    let args = args.as_array().cloned().unwrap_or_default();
    tasks.send(name, args, Map::new()).await.unwrap()
}

async fn result_row(app: &TestApp, task_id: &str) -> Option<task_result::Model> {
    task_result::Entity::find()
        .filter(task_result::Column::TaskId.eq(task_id))
        .one(&app.app_state.db)
        .await
        .unwrap()
}

/// Waits (up to 20 s) for the job's row to reach `status`.
async fn wait_for(app: &TestApp, task_id: &str, status: &str) -> task_result::Model {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let row = result_row(app, task_id).await;
        if let Some(row) = &row
            && row.status.as_deref() == Some(status)
        {
            return row.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "job {task_id} never reached {status}: {row:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn decoded(bytes: Option<&Vec<u8>>) -> Value {
    fba_task::results::decode(bytes.map(Vec::as_slice))
}

async fn a_sent_job_runs_and_its_result_row_has_fba_shape(broker: &str) {
    let Some((app, tasks)) = app(broker, &[]).await else {
        return;
    };
    let w = worker(&app, &tasks);
    let k = unique("echo");
    let id = send(&tasks, "test_echo", json!([k])).await;
    let row = wait_for(&app, &id, "SUCCESS").await;
    assert_eq!(decoded(row.result.as_ref()), Value::from(k.clone()));
    assert_eq!(decoded(row.args.as_ref()), json!([k]));
    assert_eq!(decoded(row.kwargs.as_ref()), json!({}));
    assert_eq!(row.name.as_deref(), Some("test_echo"));
    assert_eq!(row.worker.as_deref(), Some(w.hostname()));
    assert_eq!(row.retries, Some(0));
    assert_eq!(row.queue.as_deref(), Some("celery"));
    assert!(row.date_done.is_some());
    assert_eq!(runs(&k), 1);
    // FBA's own task with positional and keyword arguments.
    let mut kwargs = Map::new();
    kwargs.insert("world".into(), Value::from("世界"));
    let id = tasks
        .send("task_demo_params", vec![Value::from("你好，")], kwargs)
        .await
        .unwrap();
    let row = wait_for(&app, &id, "SUCCESS").await;
    assert_eq!(decoded(row.result.as_ref()), Value::from("你好，世界"));
    // An unknown task name is Celery's NotRegistered failure.
    let id = send(&tasks, "no_such_task", json!([])).await;
    let row = wait_for(&app, &id, "FAILURE").await;
    assert_eq!(decoded(row.result.as_ref())["exc_type"], "NotRegistered");
    w.stop(Duration::from_secs(5)).await;
    app.stop().await;
}

async fn a_retryable_failure_retries_then_records_celerys_failure_dict(broker: &str) {
    let Some((app, tasks)) = app(broker, &[("CELERY_TASK_MAX_RETRIES", "2")]).await else {
        return;
    };
    let w = worker(&app, &tasks);
    let k = unique("dberr");
    let id = send(&tasks, "test_db_error", json!([k])).await;
    let row = wait_for(&app, &id, "FAILURE").await;
    assert_eq!(runs(&k), 3, "one run and two retries");
    assert_eq!(row.retries, Some(2));
    assert_eq!(
        decoded(row.result.as_ref()),
        json!({
            "exc_type": "OperationalError",
            "exc_message": ["Custom Error: connection reset"],
            "exc_module": "sqlalchemy.exc",
        })
    );
    assert!(
        row.traceback
            .as_deref()
            .unwrap_or("")
            .contains("OperationalError")
    );
    // A job that fails once then works ends SUCCESS after one retry.
    let k = unique("flaky");
    let id = send(&tasks, "test_flaky", json!([k])).await;
    let row = wait_for(&app, &id, "SUCCESS").await;
    assert_eq!(row.retries, Some(1));
    assert_eq!(runs(&k), 2);
    assert_eq!(decoded(row.result.as_ref()), Value::from("recovered"));
    w.stop(Duration::from_secs(5)).await;
    app.stop().await;
}

async fn other_failures_panics_and_time_limits_fail_at_once(broker: &str) {
    let Some((app, tasks)) = app(broker, &[("TASK_TIME_LIMIT", "1")]).await else {
        return;
    };
    let w = worker(&app, &tasks);
    let k = unique("value");
    let id = send(&tasks, "test_value_error", json!([k])).await;
    let row = wait_for(&app, &id, "FAILURE").await;
    assert_eq!(row.retries, Some(0));
    assert_eq!(runs(&k), 1);
    assert_eq!(
        decoded(row.result.as_ref()),
        json!({"exc_type": "ValueError", "exc_message": ["bad value"], "exc_module": "builtins"})
    );
    let k = unique("panic");
    let id = send(&tasks, "test_panic", json!([k])).await;
    let row = wait_for(&app, &id, "FAILURE").await;
    assert_eq!(decoded(row.result.as_ref())["exc_type"], "Panic");
    let k = unique("limit");
    let id = send(&tasks, "test_slow", json!([k, 30])).await;
    let row = wait_for(&app, &id, "FAILURE").await;
    assert_eq!(
        decoded(row.result.as_ref())["exc_type"],
        "TimeLimitExceeded"
    );
    assert_eq!(runs(&format!("{k}:started")), 1);
    assert_eq!(runs(&k), 0, "the body was stopped");
    // The worker still runs jobs after all that.
    let k = unique("after");
    let id = send(&tasks, "test_echo", json!([k])).await;
    wait_for(&app, &id, "SUCCESS").await;
    w.stop(Duration::from_secs(5)).await;
    app.stop().await;
}

async fn a_revoked_job_is_recorded_revoked_and_never_runs(broker: &str) {
    let Some((app, tasks)) = app(broker, &[]).await else {
        return;
    };
    let k = unique("revoked");
    let id = send(&tasks, "test_echo", json!([k])).await;
    tasks.revoke(&id).await.unwrap();
    let w = worker(&app, &tasks);
    wait_for(&app, &id, "REVOKED").await;
    // An expired job is revoked too (Celery's `expires`).
    let mut message =
        fba_task::TaskMessage::new("test_echo", vec![Value::from(k.clone())], Map::new());
    message.expires = Some(Utc::now() - chrono::TimeDelta::seconds(1));
    tasks.send_message(&message).await.unwrap();
    wait_for(&app, &message.id, "REVOKED").await;
    assert_eq!(runs(&k), 0);
    w.stop(Duration::from_secs(5)).await;
    app.stop().await;
}

async fn a_killed_workers_job_runs_on_another_worker(broker: &str) {
    let Some((app, tasks)) = app(broker, &[]).await else {
        return;
    };
    // The first worker has a broker connection of its own, which its "death" closes (what
    // makes RabbitMQ hand its unacknowledged job to another consumer).
    let own = Tasks::open(&app.app_state, registry()).await.unwrap();
    let first = worker(&app, &own);
    drop(own);
    let k = unique("killed");
    let id = send(&tasks, "test_slow", json!([k, 1])).await;
    wait_for(&app, &id, "STARTED").await;
    first.abort();
    let second = worker(&app, &tasks);
    let row = wait_for(&app, &id, "SUCCESS").await;
    assert_eq!(row.worker.as_deref(), Some(second.hostname()));
    assert_eq!(runs(&format!("{k}:started")), 2, "started on both workers");
    assert_eq!(runs(&k), 1, "finished once: the killed run was stopped");
    second.stop(Duration::from_secs(5)).await;
    app.stop().await;
}

async fn a_stopping_worker_puts_unfinished_jobs_back(broker: &str) {
    let Some((app, tasks)) = app(broker, &[]).await else {
        return;
    };
    let first = worker(&app, &tasks);
    let k = unique("stopped");
    let id = send(&tasks, "test_slow", json!([k, 2])).await;
    wait_for(&app, &id, "STARTED").await;
    first.stop(Duration::from_millis(100)).await;
    assert_eq!(
        tasks.broker.len("celery").await.unwrap(),
        1,
        "back in the queue"
    );
    let second = worker(&app, &tasks);
    let row = wait_for(&app, &id, "SUCCESS").await;
    assert_eq!(row.worker.as_deref(), Some(second.hostname()));
    assert_eq!(runs(&k), 1);
    second.stop(Duration::from_secs(5)).await;
    app.stop().await;
}

async fn add_entry(
    app: &TestApp,
    name: &str,
    every_secs: i32,
    args: &str,
    enabled: bool,
    one_off: bool,
) -> i64 {
    task_scheduler::ActiveModel {
        name: Set(name.to_owned()),
        task: Set("test_echo".to_owned()),
        args: Set(Some(args.to_owned())),
        r#type: Set(0),
        interval_every: Set(Some(every_secs)),
        interval_period: Set(Some("seconds".to_owned())),
        crontab: Set(Some("* * * * *".to_owned())),
        one_off: Set(one_off),
        enabled: Set(enabled),
        total_run_count: Set(0),
        created_time: Set(Utc::now()),
        id: match app.app_state.next_id().unwrap() {
            Some(id) => Set(id),
            None => Default::default(),
        },
        ..Default::default()
    }
    .insert(&app.app_state.db)
    .await
    .unwrap()
    .id
}

async fn entry(app: &TestApp, id: i64) -> task_scheduler::Model {
    task_scheduler::Entity::find_by_id(id)
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn a_two_second_schedule_fires_once_per_due_time_with_two_schedulers(broker: &str) {
    let Some((app, tasks)) = app(broker, &[]).await else {
        return;
    };
    let w = worker(&app, &tasks);
    let k = unique("every2");
    let id = add_entry(&app, &k, 2, &format!(r#"["{k}"]"#), true, false).await;
    let disabled_key = unique("disabled");
    let disabled = add_entry(
        &app,
        &disabled_key,
        1,
        &format!(r#"["{disabled_key}"]"#),
        false,
        false,
    )
    .await;
    // Two schedulers with different lock keys: both tick, so only the claim on the entry keeps
    // a due time from firing twice.
    let mut other = tasks.clone();
    other.settings = Arc::new(TaskSettings {
        redis_prefix: unique("other-beat"),
        ..(*tasks.settings).clone()
    });
    let a = Scheduler::spawn(app.app_state.clone(), tasks.clone(), "beat-a".into());
    let b = Scheduler::spawn(app.app_state.clone(), other, "beat-b".into());
    tokio::time::sleep(Duration::from_millis(7000)).await;
    a.stop().await;
    b.stop().await;
    // Let the last job finish.
    let fired = entry(&app, id).await.total_run_count;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while runs(&k) < u32::try_from(fired).unwrap() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Due at about 2, 4 and 6 s after the first tick; a slow machine may see one fewer.
    assert!((2..=3).contains(&fired), "fired {fired} times in 7 s");
    assert_eq!(
        runs(&k),
        u32::try_from(fired).unwrap(),
        "one job per firing, no duplicate"
    );
    let results = task_result::Entity::find()
        .filter(task_result::Column::Name.eq("test_echo"))
        .all(&app.app_state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| decoded(r.args.as_ref()) == json!([k]))
        .count();
    assert_eq!(results, usize::try_from(fired).unwrap());
    assert_eq!(runs(&disabled_key), 0, "a disabled entry never fires");
    assert_eq!(entry(&app, disabled).await.total_run_count, 0);
    w.stop(Duration::from_secs(5)).await;
    app.stop().await;
}

async fn a_one_off_entry_fires_once_and_is_disabled_and_bad_entries_are_disabled(broker: &str) {
    let Some((app, tasks)) = app(broker, &[]).await else {
        return;
    };
    let w = worker(&app, &tasks);
    let k = unique("oneoff");
    let id = add_entry(&app, &k, 1, &format!(r#"["{k}"]"#), true, true).await;
    let bad = add_entry(&app, &unique("bad"), 1, "not json", true, false).await;
    let s = Scheduler::spawn(app.app_state.clone(), tasks.clone(), "beat".into());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let e = entry(&app, id).await;
        if !e.enabled {
            assert_eq!(e.total_run_count, 0, "a one-off's count is reset (FBA)");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "one-off never disabled: {e:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    s.stop().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while runs(&k) < 1 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(runs(&k), 1);
    assert!(
        !entry(&app, bad).await.enabled,
        "unusable args disable the entry"
    );
    w.stop(Duration::from_secs(5)).await;
    app.stop().await;
}

/// Sets columns of an entry.
async fn edit_entry(app: &TestApp, id: i64, edit: impl FnOnce(&mut task_scheduler::ActiveModel)) {
    let mut row: task_scheduler::ActiveModel = entry(app, id).await.into();
    edit(&mut row);
    row.update(&app.app_state.db).await.unwrap();
}

async fn args_rows(app: &TestApp, k: &str) -> Vec<task_result::Model> {
    task_result::Entity::find()
        .filter(task_result::Column::Name.eq("test_echo"))
        .all(&app.app_state.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| decoded(r.args.as_ref()) == json!([k]))
        .collect()
}

async fn start_time_delays_an_entry_and_expiry_revokes_its_jobs(broker: &str) {
    let Some((app, tasks)) = app(broker, &[]).await else {
        return;
    };
    let w = worker(&app, &tasks);
    let later = unique("later");
    let starts = Utc::now() + chrono::TimeDelta::milliseconds(2500);
    let delayed = add_entry(&app, &later, 60, &format!(r#"["{later}"]"#), true, false).await;
    edit_entry(&app, delayed, |e| e.start_time = Set(Some(starts))).await;
    let expiring = unique("expiring");
    let expires = add_entry(
        &app,
        &expiring,
        60,
        &format!(r#"["{expiring}"]"#),
        true,
        false,
    )
    .await;
    // Sent once at once (a start time in the past makes the first run due), already expired.
    edit_entry(&app, expires, |e| {
        e.start_time = Set(Some(Utc::now() - chrono::TimeDelta::seconds(1)));
        e.expire_time = Set(Some(Utc::now() - chrono::TimeDelta::seconds(1)));
    })
    .await;
    let s = Scheduler::spawn(app.app_state.clone(), tasks.clone(), "beat".into());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        entry(&app, delayed).await.total_run_count,
        0,
        "not before start_time"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let fired = args_rows(&app, &later).await;
        let revoked = args_rows(&app, &expiring).await;
        if fired.iter().any(|r| r.status.as_deref() == Some("SUCCESS"))
            && revoked
                .iter()
                .any(|r| r.status.as_deref() == Some("REVOKED"))
        {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "start_time entry: {fired:?}; expired entry: {revoked:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.stop().await;
    assert!(entry(&app, delayed).await.last_run_time.unwrap() >= starts);
    assert_eq!(runs(&expiring), 0, "an expired job never runs");
    assert_eq!(runs(&later), 1);
    w.stop(Duration::from_secs(5)).await;
    app.stop().await;
}

async fn a_job_executed_through_the_api_reads_back_through_the_api(broker: &str) {
    let Some((app, tasks)) = app(broker, &[]).await else {
        return;
    };
    let w = worker(&app, &tasks);
    let token = app.token_for(1).await;
    let k = unique("api");
    let (code, body) = app
        .post_json(
            "/api/v1/schedulers",
            &token,
            &json!({
                "name": k,
                "task": "test_echo",
                "args": format!(r#"["{k}"]"#),
                "type": 1,
                "crontab": "0 0 1 1 *",
            }),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let (_, page) = app
        .get_json(&format!("/api/v1/schedulers?name={k}"), &token)
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
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let row = loop {
        let (code, body) = app
            .get_json("/api/v1/task-results?name=test_echo&size=100", &token)
            .await;
        assert_eq!(code, 200, "{body}");
        let found = body["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["args"] == json!([k]) && r["status"] == "SUCCESS")
            .cloned();
        if let Some(row) = found {
            break row;
        }
        assert!(tokio::time::Instant::now() < deadline, "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(row["result"], json!(k));
    assert_eq!(row["worker"], json!(w.hostname()));
    let (code, one) = app
        .get_json(&format!("/api/v1/task-results/{}", row["id"]), &token)
        .await;
    assert_eq!(code, 200, "{one}");
    assert_eq!(one["data"]["task_id"], row["task_id"]);
    w.stop(Duration::from_secs(5)).await;
    app.stop().await;
}

/// One `#[tokio::test]` per case and broker.
macro_rules! on_brokers {
    ($($case:ident),+ $(,)?) => {
        on_brokers!(@broker on_default, "default", $($case),+);
        on_brokers!(@broker on_redis, "redis", $($case),+);
        on_brokers!(@broker on_rabbitmq, "rabbitmq", $($case),+);
    };
    (@broker $module:ident, $broker:literal, $($case:ident),+) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case($broker).await;
                }
            )+
        }
    };
}

on_brokers!(
    a_sent_job_runs_and_its_result_row_has_fba_shape,
    a_retryable_failure_retries_then_records_celerys_failure_dict,
    other_failures_panics_and_time_limits_fail_at_once,
    a_revoked_job_is_recorded_revoked_and_never_runs,
    a_killed_workers_job_runs_on_another_worker,
    a_stopping_worker_puts_unfinished_jobs_back,
    a_two_second_schedule_fires_once_per_due_time_with_two_schedulers,
    a_one_off_entry_fires_once_and_is_disabled_and_bad_entries_are_disabled,
    start_time_delays_an_entry_and_expiry_revokes_its_jobs,
    a_job_executed_through_the_api_reads_back_through_the_api,
);
