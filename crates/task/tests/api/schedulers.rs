//! `/api/v1/schedulers` through the real app: FBA's `TaskScheduler` shape, the seeded
//! entries, create/update/status/delete with FBA's rules (unique name, crontab, expiries),
//! `last_update`, the list's filters, order and pages, running an entry now and its result,
//! 404, 400, 409, 422 with its `loc`, 403 without `sys:task:*`, 401 without a token.

use std::time::{Duration, Instant};

use fba_testing::{
    TestApp, assert_401, assert_422, assert_error, assert_ok_empty, is_fba_datetime, make_staff,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::tasks_control::{start_worker, stop_worker, wait_for_worker};

const SCHEDULERS: &str = "/api/v1/schedulers";

/// FBA's built-in entries, in id order.
const SEEDED: [&str; 5] = [
    "测试同步任务",
    "测试异步任务",
    "测试传参任务",
    "清理操作日志",
    "清理登录日志",
];

fn crontab_body(name: &str) -> Value {
    json!({"name": name, "task": "task_demo_params", "type": 1, "crontab": "0 8 * * *",
           "args": "[\"a\"]", "kwargs": "{\"world\":\"b\"}", "remark": "备注"})
}

fn interval_body(name: &str) -> Value {
    json!({"name": name, "task": "task_demo", "type": 0, "interval_every": 30,
           "interval_period": "seconds"})
}

/// Creates an entry and returns its id.
async fn create(app: &TestApp, token: &str, body: &Value) -> i64 {
    let (status, reply) = app.post_json(SCHEDULERS, token, body).await;
    assert_ok_empty(status, &reply);
    let name = body["name"].as_str().unwrap();
    let (_, all) = app.get_json(&format!("{SCHEDULERS}/all"), token).await;
    all["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .and_then(|s| s["id"].as_i64())
        .unwrap_or_else(|| panic!("{name} listed: {all}"))
}

async fn detail(app: &TestApp, token: &str, id: i64) -> Value {
    let (status, reply) = app.get_json(&format!("{SCHEDULERS}/{id}"), token).await;
    assert_eq!(status, 200, "{reply}");
    reply["data"].clone()
}

fn names(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect()
}

async fn last_update(app: &TestApp) -> Option<String> {
    app.app_state
        .kv
        .get("fba:celery:last_update")
        .await
        .unwrap()
}

#[tokio::test]
async fn scheduler_crud_round_trip_keeps_fba_shapes() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    // FBA's built-in entries are seeded.
    let (status, all) = app.get_json(&format!("{SCHEDULERS}/all"), &admin).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(names(&all["data"]), SEEDED);
    let params = &all["data"][2];
    assert_eq!(
        (&params["args"], &params["kwargs"], &params["crontab"]),
        (
            &json!("[\"你好，\"]"),
            &json!("{\"world\": \"世界\"}"),
            &json!("1 * * * *")
        )
    );
    assert_eq!(last_update(&app).await, None);

    let id = create(&app, &admin, &crontab_body("每日八点")).await;
    let stamped = last_update(&app).await.expect("last_update stamped");
    assert!(is_fba_datetime(&json!(stamped)), "{stamped}");
    let data = detail(&app, &admin, id).await;
    let mut keys: Vec<&str> = data
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "args",
            "created_time",
            "crontab",
            "enabled",
            "exchange",
            "expire_seconds",
            "expire_time",
            "id",
            "interval_every",
            "interval_period",
            "kwargs",
            "last_run_time",
            "name",
            "one_off",
            "queue",
            "remark",
            "routing_key",
            "start_time",
            "task",
            "total_run_count",
            "type",
            "updated_time"
        ]
    );
    assert_eq!(
        data,
        json!({
            "name": "每日八点", "task": "task_demo_params",
            "args": "[\"a\"]", "kwargs": "{\"world\":\"b\"}",
            "queue": null, "exchange": null, "routing_key": null,
            "start_time": null, "expire_time": null, "expire_seconds": null,
            "type": 1, "interval_every": null, "interval_period": null,
            "crontab": "0 8 * * *", "one_off": false, "remark": "备注",
            "id": id, "enabled": true, "total_run_count": 0, "last_run_time": null,
            "created_time": data["created_time"], "updated_time": null,
        })
    );
    assert!(is_fba_datetime(&data["created_time"]), "{data}");

    // Defaults of a minimal body; JSON values for args/kwargs are stored as their text.
    let id2 = create(
        &app,
        &admin,
        &json!({"name": "最小", "task": "task_demo", "type": "0", "args": ["x", 1],
                "kwargs": {"k": true}, "start_time": "2026-01-02 03:04:05", "expire_seconds": "60"}),
    )
    .await;
    let data = detail(&app, &admin, id2).await;
    assert_eq!(
        (
            &data["crontab"],
            &data["one_off"],
            &data["enabled"],
            &data["type"]
        ),
        (&json!("* * * * *"), &json!(false), &json!(true), &json!(0))
    );
    assert_eq!(
        (&data["args"], &data["kwargs"]),
        (&json!("[\"x\",1]"), &json!("{\"k\":true}"))
    );
    assert_eq!(
        (&data["start_time"], &data["expire_seconds"]),
        (&json!("2026-01-02 03:04:05"), &json!(60))
    );

    // Update: given fields overwritten, absent optional fields left as they are.
    let changed = json!({"name": "每日九点", "task": "task_demo_params", "type": 0,
        "interval_every": "2", "interval_period": "hours", "queue": "celery", "remark": null,
        "one_off": "true", "expire_time": "2030-01-01T00:00:00+08:00", "id": 77});
    let (status, reply) = app
        .put_json(&format!("{SCHEDULERS}/{id}"), &admin, &changed)
        .await;
    assert_ok_empty(status, &reply);
    let data = detail(&app, &admin, id).await;
    assert_eq!(
        (
            &data["id"],
            &data["name"],
            &data["type"],
            &data["interval_every"],
            &data["interval_period"]
        ),
        (
            &json!(id),
            &json!("每日九点"),
            &json!(0),
            &json!(2),
            &json!("hours")
        )
    );
    assert_eq!(
        (
            &data["queue"],
            &data["remark"],
            &data["one_off"],
            &data["expire_time"]
        ),
        (
            &json!("celery"),
            &Value::Null,
            &json!(true),
            &json!("2030-01-01 00:00:00")
        )
    );
    assert_eq!(
        (&data["args"], &data["crontab"]),
        (&json!("[\"a\"]"), &json!("0 8 * * *")),
        "absent fields unchanged"
    );
    assert!(is_fba_datetime(&data["updated_time"]), "{data}");

    // Status toggles `enabled` both ways.
    let status_path = format!("{SCHEDULERS}/{id}/status");
    for enabled in [false, true] {
        let (status, reply) = app.put_json(&status_path, &admin, &json!({})).await;
        assert_ok_empty(status, &reply);
        assert_eq!(detail(&app, &admin, id).await["enabled"], enabled);
    }

    // Delete: gone afterwards, and the key is stamped again.
    app.app_state
        .kv
        .del("fba:celery:last_update")
        .await
        .unwrap();
    let (status, reply) = app
        .delete_json(&format!("{SCHEDULERS}/{id}"), &admin, None)
        .await;
    assert_ok_empty(status, &reply);
    assert!(last_update(&app).await.is_some());
    let (status, reply) = app.get_json(&format!("{SCHEDULERS}/{id}"), &admin).await;
    assert_error(status, &reply, 404, "任务调度不存在");
    app.stop().await;
}

#[tokio::test]
async fn scheduler_rules_are_fba_conflicts_and_bad_requests() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let id = create(&app, &admin, &crontab_body("规则")).await;
    let other = create(&app, &admin, &interval_body("另一个")).await;
    let put = |id: i64| format!("{SCHEDULERS}/{id}");

    // Unique names, on create and when renaming to another entry's name.
    let (status, reply) = app
        .post_json(SCHEDULERS, &admin, &crontab_body("规则"))
        .await;
    assert_error(status, &reply, 409, "任务调度已存在");
    let (status, reply) = app
        .post_json(SCHEDULERS, &admin, &crontab_body("测试传参任务"))
        .await;
    assert_error(status, &reply, 409, "任务调度已存在");
    let (status, reply) = app
        .put_json(&put(other), &admin, &crontab_body("规则"))
        .await;
    assert_error(status, &reply, 409, "任务调度已存在");
    // Keeping one's own name is fine.
    let (status, reply) = app.put_json(&put(id), &admin, &crontab_body("规则")).await;
    assert_ok_empty(status, &reply);

    // A crontab entry's crontab must parse; an interval entry's is not checked (FBA).
    for bad in ["* * * *", "61 * * * *", "x * * * *", "0 0 32 * *"] {
        let mut b = crontab_body("坏的表达式");
        b["crontab"] = json!(bad);
        let (status, reply) = app.post_json(SCHEDULERS, &admin, &b).await;
        assert_error(status, &reply, 400, "Crontab 表达式非法");
        let (status, reply) = app.put_json(&put(id), &admin, &b).await;
        assert_error(status, &reply, 400, "Crontab 表达式非法");
    }
    let mut b = interval_body("间隔忽略表达式");
    b["crontab"] = json!("x");
    let (status, reply) = app.post_json(SCHEDULERS, &admin, &b).await;
    assert_ok_empty(status, &reply);

    // Not both expiries; on update as the row would be after it.
    let mut b = interval_body("两个过期");
    b["expire_seconds"] = json!(60);
    b["expire_time"] = json!("2030-01-01 00:00:00");
    let (status, reply) = app.post_json(SCHEDULERS, &admin, &b).await;
    assert_error(
        status,
        &reply,
        409,
        "expires 和 expire_seconds 只能设置一个",
    );
    let mut b = interval_body("另一个");
    b["expire_seconds"] = json!(60);
    let (status, reply) = app.put_json(&put(other), &admin, &b).await;
    assert_ok_empty(status, &reply);
    let mut b = interval_body("另一个");
    b["expire_time"] = json!("2030-01-01 00:00:00");
    let (status, reply) = app.put_json(&put(other), &admin, &b).await;
    assert_error(
        status,
        &reply,
        409,
        "expires 和 expire_seconds 只能设置一个",
    );
    b["expire_seconds"] = Value::Null;
    let (status, reply) = app.put_json(&put(other), &admin, &b).await;
    assert_ok_empty(status, &reply);
    let data = detail(&app, &admin, other).await;
    assert_eq!(
        (&data["expire_seconds"], &data["expire_time"]),
        (&Value::Null, &json!("2030-01-01 00:00:00"))
    );

    // Unknown ids are 404 on every route that takes one.
    let missing = 999_999;
    let (status, reply) = app.get_json(&put(missing), &admin).await;
    assert_error(status, &reply, 404, "任务调度不存在");
    let (status, reply) = app
        .put_json(&put(missing), &admin, &crontab_body("无"))
        .await;
    assert_error(status, &reply, 404, "任务调度不存在");
    for (method, path) in [
        (Method::PUT, format!("{SCHEDULERS}/{missing}/status")),
        (Method::DELETE, put(missing)),
        (Method::POST, format!("{SCHEDULERS}/{missing}/execute")),
    ] {
        let (status, reply) = app.call(method, &path, Some(&admin), None).await;
        assert_error(status, &reply, 404, "任务调度不存在");
    }
    app.stop().await;
}

#[tokio::test]
async fn scheduler_bodies_and_filters_are_validated_with_their_loc() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let ok = crontab_body("校验");
    let id = create(&app, &admin, &ok).await;

    let cases = [
        ("name", json!("x".repeat(65)), "string_too_long"),
        ("name", json!(5), "string_type"),
        ("task", json!("t".repeat(257)), "string_too_long"),
        ("args", json!("a\u{0}"), "value_error"),
        ("queue", json!("q".repeat(257)), "string_too_long"),
        ("exchange", json!(1), "string_type"),
        ("start_time", json!("soon"), "datetime_parsing"),
        ("expire_time", json!(true), "datetime_type"),
        ("expire_seconds", json!("x"), "int_parsing"),
        ("type", json!(2), "enum"),
        ("type", Value::Null, "enum"),
        ("interval_every", json!(1.5), "int_type"),
        ("interval_period", json!("weeks"), "enum"),
        ("crontab", json!("* ".repeat(40)), "string_too_long"),
        ("crontab", Value::Null, "string_type"),
        ("one_off", json!("maybe"), "bool_type"),
        ("remark", json!("a\u{0}b"), "value_error"),
    ];
    for (field, bad, kind) in cases {
        let mut b = ok.clone();
        b[field] = bad;
        for (status, reply) in [
            app.post_json(SCHEDULERS, &admin, &b).await,
            app.put_json(&format!("{SCHEDULERS}/{id}"), &admin, &b)
                .await,
        ] {
            assert_422(status, &reply, json!(["body", field]));
            assert_eq!(reply["data"]["errors"][0]["type"], kind, "{field}: {reply}");
        }
    }
    // Missing required fields, every bad field named at once in FBA's order.
    for field in ["name", "task", "type"] {
        let mut b = ok.clone();
        b.as_object_mut().unwrap().remove(field);
        let (status, reply) = app.post_json(SCHEDULERS, &admin, &b).await;
        assert_422(status, &reply, json!(["body", field]));
        assert_eq!(reply["data"]["errors"][0]["type"], "missing");
    }
    let (status, reply) = app
        .post_json(
            SCHEDULERS,
            &admin,
            &json!({"name": "n".repeat(65), "task": "t", "type": 9, "interval_period": "x"}),
        )
        .await;
    assert_eq!(status, 422, "{reply}");
    let locs: Vec<&Value> = reply["data"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["loc"][1])
        .collect();
    assert_eq!(
        locs,
        [&json!("name"), &json!("type"), &json!("interval_period")]
    );
    // 64 characters (not bytes) fit.
    let (status, reply) = app
        .post_json(SCHEDULERS, &admin, &crontab_body(&"调".repeat(64)))
        .await;
    assert_ok_empty(status, &reply);

    // Path and query.
    for path in [
        format!("{SCHEDULERS}/abc"),
        format!("{SCHEDULERS}/abc/status"),
        format!("{SCHEDULERS}/abc/execute"),
    ] {
        let method = if path.ends_with("status") {
            Method::PUT
        } else if path.ends_with("execute") {
            Method::POST
        } else {
            Method::GET
        };
        let (status, reply) = app.call(method, &path, Some(&admin), None).await;
        assert_422(status, &reply, json!(["path", "pk"]));
    }
    for (query, loc) in [
        ("type=x", json!(["query", "type"])),
        ("page=0", json!(["query", "page"])),
        ("size=201", json!(["query", "size"])),
    ] {
        let (status, reply) = app.get_json(&format!("{SCHEDULERS}?{query}"), &admin).await;
        assert_422(status, &reply, loc);
    }
    app.stop().await;
}

#[tokio::test]
async fn scheduler_list_filters_and_pages_in_id_order() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    create(&app, &admin, &interval_body("自定义间隔")).await;
    create(&app, &admin, &crontab_body("自定义定时")).await;

    let list = |query: &str| {
        let app = &app;
        let admin = &admin;
        let query = query.to_owned();
        async move {
            let (status, page) = app.get_json(&format!("{SCHEDULERS}?{query}"), admin).await;
            assert_eq!(status, 200, "{query}: {page}");
            page
        }
    };
    let all = list("size=200").await;
    let mut expected: Vec<&str> = SEEDED.to_vec();
    expected.extend(["自定义间隔", "自定义定时"]);
    assert_eq!(names(&all["data"]["items"]), expected);
    assert_eq!(all["data"]["total"], 7);
    assert_eq!(
        names(&list("type=0").await["data"]["items"]),
        ["测试同步任务", "自定义间隔"]
    );
    assert_eq!(
        names(&list("name=自定义").await["data"]["items"]),
        ["自定义间隔", "自定义定时"]
    );
    assert_eq!(
        names(&list("name=测试&type=1").await["data"]["items"]),
        ["测试异步任务", "测试传参任务"]
    );
    assert_eq!(list("name=&type=").await["data"]["total"], 7);
    let second = list("page=2&size=3").await;
    assert_eq!(
        names(&second["data"]["items"]),
        ["清理操作日志", "清理登录日志", "自定义间隔"]
    );
    assert_eq!(
        (&second["data"]["total"], &second["data"]["total_pages"]),
        (&json!(7), &json!(3))
    );
    app.stop().await;
}

#[tokio::test]
async fn scheduler_writes_need_their_permission_reads_a_token() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let id = create(&app, &admin, &crontab_body("权限")).await;
    make_staff(&app, 2).await;
    let user = app.token_for(2).await;
    let one = format!("{SCHEDULERS}/{id}");

    for path in [
        format!("{SCHEDULERS}/all"),
        one.clone(),
        SCHEDULERS.to_owned(),
    ] {
        let (status, reply) = app.get_json(&path, &user).await;
        assert_eq!(status, 200, "{path}: {reply}");
    }
    let body = crontab_body("x");
    let writes = [
        (Method::POST, SCHEDULERS.to_owned()),
        (Method::PUT, one.clone()),
        (Method::PUT, format!("{one}/status")),
        (Method::DELETE, one.clone()),
        (Method::POST, format!("{one}/execute")),
    ];
    for (method, path) in &writes {
        let (status, reply) = app
            .call(method.clone(), path, Some(&user), Some(&body))
            .await;
        assert_error(status, &reply, 403, "Permission Denied");
    }
    for (method, path) in writes.iter().cloned().chain([
        (Method::GET, format!("{SCHEDULERS}/all")),
        (Method::GET, one.clone()),
        (Method::GET, SCHEDULERS.to_owned()),
    ]) {
        let (status, reply) = app.call(method, &path, None, Some(&body)).await;
        assert_401(status, &reply);
    }
    // Nothing changed.
    assert_eq!(detail(&app, &admin, id).await["enabled"], true);
    app.stop().await;
}

#[tokio::test]
async fn execute_runs_the_task_now_and_records_its_result() {
    let app = TestApp::spawn().await;
    let worker = start_worker(&app).await;
    let admin = app.token_for(1).await;
    wait_for_worker(&app, &admin).await;

    let id = create(&app, &admin, &crontab_body("立即执行")).await;
    let (status, reply) = app
        .post_json(&format!("{SCHEDULERS}/{id}/execute"), &admin, &json!({}))
        .await;
    assert_ok_empty(status, &reply);

    let deadline = Instant::now() + Duration::from_secs(15);
    let row = loop {
        let (status, page) = app
            .get_json("/api/v1/task-results?name=task_demo_params", &admin)
            .await;
        assert_eq!(status, 200, "{page}");
        let done = page["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["status"] == "SUCCESS" && r["args"] == json!(["a"]))
            .cloned();
        if let Some(row) = done {
            break row;
        }
        assert!(Instant::now() < deadline, "no result recorded: {page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(row["result"], "ab");
    assert_eq!(row["kwargs"], json!({"world": "b"}));
    // Running it now does not count as a scheduled run.
    assert_eq!(detail(&app, &admin, id).await["total_run_count"], 0);

    // Arguments that are not JSON of the right shape are FBA's 400, before any job is sent.
    for (field, bad) in [("args", "not json"), ("args", "{}"), ("kwargs", "[1]")] {
        let mut b = crontab_body(&format!("坏参数 {field} {bad}"));
        b[field] = json!(bad);
        let bad_id = create(&app, &admin, &b).await;
        let (status, reply) = app
            .post_json(
                &format!("{SCHEDULERS}/{bad_id}/execute"),
                &admin,
                &json!({}),
            )
            .await;
        assert_error(status, &reply, 400, "执行失败，任务参数非法");
    }

    stop_worker(worker).await;
    app.stop().await;
}

#[tokio::test]
async fn scheduler_create_in_snowflake_mode_uses_app_assigned_ids() {
    let app = TestApp::builder()
        .settings(&[("DATABASE_PK_MODE", "snowflake")])
        .spawn()
        .await;
    let admin = app.token_for(1).await;
    let id = create(&app, &admin, &crontab_body("雪花")).await;
    assert!(id > 1 << 40, "{id}");
    assert_eq!(detail(&app, &admin, id).await["name"], "雪花");
    app.stop().await;
}

#[tokio::test]
async fn task_routes_are_documented_with_fba_summaries() {
    let app = TestApp::spawn().await;
    let (status, doc) = fba_testing::json(app.get("/openapi").await).await;
    assert_eq!(status, 200);
    for (method, path, summary) in [
        ("get", "/api/v1/tasks/registered", "获取已注册的任务"),
        ("delete", "/api/v1/tasks/{task_id}/cancel", "撤销任务"),
        ("get", "/api/v1/task-results/{pk}", "获取任务结果详情"),
        ("get", "/api/v1/task-results", "分页获取所有任务结果"),
        ("delete", "/api/v1/task-results", "批量删除任务结果"),
        ("get", "/api/v1/schedulers/all", "获取所有任务调度"),
        ("get", "/api/v1/schedulers/{pk}", "获取任务调度详情"),
        ("get", "/api/v1/schedulers", "分页获取所有任务调度"),
        ("post", "/api/v1/schedulers", "创建任务调度"),
        ("put", "/api/v1/schedulers/{pk}", "更新任务调度"),
        ("put", "/api/v1/schedulers/{pk}/status", "更新任务调度状态"),
        ("delete", "/api/v1/schedulers/{pk}", "删除任务调度"),
        ("post", "/api/v1/schedulers/{pk}/execute", "执行任务"),
    ] {
        let op = &doc["paths"][path][method];
        assert_eq!(op["summary"], summary, "{method} {path}");
        assert_eq!(op["tags"], json!(["任务"]), "{method} {path}");
        assert!(!op["responses"]["401"].is_null(), "{method} {path}");
    }
    app.stop().await;
}
