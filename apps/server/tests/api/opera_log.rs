//! The operation log through the real app: the rows the middleware writes for API requests,
//! `/api/v1/logs/opera` (list, batch delete, clear) and the flush of queued rows on shutdown.

use std::time::Duration;

use fba_admin::model::sys_opera_log;
use fba_common::middleware::opera_log::OperaLogRecord;
use fba_core_conf::{Settings, Source};
use fba_db::testing::TestDatabase;
use fba_server::Application;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, base_pairs, is_fba_datetime, json};

const LOGS: &str = "/api/v1/logs/opera";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

/// An app whose log rows are written one by one as they come (no waiting for a batch).
async fn spawn(extra: &[(&str, &str)]) -> TestApp {
    let mut pairs = vec![
        ("OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE", "1"),
        ("OPERA_LOG_QUEUE_TIMEOUT", "1"),
    ];
    pairs.extend_from_slice(extra);
    crate::auth::spawn_no_captcha(&pairs).await
}

fn request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Sends `method path` with a fresh `X-Request-ID`, Chrome's user agent, the token and a JSON
/// body when given; returns (request id, status, JSON body).
async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> (String, u16, Value) {
    let rid = request_id();
    let mut req = app
        .client
        .request(method, app.url(path))
        .header("X-Request-ID", &rid)
        .header("User-Agent", CHROME);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body {
        req = req.json(body);
    }
    let (status, body) = json(req.send().await.unwrap()).await;
    (rid, status, body)
}

async fn find(app: &TestApp, trace_id: &str) -> Option<sys_opera_log::Model> {
    sys_opera_log::Entity::find()
        .filter(sys_opera_log::Column::TraceId.eq(trace_id))
        .one(&app.app_state.db)
        .await
        .unwrap()
}

/// The row of `trace_id`, waiting up to 5 s for the writer.
async fn row(app: &TestApp, trace_id: &str) -> sys_opera_log::Model {
    for _ in 0..100 {
        if let Some(row) = find(app, trace_id).await {
            return row;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no opera log row for {trace_id} after 5 s");
}

/// Asserts that the request `trace_id` left no row: a logged request sent afterwards is written
/// (rows are written in queue order), and `trace_id`'s is not there.
async fn assert_not_logged(app: &TestApp, token: &str, trace_id: &str) {
    let (marker, status, _) = send(app, reqwest::Method::GET, LOGS, Some(token), None).await;
    assert_eq!(status, 200);
    row(app, &marker).await;
    assert!(find(app, trace_id).await.is_none(), "{trace_id} was logged");
}

fn record(username: Option<&str>, status: i32, ip: &str) -> OperaLogRecord {
    OperaLogRecord {
        trace_id: request_id(),
        username: username.map(str::to_owned),
        method: "GET".to_owned(),
        title: "t".to_owned(),
        path: "/api/v1/x".to_owned(),
        ip: ip.to_owned(),
        country: None,
        region: None,
        city: None,
        user_agent: None,
        os: None,
        browser: None,
        device: None,
        args: None,
        status,
        code: if status == 1 { "200" } else { "500" }.to_owned(),
        msg: Some("m".to_owned()),
        cost_time: 1.5,
        opera_time: sea_orm::prelude::ChronoUtc::now(),
    }
}

/// Inserts rows as the queue's writer does; returns their ids in insertion order.
async fn insert(app: &TestApp, rows: &[OperaLogRecord]) -> Vec<i64> {
    fba_admin::service::opera_log::bulk_create(&app.app_state, &app.app_state.db, rows)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for r in rows {
        ids.push(find(app, &r.trace_id).await.unwrap().id);
    }
    ids
}

#[tokio::test]
async fn a_request_is_logged_with_fbas_fields_and_its_password_redacted() {
    let app = spawn(&[]).await;
    let rid = request_id();
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("X-Request-ID", &rid)
        .header("User-Agent", CHROME)
        .json(&json!({"username": "admin", "password": "123456", "captcha": "x"}))
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 200, "the handler still read the body: {body}");
    let token = body["data"]["access_token"].as_str().unwrap().to_owned();
    let login = row(&app, &rid).await;
    assert_eq!(login.trace_id, rid);
    assert_eq!(login.username, None, "FBA records the login as anonymous");
    assert_eq!(login.method, "POST");
    assert_eq!(login.path, "/api/v1/auth/login");
    assert_eq!(
        login.title, "用户登录",
        "FBA's OpenAPI summary of the route"
    );
    assert_eq!(login.ip, "127.0.0.1");
    assert_eq!(login.user_agent.as_deref(), Some(CHROME));
    assert_eq!(login.browser.as_deref(), Some("Chrome 120.0.0.0"));
    assert_eq!(login.device.as_deref(), Some("PC"));
    assert!(login.os.unwrap_or_default().starts_with("Windows"));
    assert_eq!(
        login.args,
        Some(json!({"json": {"username": "admin", "password": "[REDACTED]", "captcha": "x"}}))
    );
    assert_eq!(
        (login.status, login.code.as_str(), login.msg.as_deref()),
        (1, "200", Some("Success"))
    );
    assert!(login.cost_time >= 0.0);
    assert_eq!(
        (login.cost_time * 1000.0).round() / 1000.0,
        login.cost_time,
        "3 decimals"
    );
    assert!(login.opera_time <= login.created_time);

    // An authenticated request: the user, the query, FBA's title from the OpenAPI summary.
    let (rid, status, _) = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/logs/opera?username=nobody&size=5",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let listed = row(&app, &rid).await;
    assert_eq!(listed.username.as_deref(), Some("admin"));
    assert_eq!(listed.title, "分页获取操作日志");
    assert_eq!(listed.path, "/api/v1/logs/opera");
    assert_eq!(
        listed.args,
        Some(json!({"query_params": {"username": "nobody", "size": "5"}}))
    );

    // The list shows the row in FBA's `OperaLog` shape.
    let (_, status, body) = send(
        &app,
        reqwest::Method::GET,
        &format!("{LOGS}?size=200"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let item = body["data"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["trace_id"] == json!(login.trace_id))
        .unwrap()
        .clone();
    let mut keys: Vec<&str> = item
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = vec![
        "trace_id",
        "username",
        "method",
        "title",
        "path",
        "ip",
        "country",
        "region",
        "city",
        "user_agent",
        "os",
        "browser",
        "device",
        "args",
        "status",
        "code",
        "msg",
        "cost_time",
        "opera_time",
        "id",
        "created_time",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(item["code"], json!("200"));
    assert_eq!(item["status"], json!(1));
    assert_eq!(item["username"], Value::Null);
    assert_eq!(item["country"], Value::Null);
    assert_eq!(item["args"]["json"]["password"], json!("[REDACTED]"));
    assert!(item["cost_time"].is_number());
    assert!(
        is_fba_datetime(&item["opera_time"]),
        "{}",
        item["opera_time"]
    );
    assert!(is_fba_datetime(&item["created_time"]));
    app.stop().await;
}

#[tokio::test]
async fn failures_are_logged_with_the_envelope_code_and_soft_failures_as_success() {
    let app = spawn(&[]).await;
    let admin = app.token_for(1).await;
    let user = app.token_for(2).await;

    // 422: the body's message, status 0.
    let bad = json!({"pks": "x"});
    let (rid, status, body) = send(
        &app,
        reqwest::Method::DELETE,
        LOGS,
        Some(&admin),
        Some(&bad),
    )
    .await;
    assert_eq!(status, 422);
    let r = row(&app, &rid).await;
    assert_eq!((r.status, r.code.as_str()), (0, "422"));
    assert_eq!(r.msg.as_deref(), body["msg"].as_str());
    assert_eq!(r.args, Some(json!({"json": {"pks": "x"}})));
    assert_eq!(r.title, "批量删除操作日志");

    // 403 from the permission check, with the user.
    let (rid, status, body) = send(
        &app,
        reqwest::Method::DELETE,
        LOGS,
        Some(&user),
        Some(&json!({"pks": [1]})),
    )
    .await;
    assert_eq!(status, 403);
    let r = row(&app, &rid).await;
    assert_eq!((r.status, r.code.as_str()), (0, "403"));
    assert_eq!(r.msg.as_deref(), body["msg"].as_str());
    assert_eq!(r.username.as_deref(), Some("test"));

    // Soft failure (HTTP 200, body code 400): FBA records it as a success.
    let (rid, status, body) = send(
        &app,
        reqwest::Method::DELETE,
        LOGS,
        Some(&admin),
        Some(&json!({"pks": [987_654_321]})),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(400)));
    let r = row(&app, &rid).await;
    assert_eq!(
        (r.status, r.code.as_str(), r.msg.as_deref()),
        (1, "200", Some("Success"))
    );

    // 401 from the route (no token at all) is logged, anonymously.
    let (rid, status, _) = send(&app, reqwest::Method::GET, LOGS, None, None).await;
    assert_eq!(status, 401);
    let r = row(&app, &rid).await;
    assert_eq!(
        (r.status, r.code.as_str(), r.msg.as_deref(), r.username),
        (0, "401", Some("Not authenticated"), None)
    );

    // Unknown route: 404, no title.
    let (rid, status, _) = send(&app, reqwest::Method::GET, "/api/v1/no/such", None, None).await;
    assert_eq!(status, 404);
    let r = row(&app, &rid).await;
    assert_eq!((r.code.as_str(), r.title.as_str()), ("404", ""));

    // A token the JWT middleware refuses: not logged (FBA rejects it before the log runs).
    let (rid, status, body) = send(&app, reqwest::Method::GET, LOGS, Some("not-a-jwt"), None).await;
    assert_eq!((status, body["msg"].as_str()), (401, Some("Token 无效")));
    assert_not_logged(&app, &admin, &rid).await;
    app.stop().await;
}

#[tokio::test]
async fn excluded_paths_options_and_paths_outside_the_api_are_not_logged() {
    let app = spawn(&[("OPERA_LOG_PATH_EXCLUDE", "/api/v1/monitors/server")]).await;
    let token = app.token_for(1).await;
    let (excluded, _, _) = send(
        &app,
        reqwest::Method::GET,
        "/api/v1/monitors/server",
        Some(&token),
        None,
    )
    .await;
    let (health, status, _) = send(&app, reqwest::Method::GET, "/health", None, None).await;
    assert_eq!(status, 200);
    let options = request_id();
    app.client
        .request(reqwest::Method::OPTIONS, app.url(LOGS))
        .header("X-Request-ID", &options)
        .send()
        .await
        .unwrap();
    for rid in [&excluded, &health, &options] {
        assert_not_logged(&app, &token, rid).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn default_exclusions_keep_the_swagger_form_login_out() {
    let app = spawn(&[]).await;
    let token = app.token_for(1).await;
    let rid = request_id();
    app.client
        .post(app.url("/api/v1/auth/login/swagger"))
        .header("X-Request-ID", &rid)
        .form(&[("username", "admin"), ("password", "123456")])
        .send()
        .await
        .unwrap();
    assert_not_logged(&app, &token, &rid).await;
    app.stop().await;
}

#[tokio::test]
async fn passwords_in_the_query_and_in_form_bodies_are_redacted() {
    // The swagger login (credentials in the query, as FBA's `HTTPBasicCredentials` dependency
    // reads them) is logged here because the exclusion list is replaced.
    let app = spawn(&[("OPERA_LOG_PATH_EXCLUDE", "/docs")]).await;
    let rid = request_id();
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login/swagger?username=admin&password=123456"))
        .header("X-Request-ID", &rid)
        .form(&[
            ("note", "a b"),
            ("password", "123456"),
            ("new_password", "x"),
        ])
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 200, "{body}");
    let r = row(&app, &rid).await;
    assert_eq!(
        r.args,
        Some(json!({
            "query_params": {"username": "admin", "password": "[REDACTED]"},
            "x-www-form-urlencoded": {"note": "a b", "password": "[REDACTED]", "new_password": "[REDACTED]"},
        }))
    );
    assert_eq!(r.username, None);
    app.stop().await;
}

#[tokio::test]
async fn a_multipart_upload_is_logged_as_form_data_and_still_stored() {
    let dir = std::env::temp_dir().join(format!("fba-opera-upload-{}", request_id()));
    let dir_text = dir.display().to_string();
    let app = spawn(&[("UPLOAD_DIR", dir_text.as_str())]).await;
    let token = app.token_for(1).await;
    let png: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";
    let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n".to_vec();
    body.extend_from_slice(png);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let rid = request_id();
    let resp = app
        .client
        .post(app.url("/api/v1/sys/files/upload"))
        .header("X-Request-ID", &rid)
        .header("content-type", "multipart/form-data; boundary=XyZ")
        .bearer_auth(&token)
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(200)), "{body}");
    let r = row(&app, &rid).await;
    assert_eq!(
        r.args,
        Some(json!({"form-data": {
            "note": "hello",
            "file": {"filename": "a.png", "content_type": "image/png", "size": png.len()},
        }}))
    );
    app.stop().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn huge_arguments_become_fbas_truncation_object() {
    let app = spawn(&[]).await;
    let token = app.token_for(1).await;
    let ids = insert(&app, &[record(Some("x"), 1, "1.1.1.1")]).await;
    let filler = "界".repeat(5000);
    let body = json!({"pks": [ids[0]], "filler": filler});
    let (rid, status, resp) = send(
        &app,
        reqwest::Method::DELETE,
        LOGS,
        Some(&token),
        Some(&body),
    )
    .await;
    assert_eq!(
        (status, resp["code"].as_i64()),
        (200, Some(200)),
        "the handler read the whole body and deleted the row: {resp}"
    );
    let r = row(&app, &rid).await;
    let args = r.args.unwrap();
    // Python's json.dumps of {"json": {...}} with ", " and ": " separators.
    let text = format!(
        "{{\"json\": {{\"filler\": \"{filler}\", \"pks\": [{}]}}}}",
        ids[0]
    );
    let size = text.len();
    assert_eq!(args["_truncated"], json!(true));
    assert_eq!(args["_original_size"], json!(size));
    assert_eq!(args["_max_size"], json!(10240));
    assert_eq!(
        args["_message"],
        json!(format!(
            "数据过大已截断：原始大小 {size} 字节，限制 10240 字节"
        ))
    );
    assert_eq!(
        args["data_preview"],
        json!(text.chars().take(10240).collect::<String>())
    );
    app.stop().await;
}

#[tokio::test]
async fn list_filters_by_username_status_and_ip_and_paginates_newest_first() {
    let app = spawn(&[]).await;
    let token = app.token_for(1).await;
    insert(
        &app,
        &[
            record(Some("alice"), 1, "10.9.8.1"),
            record(Some("alice"), 0, "10.9.8.2"),
            record(Some("bob"), 0, "10.9.7.1"),
            record(None, 0, "10.9.8.3"),
        ],
    )
    .await;
    let mut bulk = Vec::new();
    for _ in 0..25 {
        bulk.push(record(Some("bulk"), 1, "10.0.0.1"));
    }
    let bulk_ids = insert(&app, &bulk).await;

    let list = |query: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            let (_, status, body) = send(
                app,
                reqwest::Method::GET,
                &format!("{LOGS}?{query}"),
                Some(&token),
                None,
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body["data"].clone()
        }
    };
    let data = list("username=lic").await;
    assert_eq!(data["total"], 2);
    let data = list("username=alice&status=0").await;
    assert_eq!(data["total"], 1);
    assert_eq!(data["items"][0]["ip"], "10.9.8.2");
    let data = list("ip=10.9.8&status=0").await;
    assert_eq!(data["total"], 2);
    let data = list("ip=10.9.&username=&status=").await;
    assert_eq!(data["total"], 4, "empty filters are no filters");

    let data = list("username=bulk&page=2&size=10").await;
    assert_eq!(
        (
            &data["total"],
            &data["page"],
            &data["size"],
            &data["total_pages"]
        ),
        (&json!(25), &json!(2), &json!(10), &json!(3))
    );
    let ids: Vec<i64> = data["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let mut newest_first = bulk_ids.clone();
    newest_first.reverse();
    assert_eq!(ids, newest_first[10..20].to_vec());
    assert_eq!(
        data["links"]["next"],
        json!("/api/v1/logs/opera?username=bulk&page=3&size=10")
    );
    let data = list("username=bulk&page=9").await;
    assert_eq!(data["items"], json!([]));

    for (query, field) in [
        ("status=abc", "status"),
        ("page=0", "page"),
        ("size=201", "size"),
        ("username=a%00b", "username"),
        ("status=99999999999", "status"),
    ] {
        let (_, status, body) = send(
            &app,
            reqwest::Method::GET,
            &format!("{LOGS}?{query}"),
            Some(&token),
            None,
        )
        .await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(body["data"]["errors"][0]["loc"], json!(["query", field]));
    }
    let (_, status, _) = send(&app, reqwest::Method::GET, LOGS, None, None).await;
    assert_eq!(status, 401);
    let user = app.token_for(2).await;
    let (_, status, _) = send(&app, reqwest::Method::GET, LOGS, Some(&user), None).await;
    assert_eq!(status, 200, "any signed-in user may list");
    app.stop().await;
}

#[tokio::test]
async fn batch_delete_removes_the_rows_and_soft_fails_when_none_matched() {
    let app = spawn(&[]).await;
    let admin = app.token_for(1).await;
    let ids = insert(
        &app,
        &[
            record(Some("a"), 1, "1.1.1.1"),
            record(Some("b"), 1, "1.1.1.1"),
            record(Some("c"), 1, "1.1.1.1"),
        ],
    )
    .await;
    let (_, status, body) = send(
        &app,
        reqwest::Method::DELETE,
        LOGS,
        Some(&admin),
        Some(&json!({"pks": [ids[0], ids[1].to_string()]})),
    )
    .await;
    assert_eq!(
        (status, body.clone()),
        (200, json!({"code": 200, "msg": "请求成功", "data": null}))
    );
    let left: Vec<i64> = sys_opera_log::Entity::find()
        .filter(sys_opera_log::Column::Id.is_in(ids.clone()))
        .all(&app.app_state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(left, vec![ids[2]]);
    let (_, status, body) = send(
        &app,
        reqwest::Method::DELETE,
        LOGS,
        Some(&admin),
        Some(&json!({"pks": [ids[0]]})),
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({"code": 400, "msg": "请求错误", "data": null}))
    );
    for (bad, loc) in [
        (json!({"pks": ["x"]}), json!(["body", "pks", 0])),
        (
            json!({"pks": [9_223_372_036_854_775_808u64]}),
            json!(["body", "pks", 0]),
        ),
        (json!({"pks": 1}), json!(["body", "pks"])),
        (json!({}), json!(["body", "pks"])),
    ] {
        let (_, status, body) = send(
            &app,
            reqwest::Method::DELETE,
            LOGS,
            Some(&admin),
            Some(&bad),
        )
        .await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(body["data"]["errors"][0]["loc"], loc, "{bad}");
    }
    let (_, status, _) = send(
        &app,
        reqwest::Method::DELETE,
        LOGS,
        None,
        Some(&json!({"pks": [ids[2]]})),
    )
    .await;
    assert_eq!(status, 401);
    let user = app.token_for(2).await;
    let (_, status, _) = send(
        &app,
        reqwest::Method::DELETE,
        LOGS,
        Some(&user),
        Some(&json!({"pks": [ids[2]]})),
    )
    .await;
    assert_eq!(status, 403);
    let kept = sys_opera_log::Entity::find_by_id(ids[2])
        .one(&app.app_state.db)
        .await
        .unwrap();
    assert!(kept.is_some());
    app.stop().await;
}

#[tokio::test]
async fn clear_deletes_every_row_and_needs_its_permission() {
    let app = spawn(&[]).await;
    let admin = app.token_for(1).await;
    insert(
        &app,
        &[record(Some("a"), 1, "1.1.1.1"), record(None, 0, "2.2.2.2")],
    )
    .await;
    let user = app.token_for(2).await;
    let (forbidden, status, _) = send(
        &app,
        reqwest::Method::DELETE,
        "/api/v1/logs/opera/all",
        Some(&user),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (anonymous, status, _) = send(
        &app,
        reqwest::Method::DELETE,
        "/api/v1/logs/opera/all",
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    // Both refusals are logged; wait for their rows so the clear below sees them.
    row(&app, &forbidden).await;
    row(&app, &anonymous).await;
    let (rid, status, body) = send(
        &app,
        reqwest::Method::DELETE,
        "/api/v1/logs/opera/all",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({"code": 200, "msg": "请求成功", "data": null}))
    );
    // Only the clear request's own row (written after the delete) may remain.
    let left = sys_opera_log::Entity::find()
        .filter(sys_opera_log::Column::TraceId.ne(rid.as_str()))
        .count(&app.app_state.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let r = row(&app, &rid).await;
    assert_eq!(r.title, "清空操作日志");
    app.stop().await;
}

#[tokio::test]
async fn odd_requests_still_fit_the_columns() {
    // PostgreSQL and MySQL refuse over-long texts and NUL characters: such requests must not
    // cost their row (or their batch).
    let app = spawn(&[]).await;
    let token = app.token_for(1).await;
    let long_path = format!("/api/v1/{}", "a".repeat(600));
    let rid = request_id();
    let resp = app
        .client
        .get(app.url(&format!("{long_path}?x=a%00b")))
        .header("X-Request-ID", &rid)
        .header("X-Forwarded-For", "9".repeat(100))
        .header("User-Agent", "u".repeat(600))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let r = row(&app, &rid).await;
    assert_eq!(r.path, long_path[..512]);
    // Not an address, and not from a trusted proxy: the peer is recorded, not the header.
    assert_eq!(r.ip, "127.0.0.1");
    assert_eq!(r.user_agent.map(|u| u.len()), Some(512));
    assert_eq!(r.args, Some(json!({"query_params": {"x": "ab"}})));
    assert_eq!(r.username.as_deref(), Some("admin"));
    app.stop().await;
}

#[tokio::test]
async fn a_dashed_request_id_fits_the_column_and_snowflake_ids_are_used() {
    let app = spawn(&[("DATABASE_PK_MODE", "snowflake")]).await;
    let token = app.token_for(1).await;
    let dashed = uuid::Uuid::new_v4();
    let resp = app
        .client
        .get(app.url(LOGS))
        .bearer_auth(&token)
        .header("X-Request-ID", dashed.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let r = row(&app, &dashed.simple().to_string()).await;
    assert!(r.id > 1 << 40, "a snowflake id, not a sequence: {}", r.id);
    app.stop().await;
}

#[tokio::test]
async fn rows_wait_for_a_batch_or_the_timeout() {
    // Batches of 100 or 1 s: three requests are written by the timeout.
    let app = TestApp::spawn_with(&[
        ("OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE", "100"),
        ("OPERA_LOG_QUEUE_TIMEOUT", "1"),
    ])
    .await;
    let token = app.token_for(1).await;
    let mut rids = Vec::new();
    for _ in 0..3 {
        let (rid, status, _) = send(&app, reqwest::Method::GET, LOGS, Some(&token), None).await;
        assert_eq!(status, 200);
        rids.push(rid);
    }
    for rid in &rids {
        row(&app, rid).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn stopping_the_server_writes_every_queued_row() {
    // A batch needs 100 rows or 500 ms (OPERA_LOG_QUEUE_TIMEOUT=60 is capped so a lone row is
    // visible within a second): the stop comes right after the replies, rows still queued.
    let db = TestDatabase::create_from_env().await.unwrap();
    let mut pairs = base_pairs(&db);
    pairs.push(("OPERA_LOG_QUEUE_TIMEOUT".to_owned(), "60".to_owned()));
    pairs.push((
        "OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE".to_owned(),
        "100".to_owned(),
    ));
    let settings = Settings::from_source(&Source::from_pairs(pairs)).unwrap();
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let handle = app.handle();
    let state = app.state().clone();
    let token = fba_admin::service::token::create_session(
        &state,
        &app.security(),
        1,
        true,
        &json!({"username": "admin", "nickname": "admin", "ip": "127.0.0.1", "os": "Linux", "browser": "test", "device": "PC", "last_login_time": "2026-01-01 00:00:00"}),
        false,
    )
    .await
    .unwrap()
    .access
    .token;
    let server = tokio::spawn(app.run_until_stopped());

    const N: usize = 40;
    let client = fba_testing::http_client_builder().build().unwrap();
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..N {
        let (client, token, url) = (
            client.clone(),
            token.clone(),
            format!("{base}{LOGS}?page={}", i + 1),
        );
        requests.spawn(async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    while let Some(status) = requests.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    handle.stop(true).await;
    server.await.unwrap().unwrap();
    let conn = db.connect().await.unwrap();
    let after = sys_opera_log::Entity::find().count(&conn).await.unwrap();
    assert_eq!(after, N as u64, "every acknowledged request has its row");
    let _ = conn.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn args_that_jsonb_would_print_unreadably_are_stored_as_text_and_listed() {
    // PostgreSQL's JSONB prints 1.7976931348623157e308 as 309 digits that serde_json refuses:
    // the row is stored with the number as text so the list can still be read.
    let app = spawn(&[]).await;
    let rid = request_id();
    let resp = app
        .client
        .post(app.url("/api/v1/sys/roles"))
        .header("X-Request-ID", &rid)
        .header("Content-Type", "application/json")
        .body(r#"{"name":"p","status":1,"z":1.7976931348623157e308}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    row(&app, &rid).await;
    let token = app.token_for(1).await;
    let (status, body) = app.get_json(&format!("{LOGS}?size=100"), &token).await;
    assert_eq!(status, 200, "{body}");
    let items = body["data"]["items"].as_array().unwrap();
    let logged = items
        .iter()
        .find(|item| item["trace_id"] == rid.as_str())
        .unwrap_or_else(|| panic!("{rid} is listed: {body}"));
    let z = logged["args"]["json"]["z"].as_str().unwrap_or_default();
    assert_eq!(
        z.parse::<f64>().ok(),
        Some(f64::MAX),
        "stored as its JSON text"
    );
    assert_eq!(
        (
            &logged["args"]["json"]["name"],
            &logged["args"]["json"]["status"]
        ),
        (&json!("p"), &json!(1))
    );
    assert_eq!(logged["code"], "401");
    app.stop().await;
}

#[tokio::test]
async fn already_written_finds_stored_rows_by_their_stored_forms() {
    // The rows the spool's replay asks about are compared as they were stored: a dashed UUID
    // request id in its 32-hex form, the path cut to 512 characters, the time to the µs.
    let app = spawn(&[]).await;
    let mut stored = record(None, 1, "127.0.0.1");
    stored.trace_id = uuid::Uuid::new_v4().to_string();
    stored.path = format!("/api/v1/{}", "p".repeat(600));
    stored.opera_time =
        sea_orm::prelude::ChronoDateTimeUtc::from_timestamp(1_760_000_000, 123_456_789).unwrap();
    let plain = record(Some("admin"), 1, "127.0.0.1");
    insert(&app, std::slice::from_ref(&plain)).await;
    fba_admin::service::opera_log::bulk_create(
        &app.app_state,
        &app.app_state.db,
        std::slice::from_ref(&stored),
    )
    .await
    .unwrap();
    let mut later = stored.clone();
    later.opera_time += Duration::from_micros(1);
    let mut elsewhere = stored.clone();
    elsewhere.path = "/api/v1/other".to_owned();
    // Differs only past the 512 characters the column keeps: the same stored row.
    let mut longer = stored.clone();
    longer.path.push('x');
    let unknown = record(None, 1, "127.0.0.1");
    let rows = [stored, plain, later, elsewhere, longer, unknown];
    let found = fba_admin::service::opera_log::already_written(&app.app_state.db, &rows)
        .await
        .unwrap();
    assert_eq!(found, [true, true, false, false, true, false]);
    assert!(
        fba_admin::service::opera_log::already_written(&app.app_state.db, &[])
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}

#[tokio::test]
async fn health_reports_the_operation_log_counts() {
    let app = spawn(&[]).await;
    let token = app.token_for(1).await;
    let (rid, status, _) = send(&app, reqwest::Method::GET, LOGS, Some(&token), None).await;
    assert_eq!(status, 200);
    row(&app, &rid).await;
    let (status, body) = json(app.get("/health").await).await;
    assert_eq!(status, 200, "{body}");
    let stats = &body["data"]["opera_log"];
    assert!(stats["accepted"].as_u64() >= Some(1), "{body}");
    assert!(stats["written"].as_u64() >= Some(1), "{body}");
    for key in ["spooled", "replayed", "dropped", "pending"] {
        assert_eq!(stats[key], 0, "{key}: {body}");
    }
    // Documented: the Health schema has the object, its schema every count.
    let (_, doc) = json(app.get("/openapi").await).await;
    let schemas = &doc["components"]["schemas"];
    assert!(
        schemas["Health"]["properties"]["opera_log"].is_object(),
        "{doc}"
    );
    for key in [
        "accepted", "written", "spooled", "replayed", "dropped", "pending",
    ] {
        assert!(
            schemas["OperaLogStats"]["properties"][key].is_object(),
            "{key}: {}",
            schemas["OperaLogStats"]
        );
    }
    app.stop().await;
}
