//! `/health`, the API docs, and a real seeded database behind them.

use std::time::Duration;

use fba_admin::model::sys_opera_log;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
use serde_json::{Value, json};

use crate::helpers::{TestApp, json};

#[tokio::test]
async fn health_reports_both_stores() {
    let app = TestApp::spawn().await;
    let (status, body) = json(app.get("/health").await).await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 200);
    assert_eq!(body["data"]["status"], "ok");
    assert_eq!(body["data"]["database"], "ok");
    assert_eq!(body["data"]["kv"], "ok");
    let expected_kv = if crate::helpers::redis_url().is_some() {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(body["data"]["kv_backend"], expected_kv);
    app.stop().await;
}

#[tokio::test]
async fn health_is_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.app_state.db.clone().close().await.expect("close pool");
    let (status, body) = json(app.get("/health").await).await;
    assert_eq!(status, 503);
    assert_eq!(body["code"], 503);
    assert_eq!(body["data"]["database"], "down");
    assert_eq!(body["data"]["kv"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn openapi_and_doc_pages_are_served_in_dev() {
    let app = TestApp::spawn().await;
    let (status, doc) = json(app.get("/openapi").await).await;
    assert_eq!(status, 200);
    assert_eq!(doc["info"]["title"], "fba");
    assert!(doc["paths"]["/health"]["get"].is_object());
    for page in ["/docs", "/redoc"] {
        let resp = app.get(page).await;
        assert_eq!(resp.status().as_u16(), 200, "{page}");
        let html = resp.text().await.unwrap();
        assert!(html.contains("/openapi"), "{page}");
    }
    app.stop().await;
}

#[tokio::test]
async fn first_start_seeds_fba_test_data() {
    let app = TestApp::spawn().await;
    let db = &app.app_state.db;
    let count = |table: &'static str| async move {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    };
    assert_eq!(count("sys_user").await, 2);
    assert_eq!(count("sys_menu").await, 50);
    assert_eq!(count("sys_role").await, 1);
    assert_eq!(count("sys_dept").await, 1);
    assert_eq!(count("sys_data_rule").await, 6);
    let admin = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT password FROM sys_user WHERE username = 'admin'",
        ))
        .await
        .unwrap()
        .unwrap();
    let hash: String = admin.try_get("", "password").unwrap();
    assert!(bcrypt::verify("123456", &hash).unwrap());
    app.stop().await;
}

#[tokio::test]
async fn snowflake_mode_leases_a_node_and_makes_fba_layout_ids() {
    let app = TestApp::spawn_with(&[("DATABASE_PK_MODE", "snowflake")]).await;
    let ids = app.app_state.ids.clone().expect("snowflake generator");
    let (dc, worker) = ids.node();
    let key = fba_db::snowflake::node_key("fba:snowflake", dc, worker);
    let lease = app.app_state.kv.get(&key).await.unwrap();
    assert!(
        lease.is_some_and(|v| v.starts_with("pid:")),
        "node lease in the Kv store"
    );
    let a = app.app_state.next_id().unwrap().unwrap();
    let b = app.app_state.next_id().unwrap().unwrap();
    assert!(b > a);
    let parts = fba_db::snowflake::SnowflakeParts::decode(a);
    assert_eq!((parts.datacenter_id, parts.worker_id), (dc, worker));
    app.stop().await;
}

/// One route of every admin API module, with FBA's tag and summary.
const FBA_SUMMARIES: &[(&str, &str, &str, &str)] = &[
    ("get", "/api/v1/auth/captcha", "验证码", "获取登录验证码"),
    ("post", "/api/v1/auth/login", "授权", "用户登录"),
    (
        "post",
        "/api/v1/auth/login/swagger",
        "授权",
        "swagger 调试专用",
    ),
    ("get", "/api/v1/auth/codes", "授权", "获取所有授权码"),
    ("post", "/api/v1/auth/refresh", "授权", "刷新 token"),
    (
        "put",
        "/api/v1/sys/users/me/nickname",
        "系统用户",
        "更新当前用户昵称",
    ),
    ("delete", "/api/v1/sys/users/{pk}", "系统用户", "删除用户"),
    ("post", "/api/v1/sys/roles", "系统角色", "创建角色"),
    (
        "put",
        "/api/v1/sys/roles/{pk}/menus",
        "系统角色",
        "更新角色菜单",
    ),
    (
        "get",
        "/api/v1/sys/menus/sidebar",
        "系统菜单",
        "获取用户菜单侧边栏",
    ),
    ("get", "/api/v1/sys/depts", "系统部门", "获取部门树"),
    (
        "get",
        "/api/v1/sys/data-rules/models/{model}/columns",
        "系统数据规则",
        "获取数据规则可用模型列",
    ),
    (
        "put",
        "/api/v1/sys/data-scopes/{pk}/rules",
        "系统数据范围",
        "更新数据范围规则",
    ),
    (
        "post",
        "/api/v1/sys/files/upload",
        "系统文件",
        "本地文件上传",
    ),
    ("get", "/api/v1/logs/login", "登录日志", "分页获取登录日志"),
    (
        "delete",
        "/api/v1/logs/opera/all",
        "操作日志",
        "清空操作日志",
    ),
    (
        "get",
        "/api/v1/monitors/server",
        "服务器监控",
        "Server 监控",
    ),
    ("get", "/api/v1/monitors/redis", "redis监控", "Redis 监控"),
    (
        "delete",
        "/api/v1/monitors/sessions/{pk}",
        "会话监控",
        "强制下线",
    ),
];

/// Routes that take no token, as in FBA.
const PUBLIC: &[&str] = &[
    "/health",
    "/api/v1/auth/captcha",
    "/api/v1/auth/login",
    "/api/v1/auth/login/swagger",
    "/api/v1/auth/refresh",
    "/api/v1/auth/logout",
];

#[tokio::test]
async fn openapi_documents_every_route_with_fba_summaries_and_the_log_uses_them() {
    let app = crate::auth::spawn_no_captcha(&[
        ("OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE", "1"),
        ("OPERA_LOG_QUEUE_TIMEOUT", "1"),
    ])
    .await;
    let (status, doc) = json(app.get("/openapi").await).await;
    assert_eq!(status, 200);

    // (a) FBA's tag and summary on a route of every module.
    for (method, path, tag, summary) in FBA_SUMMARIES {
        let op = &doc["paths"][path][method];
        assert_eq!(op["summary"], *summary, "{method} {path}");
        assert_eq!(op["tags"], json!([tag]), "{method} {path}");
    }
    assert_eq!(
        doc["paths"]["/api/v1/sys/users"]["get"]["operationId"],
        "get_users_paginated"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["HTTPBearer"],
        json!({"type": "http", "scheme": "bearer"})
    );

    // Every operation has a summary and the bearer scheme unless public, and its path is a
    // mounted route: without a token it is not the 404/405 of an unknown path or method.
    let (status, _) = json(app.get("/api/v1/no/such/route").await).await;
    assert_eq!(status, 404, "an unknown path is told apart without a token");
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let summary = op["summary"].as_str().unwrap_or_default();
            assert!(!summary.is_empty(), "{method} {path} has no summary");
            let security = if PUBLIC.contains(&path.as_str()) {
                Value::Null
            } else {
                json!([{"HTTPBearer": []}])
            };
            assert_eq!(op["security"], security, "{method} {path}");
            let url = path.replace("{pk}", "1").replace("{model}", "User");
            let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let resp = app
                .client
                .request(method.clone(), app.url(&url))
                .send()
                .await
                .unwrap();
            let status = resp.status().as_u16();
            assert!(
                status != 404 && status != 405,
                "{method} {path} is not a route: {status}"
            );
        }
    }
    assert_eq!(operations, 69, "/health and the 68 admin routes");

    // (b) The operation log records the summary as the title, for static and `{pk}` patterns.
    let token = app.token_for(1).await;
    let requests = [
        (
            reqwest::Method::POST,
            "/api/v1/auth/login",
            Some(json!({"username": "admin", "password": "123456"})),
            "用户登录",
        ),
        (
            reqwest::Method::PUT,
            "/api/v1/sys/users/me/nickname",
            Some(json!({"nickname": "openapi"})),
            "更新当前用户昵称",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/sys/roles",
            Some(json!({"name": "openapi", "status": 1})),
            "创建角色",
        ),
        (
            reqwest::Method::GET,
            "/api/v1/sys/roles/1/menus",
            None,
            "获取角色菜单树",
        ),
    ];
    for (method, path, body, title) in requests {
        let rid = uuid::Uuid::new_v4().simple().to_string();
        let mut req = app
            .client
            .request(method, app.url(path))
            .header("X-Request-ID", &rid)
            .bearer_auth(&token);
        if let Some(body) = &body {
            req = req.json(body);
        }
        let (status, body) = json(req.send().await.unwrap()).await;
        assert_eq!(
            (status, &body["code"]),
            (200, &json!(200)),
            "{path}: {body}"
        );
        let row = opera_log_row(&app, &rid).await;
        assert_eq!(row.title, title, "{path}");
    }
    app.stop().await;
}

/// The operation log row of `trace_id`, waiting up to 5 s for the writer.
async fn opera_log_row(app: &TestApp, trace_id: &str) -> sys_opera_log::Model {
    for _ in 0..100 {
        let row = sys_opera_log::Entity::find()
            .filter(sys_opera_log::Column::TraceId.eq(trace_id))
            .one(&app.app_state.db)
            .await
            .unwrap();
        if let Some(row) = row {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no opera log row for {trace_id} after 5 s");
}

#[tokio::test]
async fn openapi_paths_follow_the_configured_v1_prefix() {
    let app = TestApp::spawn_with(&[("FASTAPI_API_V1_PATH", "/api/v2")]).await;
    let (status, doc) = json(app.get("/openapi").await).await;
    assert_eq!(status, 200);
    assert_eq!(
        doc["paths"]["/api/v2/sys/users/{pk}"]["get"]["summary"],
        "获取用户信息"
    );
    assert!(doc["paths"]["/api/v1/sys/users/{pk}"].is_null());
    assert!(doc["paths"]["/health"]["get"].is_object());
    app.stop().await;
}
