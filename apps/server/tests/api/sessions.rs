//! Online sessions: `GET /monitors/sessions` and the kick-out `DELETE /monitors/sessions/{pk}`.

use serde_json::{Value, json};

use crate::helpers::{TestApp, json};

const SESSIONS: &str = "/api/v1/monitors/sessions";

/// A session of `user_id` with `extra` as its extra info: (access token, session uuid).
async fn session(app: &TestApp, user_id: i64, extra: &Value) -> (String, String) {
    let s = fba_admin::service::token::create_session(
        &app.app_state,
        &app.security,
        user_id,
        true,
        extra,
        true,
    )
    .await
    .unwrap();
    (s.access.token, s.session_uuid)
}

fn login_info(username: &str) -> Value {
    json!({
        "username": username,
        "nickname": format!("{username} nick"),
        "ip": "10.0.0.7",
        "os": "Windows 10",
        "browser": "Chrome 120.0.0",
        "device": "PC",
        "last_login_time": "2026-01-02 03:04:05",
    })
}

async fn list(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (status, body) = json(app.get_auth(&format!("{SESSIONS}{query}"), token).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["code"], 200);
    body["data"].as_array().unwrap().clone()
}

fn find<'a>(rows: &'a [Value], session_uuid: &str) -> Option<&'a Value> {
    rows.iter().find(|r| r["session_uuid"] == session_uuid)
}

#[tokio::test]
async fn superuser_sees_every_live_session_with_its_extra_info() {
    let app = TestApp::spawn().await;
    let kv = &app.app_state.kv;
    let t = &app.app_state.settings.token;
    let admin = app.token_for(1).await;
    let (_, alice) = session(&app, 2, &login_info("alice")).await;
    let (_, bare) = session(&app, 2, &json!({})).await;
    let (_, no_info) = session(&app, 2, &login_info("gone")).await;
    kv.del(&format!("{}:2:{no_info}", t.extra_info_redis_prefix))
        .await
        .unwrap();
    let (_, swagger) = session(&app, 1, &json!({"swagger": true})).await;
    kv.sadd(&t.online_redis_prefix, &alice).await.unwrap();
    // Values that are not live tokens are skipped, not a 500.
    kv.set(&format!("{}:9:garbage", t.redis_prefix), "not-a-jwt", None)
        .await
        .unwrap();
    let expired = app.security.jwt.issue(9, "expired", 0).unwrap().token;
    kv.set(&format!("{}:9:expired", t.redis_prefix), &expired, None)
        .await
        .unwrap();

    let rows = list(&app, &admin, "").await;
    assert_eq!(rows.len(), 4, "{rows:#?}");
    assert!(find(&rows, &swagger).is_none());
    assert!(rows.iter().all(|r| r["id"] != 9));

    let row = find(&rows, &alice).unwrap();
    let mut keys: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "browser",
            "device",
            "expire_time",
            "id",
            "ip",
            "last_login_time",
            "nickname",
            "os",
            "session_uuid",
            "status",
            "username",
        ]
    );
    assert_eq!(row["id"], 2);
    assert_eq!(row["status"], 1);
    assert_eq!(row["username"], "alice");
    assert_eq!(row["nickname"], "alice nick");
    assert_eq!(row["ip"], "10.0.0.7");
    assert_eq!(row["os"], "Windows 10");
    assert_eq!(row["browser"], "Chrome 120.0.0");
    assert_eq!(row["device"], "PC");
    assert_eq!(row["last_login_time"], "2026-01-02 03:04:05");
    let expire = row["expire_time"].as_str().unwrap();
    assert_eq!(expire.len(), 19, "{expire}");
    assert_eq!(&expire[10..11], " ");

    for session_uuid in [&bare, &no_info] {
        let row = find(&rows, session_uuid).unwrap();
        assert_eq!(row["status"], 0);
        for field in [
            "username",
            "nickname",
            "ip",
            "os",
            "browser",
            "device",
            "last_login_time",
        ] {
            assert_eq!(row[field], "未知", "{field}");
        }
    }
    // The caller's own session (made by token_for) is listed too.
    let own = app.security.jwt.decode(&admin).unwrap().session_uuid;
    assert_eq!(find(&rows, &own).unwrap()["id"], 1);
    app.stop().await;
}

#[tokio::test]
async fn username_filter_is_an_exact_match_and_empty_means_none() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let (_, alice) = session(&app, 1, &login_info("alice")).await;
    let (_, alice2) = session(&app, 2, &login_info("alice")).await;
    let (_, bob) = session(&app, 2, &login_info("bob")).await;
    let (_, no_info) = session(&app, 2, &json!({})).await;

    let rows = list(&app, &admin, "?username=alice").await;
    let mut found: Vec<&str> = rows
        .iter()
        .map(|r| r["session_uuid"].as_str().unwrap())
        .collect();
    found.sort_unstable();
    let mut expected = vec![alice.as_str(), alice2.as_str()];
    expected.sort_unstable();
    assert_eq!(found, expected);

    assert!(list(&app, &admin, "?username=ali").await.is_empty());
    assert!(list(&app, &admin, "?username=nobody").await.is_empty());
    let all = list(&app, &admin, "?username=").await;
    for s in [&alice, &alice2, &bob, &no_info] {
        assert!(find(&all, s).is_some());
    }
    app.stop().await;
}

#[tokio::test]
async fn sessions_need_a_superuser() {
    let app = TestApp::spawn().await;
    let user = app.token_for(2).await;
    let (status, body) = json(app.get_auth(SESSIONS, &user).await).await;
    assert_eq!(status, 403);
    assert_eq!(body["code"], 403);
    assert_eq!(body["msg"], "Permission Denied");
    let resp = app
        .client
        .delete(app.url(&format!("{SESSIONS}/1?session_uuid=x")))
        .bearer_auth(&user)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);

    let resp = app.get(SESSIONS).await;
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let (status, body) = json(resp).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (401, Some("Not authenticated"))
    );
    app.stop().await;
}

#[tokio::test]
async fn kick_out_ends_that_session_only() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let (victim, victim_session) = session(&app, 2, &login_info("test")).await;
    let (other, _) = session(&app, 2, &login_info("test")).await;
    assert_eq!(
        json(app.get_auth("/api/v1/sys/users/me", &victim).await)
            .await
            .0,
        200
    );

    let resp = app
        .client
        .delete(app.url(&format!("{SESSIONS}/2?session_uuid={victim_session}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(
        (status, body),
        (200, json!({"code": 200, "msg": "请求成功", "data": null}))
    );

    let (status, body) = json(app.get_auth("/api/v1/sys/users/me", &victim).await).await;
    assert_eq!(
        (status, body),
        (
            401,
            json!({"code": 401, "msg": "Token 已过期", "data": null})
        )
    );
    assert_eq!(
        json(app.get_auth("/api/v1/sys/users/me", &other).await)
            .await
            .0,
        200
    );
    let t = &app.app_state.settings.token;
    let kv = &app.app_state.kv;
    assert!(
        !kv.exists(&format!("{}:2:{victim_session}", t.extra_info_redis_prefix))
            .await
            .unwrap()
    );
    // As FBA, the refresh token is left.
    assert!(
        kv.exists(&format!("{}:2:{victim_session}", t.refresh_redis_prefix))
            .await
            .unwrap()
    );
    let rows = list(&app, &admin, "").await;
    assert!(find(&rows, &victim_session).is_none());
    app.stop().await;
}

#[tokio::test]
async fn kick_out_without_session_uuid_is_422() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let resp = app
        .client
        .delete(app.url(&format!("{SESSIONS}/2")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["data"]["errors"][0]["loc"],
        json!(["query", "session_uuid"])
    );
    assert_eq!(body["data"]["errors"][0]["type"], "missing");
    let resp = app
        .client
        .delete(app.url(&format!("{SESSIONS}/abc?session_uuid=x")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 422);
    app.stop().await;
}
