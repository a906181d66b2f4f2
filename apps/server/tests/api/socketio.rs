//! The Socket.IO server at `/ws/socket.io`, driven by the real npm `socket.io-client` v4 (the
//! client FBA's web UI uses) through `tests/support/socketio-client/client.js`.

use std::time::Duration;

use fba_testing::socketio::{
    SocketClient as Client, socket_auth as auth, socket_session as session,
};
use serde_json::{Value, json};

use crate::helpers::{TestApp, json};

const SESSIONS: &str = "/api/v1/monitors/sessions";

/// The online status of `session` in `GET /monitors/sessions`.
async fn status(app: &TestApp, admin: &str, session: &str) -> Option<i64> {
    let (code, body) = json(app.get_auth(SESSIONS, admin).await).await;
    assert_eq!(code, 200, "{body}");
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["session_uuid"] == session)
        .and_then(|r| r["status"].as_i64())
}

/// Waits until `session`'s status is `expected` (disconnects are applied in the background).
async fn wait_status(app: &TestApp, admin: &str, session: &str, expected: i64) {
    for _ in 0..100 {
        if status(app, admin, session).await == Some(expected) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "session {session} status stayed {:?}, expected {expected}",
        status(app, admin, session).await
    );
}

#[tokio::test]
async fn a_socket_with_a_valid_token_connects_and_its_session_is_online_until_it_disconnects() {
    let app = TestApp::spawn().await;
    let (admin, admin_session) = session(&app, 1).await;
    assert_eq!(status(&app, &admin, &admin_session).await, Some(0));

    let (client, outcome) = Client::connect(&app, auth(&admin, &admin_session)).await;
    assert_eq!(outcome["type"], "connect", "{outcome}");
    assert!(outcome["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(status(&app, &admin, &admin_session).await, Some(1));
    assert_eq!(app.app_state.socket.local_sockets(), 1);

    client.disconnect().await;
    wait_status(&app, &admin, &admin_session, 0).await;
    assert_eq!(app.app_state.socket.local_sockets(), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_session_stays_online_until_its_last_socket_closes() {
    let app = TestApp::spawn().await;
    let (admin, own) = session(&app, 1).await;
    let (first, a) = Client::connect(&app, auth(&admin, &own)).await;
    let (second, b) = Client::connect(&app, auth(&admin, &own)).await;
    assert_eq!(
        (a["type"].as_str(), b["type"].as_str()),
        (Some("connect"), Some("connect"))
    );
    // Another session's socket closing leaves this one alone (FBA pops a random member).
    let (other_token, other) = session(&app, 1).await;
    let (third, c) = Client::connect(&app, auth(&other_token, &other)).await;
    assert_eq!(c["type"], "connect", "{c}");
    third.disconnect().await;
    wait_status(&app, &admin, &other, 0).await;
    assert_eq!(status(&app, &admin, &own).await, Some(1));

    first.disconnect().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(status(&app, &admin, &own).await, Some(1));
    second.disconnect().await;
    wait_status(&app, &admin, &own, 0).await;
    app.stop().await;
}

#[tokio::test]
async fn connect_is_refused_without_auth_with_a_bad_token_or_fbas_internal_marker() {
    let app = TestApp::spawn().await;
    let (admin, own) = session(&app, 1).await;
    let (other_token, other) = session(&app, 1).await;
    let cases = [
        (Value::Null, "WebSocket 连接失败：无授权"),
        (json!({}), "WebSocket 连接失败：授权失败，请检查"),
        (
            json!({"token": admin}),
            "WebSocket 连接失败：授权失败，请检查",
        ),
        (auth("not-a-jwt", &own), "Token 无效"),
        // FBA's WS_NO_AUTH_MARKER: a public string, so no bypass here.
        (auth("internal", &own), "Token 无效"),
        (
            auth(&admin, &other),
            "WebSocket 连接失败：session_uuid 与 Token 不符",
        ),
    ];
    for (auth, message) in cases {
        let (_client, outcome) = Client::connect(&app, auth.clone()).await;
        assert_eq!(outcome["type"], "connect_error", "{auth}: {outcome}");
        assert_eq!(outcome["message"], message, "{auth}");
    }
    // A revoked session's token is refused like an HTTP request's.
    app.app_state
        .kv
        .del(&app.app_state.keys().token(1, &other))
        .await
        .unwrap();
    let (_client, outcome) = Client::connect(&app, auth(&other_token, &other)).await;
    assert_eq!(outcome["type"], "connect_error", "{outcome}");
    assert_eq!(outcome["message"], "Token 已过期");
    let online = app.app_state.keys().token_online().to_owned();
    assert!(app.app_state.kv.smembers(&online).await.unwrap().is_empty());
    assert_eq!(app.app_state.socket.local_sockets(), 0);
    app.stop().await;
}

#[tokio::test]
async fn a_namespace_other_than_the_root_is_refused() {
    let app = TestApp::spawn().await;
    let (admin, own) = session(&app, 1).await;
    let (_client, outcome) = Client::connect_to(&app, auth(&admin, &own), "/ws").await;
    assert_eq!(outcome["type"], "connect_error", "{outcome}");
    assert_eq!(outcome["message"], "Invalid namespace");
    app.stop().await;
}

#[tokio::test]
async fn an_emit_through_the_hub_reaches_every_connected_client() {
    let app = TestApp::spawn().await;
    let (admin, own) = session(&app, 1).await;
    let (mut first, _) = Client::connect(&app, auth(&admin, &own)).await;
    let (mut second, _) = Client::connect(&app, auth(&admin, &own)).await;
    // A socket that never authenticated gets nothing.
    let (mut refused, outcome) = Client::connect(&app, auth("bad", &own)).await;
    assert_eq!(outcome["type"], "connect_error");

    let data = json!({"msg": "任务 42 开始执行"});
    app.app_state
        .socket
        .emit("task_notification", &data)
        .await
        .unwrap();
    for client in [&mut first, &mut second] {
        let event = client.expect("event").await;
        assert_eq!(event["name"], "task_notification");
        assert_eq!(event["args"], json!([data]));
    }
    assert!(
        refused
            .drain(Duration::from_millis(300))
            .await
            .iter()
            .all(|o| o["type"] != "event")
    );
    assert!(
        app.app_state
            .socket
            .emit("disconnect", &json!({}))
            .await
            .is_err()
    );
    app.stop().await;
}

#[tokio::test]
async fn events_with_an_ack_get_their_ack_and_handlers_answer_the_calling_socket() {
    let app = TestApp::spawn().await;
    let (admin, own) = session(&app, 1).await;
    let (mut client, _) = Client::connect(&app, auth(&admin, &own)).await;

    client.send(json!({"op": "emit", "event": "echo", "args": [{"a": 1}, "b"], "ack": true}));
    let ack = client.expect("ack").await;
    assert_eq!(ack["args"], json!([{"a": 1}, "b"]));

    // The task module answers task_worker_status with Celery's ping of the live workers
    // (the in-process one on the embedded defaults, none when workers run elsewhere).
    client.send(json!({"op": "emit", "event": "task_worker_status", "ack": true}));
    let status = client.expect("event").await;
    assert_eq!(status["name"], "task_worker_status");
    let ack = client.expect("ack").await;
    assert_eq!(ack["args"], json!([status["args"][0]]));
    for ping in status["args"][0].as_array().unwrap() {
        let (name, reply) = ping.as_object().unwrap().iter().next().unwrap();
        assert!(name.starts_with("fba@"), "{name}");
        assert_eq!(reply, &json!({"ok": "pong"}));
    }
    // An event nobody handles is acked with nothing.
    client.send(json!({"op": "emit", "event": "no_handler", "ack": true}));
    let ack = client.expect("ack").await;
    assert_eq!(ack["args"], json!([]));

    client.send(json!({"op": "emit", "event": "whoami"}));
    let event = client.expect("event").await;
    assert_eq!(event["name"], "whoami");
    assert_eq!(event["args"], json!([{"username": "admin"}]));
    app.stop().await;
}

#[tokio::test]
async fn binary_packets_close_the_socket() {
    let app = TestApp::spawn().await;
    let (admin, own) = session(&app, 1).await;
    let (mut client, _) = Client::connect(&app, auth(&admin, &own)).await;
    client.send(json!({"op": "emit", "event": "echo", "args": [], "binary": true}));
    let closed = client.expect("disconnect").await;
    assert_eq!(closed["reason"], "transport close", "{closed}");
    wait_status(&app, &admin, &own, 0).await;
    app.stop().await;
}

#[tokio::test]
async fn polling_and_other_engine_io_versions_get_engine_ios_400_json() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            "/ws/socket.io/?EIO=4&transport=polling&t=abc",
            0,
            "Transport unknown",
        ),
        (
            "/ws/socket.io?EIO=4&transport=polling",
            0,
            "Transport unknown",
        ),
        (
            "/ws/socket.io/?EIO=3&transport=websocket",
            5,
            "Unsupported protocol version",
        ),
        (
            "/ws/socket.io/?EIO=4&transport=websocket&sid=abc",
            1,
            "Session ID unknown",
        ),
        // A websocket handshake without the upgrade headers.
        ("/ws/socket.io/?EIO=4&transport=websocket", 3, "Bad request"),
    ];
    for (path, code, message) in cases {
        let resp = app.get(path).await;
        assert_eq!(resp.status(), 400, "{path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body, json!({"code": code, "message": message}), "{path}");
    }
    let resp = app
        .client
        .post(app.url("/ws/socket.io/?EIO=4&transport=polling"))
        .body("1:6")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    app.stop().await;
}

#[tokio::test]
async fn ping_pong_keeps_an_idle_socket_alive_and_a_silent_one_is_closed() {
    let app = TestApp::spawn_with(&[
        ("WS_PING_INTERVAL", "1"),
        ("WS_PING_TIMEOUT", "1"),
        ("WS_CONNECT_TIMEOUT", "1"),
    ])
    .await;
    let (admin, own) = session(&app, 1).await;
    let (mut client, outcome) = Client::connect(&app, auth(&admin, &own)).await;
    assert_eq!(outcome["type"], "connect");
    let seen = client.drain(Duration::from_millis(3500)).await;
    assert!(seen.iter().all(|o| o["type"] != "disconnect"), "{seen:?}");
    client.send(json!({"op": "emit", "event": "echo", "args": [1], "ack": true}));
    assert_eq!(client.expect("ack").await["args"], json!([1]));

    // A raw websocket that answers no ping and sends no CONNECT is closed.
    let ws = app.address.replacen("http", "ws", 1);
    let mut raw = Client::start().await;
    raw.send(
        json!({"op": "raw_open", "url": format!("{ws}/ws/socket.io/?EIO=4&transport=websocket")}),
    );
    let open = raw.expect("raw_message").await;
    let data = open["data"].as_str().unwrap();
    assert!(data.starts_with('0'), "{data}");
    let handshake: Value = serde_json::from_str(&data[1..]).unwrap();
    assert_eq!(handshake["upgrades"], json!([]));
    assert_eq!(handshake["pingInterval"], 1000);
    assert_eq!(handshake["pingTimeout"], 1000);
    assert_eq!(handshake["maxPayload"], 100_000);
    raw.expect("raw_close").await;
    app.stop().await;
}

#[tokio::test]
async fn a_raw_socket_that_ignores_pings_is_closed_after_the_ping_timeout() {
    let app = TestApp::spawn_with(&[("WS_PING_INTERVAL", "1"), ("WS_PING_TIMEOUT", "1")]).await;
    let (admin, own) = session(&app, 1).await;
    let ws = app.address.replacen("http", "ws", 1);
    let mut raw = Client::start().await;
    raw.send(
        json!({"op": "raw_open", "url": format!("{ws}/ws/socket.io/?EIO=4&transport=websocket")}),
    );
    raw.expect("raw_message").await;
    raw.send(json!({"op": "raw_send", "data": format!("40{}", auth(&admin, &own))}));
    let connected = raw.expect("raw_message").await;
    assert!(
        connected["data"]
            .as_str()
            .unwrap()
            .starts_with("40{\"sid\":"),
        "{connected}"
    );
    assert_eq!(raw.expect("raw_message").await["data"], "2");
    let started = std::time::Instant::now();
    raw.expect("raw_close").await;
    assert!(started.elapsed() >= Duration::from_millis(800));
    wait_status(&app, &admin, &own, 0).await;
    app.stop().await;
}

#[tokio::test]
async fn a_replica_at_ws_max_sockets_answers_503_in_fbas_envelope() {
    let app = TestApp::spawn_with(&[("WS_MAX_SOCKETS", "1")]).await;
    let (admin, own) = session(&app, 1).await;
    let (_client, outcome) = Client::connect(&app, auth(&admin, &own)).await;
    assert_eq!(outcome["type"], "connect");
    let (code, body) = json(app.get("/ws/socket.io/?EIO=4&transport=websocket").await).await;
    assert_eq!(code, 503, "{body}");
    assert_eq!(body["code"], 503);
    assert_eq!(body["msg"], "WebSocket 连接数已达上限，请稍后重试");
    assert!(body["trace_id"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn an_emit_on_one_replica_reaches_a_client_of_another_and_the_online_set_is_shared() {
    let Some(redis) = crate::helpers::replica_redis() else {
        return;
    };
    let a = TestApp::spawn().await;
    let b = TestApp::spawn_sharing(&a, &redis).await;
    let (admin, own) = session(&a, 1).await;
    let (mut on_b, outcome) = Client::connect(&b, auth(&admin, &own)).await;
    assert_eq!(outcome["type"], "connect", "{outcome}");
    let (on_a, outcome) = Client::connect(&a, auth(&admin, &own)).await;
    assert_eq!(outcome["type"], "connect", "{outcome}");
    assert_eq!(status(&a, &admin, &own).await, Some(1));

    a.app_state
        .socket
        .emit("task_notification", &json!({"msg": "from a"}))
        .await
        .unwrap();
    let event = on_b.expect("event").await;
    assert_eq!(event["args"], json!([{"msg": "from a"}]));

    // The session's socket on a closes; its socket on b keeps it online.
    on_a.disconnect().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(status(&a, &admin, &own).await, Some(1));
    on_b.disconnect().await;
    wait_status(&a, &admin, &own, 0).await;
    b.stop_shared().await;
    a.stop().await;
}

#[tokio::test]
async fn shutdown_closes_every_socket_and_takes_the_sessions_offline() {
    let app = TestApp::spawn().await;
    let (admin, own) = session(&app, 1).await;
    let (mut client, outcome) = Client::connect(&app, auth(&admin, &own)).await;
    assert_eq!(outcome["type"], "connect");
    // An open socket that has not connected yet is closed too.
    let ws = app.address.replacen("http", "ws", 1);
    let mut raw = Client::start().await;
    raw.send(
        json!({"op": "raw_open", "url": format!("{ws}/ws/socket.io/?EIO=4&transport=websocket")}),
    );
    raw.expect("raw_message").await;
    assert_eq!(app.app_state.socket.open_sockets(), 2);

    let started = std::time::Instant::now();
    app.app_state.socket.shutdown(Duration::from_secs(5)).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(app.app_state.socket.open_sockets(), 0);
    client.expect("disconnect").await;
    raw.expect("raw_close").await;
    assert_eq!(status(&app, &admin, &own).await, Some(0));
    // New sockets are refused while the server stops.
    let resp = app.get("/ws/socket.io/?EIO=4&transport=websocket").await;
    assert_eq!(resp.status(), 503);
    app.stop().await;
}

#[tokio::test]
async fn a_browser_page_from_an_origin_outside_cors_allowed_origins_is_refused() {
    let app = TestApp::spawn_with(&[("CORS_ALLOWED_ORIGINS", "http://localhost:5173")]).await;
    let url = format!(
        "{}/ws/socket.io/?EIO=4&transport=websocket",
        app.address.replacen("http", "ws", 1)
    );
    let mut evil = Client::start().await;
    evil.send(json!({"op": "raw_open", "url": url, "origin": "http://evil.example"}));
    assert_eq!(evil.expect("raw_refused").await["status"], 403);
    let mut ui = Client::start().await;
    ui.send(json!({"op": "raw_open", "url": url, "origin": "http://localhost:5173"}));
    let open = ui.expect("raw_message").await;
    assert!(open["data"].as_str().unwrap().starts_with("0{"), "{open}");
    drop(ui);
    app.stop().await;
}
