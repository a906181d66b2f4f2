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
    // FBA's 50 admin menus, then the plugins' pages and buttons (dict 7, config 5, notice 4),
    // then the agent's (a directory, the sessions page, 4 buttons).
    assert_eq!(count("sys_menu").await, 72);
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

/// The plugins' and the task system's paths (counted in their own tests).
const PLUGIN_PATHS: &[&str] = &[
    "/api/v1/sys/plugins",
    "/api/v1/sys/dict-",
    "/api/v1/sys/configs",
    "/api/v1/sys/notices",
    // The task system's module.
    "/api/v1/tasks",
    "/api/v1/task-results",
    "/api/v1/schedulers",
    // The agent's module.
    "/api/v1/agent/",
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
    let mut core_operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let summary = op["summary"].as_str().unwrap_or_default();
            assert!(!summary.is_empty(), "{method} {path} has no summary");
            let ok = &op["responses"]["200"];
            let schema = &ok["content"]["application/json"]["schema"];
            let zip = !ok["content"]["application/x-zip-compressed"].is_null();
            // The agent's runs answer a stream of server-sent events.
            let sse = !ok["content"]["text/event-stream"].is_null();
            // Install and uninstall of a compiled-in plugin only ever answer 400.
            let refused = ok.is_null() && !op["responses"]["400"].is_null();
            assert!(
                schema["$ref"].is_string() || schema["type"].is_string() || zip || sse || refused,
                "{method} {path}: the 200 reply has no JSON schema: {ok}"
            );
            let security = if PUBLIC.contains(&path.as_str()) {
                Value::Null
            } else {
                json!([{"HTTPBearer": []}])
            };
            assert_eq!(op["security"], security, "{method} {path}");
            if !PLUGIN_PATHS.iter().any(|p| path.starts_with(p)) {
                core_operations += 1;
            }
            let url = path
                .replace("{pk}", "1")
                .replace("{model}", "User")
                .replace("{plugin}", "dict")
                .replace("{code}", "sys_status")
                .replace("{task_id}", "00000000-0000-0000-0000-000000000000");
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
    assert_eq!(core_operations, 69, "/health and the 68 admin routes");

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

/// The documented schema of `method path`'s reply with `status`.
fn reply_schema<'a>(doc: &'a Value, method: &str, path: &str, status: u16) -> &'a Value {
    let schema = &doc["paths"][path][method]["responses"][status.to_string()]["content"]["application/json"]
        ["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} documents no {status} schema"
    );
    schema
}

/// Checks `value` against `schema` (the subset of JSON Schema utoipa writes: `$ref`, `allOf`,
/// `oneOf`, `type`, `properties`, `required`, `items`), treating every object as closed: a key
/// the schema does not name is an error. Returns the first mismatch with its JSON path.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: unresolved {r}"));
        }
        return conforms(doc, target, value, at);
    }
    if let Some(branches) = schema["oneOf"].as_array() {
        let errors: Vec<String> = branches
            .iter()
            .filter_map(|b| conforms(doc, b, value, at).err())
            .collect();
        if errors.len() == branches.len() {
            return Err(errors.join(" | "));
        }
        return Ok(());
    }
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "null" => value.is_null(),
            "boolean" => value.is_boolean(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "string" => value.is_string(),
            "array" => value.is_array(),
            "object" => value.is_object(),
            _ => false,
        });
        if !ok {
            return Err(format!("{at}: {value} is not {types:?}"));
        }
    }
    // The object's properties and required keys, merged over `allOf` (serde's `flatten`).
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    let mut parts = vec![schema.clone()];
    while let Some(part) = parts.pop() {
        let part = match part["$ref"].as_str() {
            Some(r) => {
                doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")].clone()
            }
            None => part,
        };
        if let Some(all) = part["allOf"].as_array() {
            parts.extend(all.iter().cloned());
        }
        if let Some(p) = part["properties"].as_object() {
            properties.extend(p.clone());
        }
        if let Some(r) = part["required"].as_array() {
            required.extend(r.iter().filter_map(Value::as_str).map(str::to_owned));
        }
    }
    // An object schema without properties (`Object`) accepts any keys.
    if let Value::Object(map) = value
        && (!properties.is_empty() || !required.is_empty())
    {
        for key in &required {
            if !map.contains_key(key) {
                return Err(format!("{at}: required `{key}` is missing"));
            }
        }
        for (key, v) in map {
            let Some(prop) = properties.get(key) else {
                return Err(format!("{at}: `{key}` is not a documented property"));
            };
            conforms(doc, prop, v, &format!("{at}.{key}"))?;
        }
    }
    if let (Value::Array(items), Some(item_schema)) = (value, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            conforms(doc, item_schema, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

#[tokio::test]
async fn openapi_reply_schemas_match_real_replies() {
    let app = TestApp::spawn().await;
    let (_, doc) = json(app.get("/openapi").await).await;
    let token = app.token_for(1).await;

    // Replies with data, checked whole: every key of the envelope, `data` and everything
    // nested is a documented property of the right type, and every required one is sent.
    let reads = [
        ("/api/v1/sys/users/me", "/api/v1/sys/users/me"),
        ("/api/v1/sys/users", "/api/v1/sys/users?page=1&size=20"),
        ("/api/v1/sys/users/{pk}", "/api/v1/sys/users/1"),
        ("/api/v1/sys/menus/sidebar", "/api/v1/sys/menus/sidebar"),
        ("/api/v1/sys/menus", "/api/v1/sys/menus"),
        ("/api/v1/sys/depts", "/api/v1/sys/depts"),
        ("/api/v1/sys/roles/{pk}", "/api/v1/sys/roles/1"),
        ("/api/v1/sys/data-rules", "/api/v1/sys/data-rules"),
        ("/api/v1/auth/codes", "/api/v1/auth/codes"),
        ("/api/v1/monitors/sessions", "/api/v1/monitors/sessions"),
        ("/api/v1/monitors/server", "/api/v1/monitors/server"),
    ];
    for (pattern, url) in reads {
        let (status, body) = app.get_json(url, &token).await;
        assert_eq!((status, &body["code"]), (200, &json!(200)), "{url}: {body}");
        let schema = reply_schema(&doc, "get", pattern, 200);
        if let Err(e) = conforms(&doc, schema, &body, "$") {
            panic!("GET {url} does not match its documented schema: {e}\n{body}");
        }
        // The brief's minimum, spelled out: `data`'s top-level keys are documented.
        let data = match &body["data"] {
            Value::Array(items) => items.first().cloned().unwrap_or(Value::Null),
            other => other.clone(),
        };
        assert!(data.is_object() || url.ends_with("/codes"), "{url}: {data}");
    }

    // The check itself tells an undocumented key, a missing one and a wrong type apart.
    let me = reply_schema(&doc, "get", "/api/v1/sys/users/me", 200);
    let (_, real) = app.get_json("/api/v1/sys/users/me", &token).await;
    for (pointer, bad) in [
        ("/data/bogus", json!(1)),
        ("/data/roles", json!("admin")),
        ("/data/dept", json!(7)),
    ] {
        let mut body = real.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        body.pointer_mut(parent).unwrap()[key] = bad;
        assert!(conforms(&doc, me, &body, "$").is_err(), "{pointer}");
    }
    let mut body = real.clone();
    body["data"].as_object_mut().unwrap().remove("username");
    assert!(conforms(&doc, me, &body, "$").is_err(), "missing username");

    // A write's `null` data, its soft failure, and the error envelopes (401, 404, 422).
    let (status, body) = app
        .put_json(
            "/api/v1/sys/users/me/nickname",
            &token,
            &json!({"nickname": "schema"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let schema = reply_schema(&doc, "put", "/api/v1/sys/users/me/nickname", 200);
    conforms(&doc, schema, &body, "$").unwrap();
    let (status, body) = app
        .delete_json(
            "/api/v1/sys/data-rules",
            &token,
            Some(&json!({"pks": [987654]})),
        )
        .await;
    assert_eq!((status, &body["code"]), (200, &json!(400)), "{body}");
    let schema = reply_schema(&doc, "delete", "/api/v1/sys/data-rules", 200);
    conforms(&doc, schema, &body, "$").unwrap();
    let errors = [
        (
            app.get("/api/v1/sys/users/me").await,
            "/api/v1/sys/users/me",
            401,
        ),
        (
            app.get_auth("/api/v1/sys/users/987654", &token).await,
            "/api/v1/sys/users/{pk}",
            404,
        ),
        (
            app.get_auth("/api/v1/sys/users?page=0", &token).await,
            "/api/v1/sys/users",
            422,
        ),
    ];
    for (resp, pattern, expected) in errors {
        let (status, body) = json(resp).await;
        assert_eq!(status, expected, "{pattern}: {body}");
        let schema = reply_schema(&doc, "get", pattern, expected);
        if let Err(e) = conforms(&doc, schema, &body, "$") {
            panic!("{expected} of GET {pattern} does not match: {e}\n{body}");
        }
    }
    app.stop().await;
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
