//! What an attacker tries first: forged client addresses, racing the account lockout, input
//! a backend cannot store, oversized batches, bodies that never finish. Every backend.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::auth::{LOGIN, spawn_no_captcha};
use crate::helpers::json;

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    // Default: no proxy is trusted, so 30 forged addresses from one socket are one client.
    let app = spawn_no_captcha(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "5")]).await;
    let mut limited = 0;
    for i in 0..30 {
        let resp = app
            .client
            .post(app.url(LOGIN))
            .header("X-Real-IP", format!("203.0.113.{i}"))
            .header("X-Forwarded-For", format!("198.51.100.{i}"))
            .json(&json!({"username": "ghost", "password": "x"}))
            .send()
            .await
            .unwrap();
        if resp.status() == 429 {
            limited += 1;
        }
    }
    assert_eq!(limited, 25, "only the first 5 attempts get through");
    // The audit trail names the socket's address, not the forged ones.
    let token = app.token_for(1).await;
    let (status, body) = app
        .get_json("/api/v1/logs/login?username=ghost", &token)
        .await;
    assert_eq!(status, 200, "{body}");
    let items = body["data"]["items"].as_array().unwrap();
    assert_eq!(items.len(), 5, "{body}");
    assert!(items.iter().all(|r| r["ip"] == "127.0.0.1"), "{body}");
    app.stop().await;

    // Behind a trusted proxy the header names the client, so each address has its own limit.
    let app = spawn_no_captcha(&[
        ("LOGIN_RATE_LIMIT_PER_MINUTE", "1"),
        ("SERVER_TRUSTED_PROXIES", "127.0.0.0/8, ::1"),
    ])
    .await;
    for i in 0..5 {
        let resp = app
            .client
            .post(app.url(LOGIN))
            .header("X-Real-IP", format!("203.0.113.{i}"))
            .json(&json!({"username": "ghost", "password": "x"}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404);
    }
    app.stop().await;
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_never_lets_the_right_one_in() {
    let app = spawn_no_captcha(&[("USER_LOCK_THRESHOLD", "5"), ("USER_LOCK_SECONDS", "300")]).await;
    let attempt = |password: &'static str| {
        let req = app
            .client
            .post(app.url(LOGIN))
            .json(&json!({"username": "admin", "password": password}));
        async move { json(req.send().await.unwrap()).await }
    };
    let guesses: Vec<_> = (0..100).map(|_| attempt("wrong-guess")).collect();
    let burst = futures_util::future::join_all(guesses);
    let right = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        attempt("123456").await
    };
    let (replies, (status, body)) = tokio::join!(burst, right);
    assert_eq!(status, 403, "the right password must not get in: {body}");
    assert_eq!(body["code"], 403, "{body}");
    // At most USER_LOCK_THRESHOLD passwords were checked: only those can say "wrong password".
    let checked = replies
        .iter()
        .filter(|(_, b)| b["msg"] == "用户名或密码有误")
        .count();
    assert!(checked <= 4, "{checked} passwords checked");
    assert!(replies.iter().all(|(s, _)| *s == 403));
    // Still locked afterwards.
    let (status, body) = attempt("123456").await;
    assert_eq!(status, 403, "{body}");
    app.stop().await;
}

#[tokio::test]
async fn concurrent_logins_with_the_right_password_all_succeed() {
    // More at once than the lock threshold: they take turns for a check slot, none is refused.
    let app = spawn_no_captcha(&[("USER_LOCK_THRESHOLD", "3")]).await;
    let logins: Vec<_> = (0..12)
        .map(|_| {
            let req = app
                .client
                .post(app.url(LOGIN))
                .json(&json!({"username": "admin", "password": "123456"}));
            async move { json(req.send().await.unwrap()).await }
        })
        .collect();
    for (status, body) in futures_util::future::join_all(logins).await {
        assert_eq!(status, 200, "{body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_nul_character_in_any_filter_or_body_is_422() {
    let app = spawn_no_captcha(&[]).await;
    let token = app.token_for(1).await;
    for (path, field) in [
        ("/api/v1/sys/roles?name=%00", "name"),
        ("/api/v1/sys/menus?title=a%00", "title"),
        ("/api/v1/logs/login?username=%00", "username"),
        ("/api/v1/logs/login?ip=%00", "ip"),
        ("/api/v1/logs/opera?username=%00", "username"),
        ("/api/v1/sys/users?username=%00", "username"),
        ("/api/v1/sys/depts?name=%00", "name"),
    ] {
        let (status, body) = app.get_json(path, &token).await;
        crate::helpers::assert_422(status, &body, json!(["query", field]));
    }
    let (status, body) = app
        .post_json(
            "/api/v1/sys/roles",
            &token,
            &json!({"name": "a\u{0}b", "status": 1}),
        )
        .await;
    crate::helpers::assert_422(status, &body, json!(["body", "name"]));
    // A field no schema checks (the login name is looked up as sent): never a 500.
    let (status, body) = app
        .call(
            Method::POST,
            LOGIN,
            None,
            Some(&json!({"username": "a\u{0}b", "password": "x"})),
        )
        .await;
    assert!(matches!(status, 404 | 422), "{status}: {body}");
    app.stop().await;
}

#[tokio::test]
async fn batch_deletes_beyond_ten_thousand_ids_are_422() {
    let app = spawn_no_captcha(&[]).await;
    let token = app.token_for(1).await;
    let too_many: Vec<i64> = (1..=70_000).collect();
    let most: Vec<i64> = (1_000_000..1_010_000).collect();
    for path in [
        "/api/v1/logs/opera",
        "/api/v1/logs/login",
        "/api/v1/sys/roles",
        "/api/v1/sys/data-rules",
        "/api/v1/sys/data-scopes",
    ] {
        let (status, body) = app
            .delete_json(path, &token, Some(&json!({ "pks": too_many })))
            .await;
        crate::helpers::assert_422(status, &body, json!(["body", "pks"]));
        assert_eq!(body["data"]["errors"][0]["type"], "too_long", "{body}");
        // The maximum itself is served (nothing matches these ids).
        let (status, body) = app
            .delete_json(path, &token, Some(&json!({ "pks": most })))
            .await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_body_that_never_finishes_is_cut_off_with_408() {
    let app = spawn_no_captcha(&[("SERVER_BODY_TIMEOUT", "1")]).await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user",
    )
    .await
    .unwrap();
    let mut reply = Vec::new();
    // The server answers and closes: read to the end (bounded, so a regression fails, not hangs).
    let read = tokio::time::timeout(Duration::from_secs(20), slow.read_to_end(&mut reply)).await;
    assert!(read.is_ok(), "the connection was not closed");
    let text = String::from_utf8_lossy(&reply);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains(r#""code":408"#), "{text}");
    // A body that arrives in time is served as usual.
    let (status, _) = app
        .call(
            Method::POST,
            LOGIN,
            None,
            Some(&json!({"username": "ghost", "password": "x"})),
        )
        .await;
    assert_eq!(status, 404);
    app.stop().await;
}
