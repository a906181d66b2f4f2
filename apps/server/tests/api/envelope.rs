//! FBA's envelope and error bodies through the real middleware stack.

use serde_json::json;

use crate::helpers::{TestApp, json};

#[tokio::test]
async fn unknown_route_is_fba_404_envelope_with_trace_id() {
    let app = TestApp::spawn().await;
    let resp = app.get("/api/v1/no/such/route").await;
    let request_id = resp
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (status, body) = json(resp).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], 404);
    assert_eq!(body["msg"], "Not Found");
    assert_eq!(body["data"], serde_json::Value::Null);
    let trace = body["trace_id"].as_str().expect("trace_id");
    assert_eq!(trace.len(), 32);
    assert_eq!(Some(trace.to_owned()), request_id);
    let (status, _) = json(app.get("/not-api-either").await).await;
    assert_eq!(status, 404);
    app.stop().await;
}

#[tokio::test]
async fn wrong_method_is_405_envelope() {
    let app = TestApp::spawn().await;
    let resp = app.client.delete(app.url("/health")).send().await.unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 405);
    assert_eq!(body["code"], 405);
    assert_eq!(body["msg"], "Method Not Allowed");
    app.stop().await;
}

#[tokio::test]
async fn malformed_json_is_422_json_invalid() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/__test/echo"))
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 422);
    assert_eq!(body["code"], 422);
    assert_eq!(body["msg"], "请求参数非法: json解析失败");
    assert_eq!(body["data"]["errors"][0]["type"], "json_invalid");
    assert!(body["trace_id"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn missing_field_is_422_naming_the_field_in_the_request_language() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/__test/echo"))
        .json(&json!({"age": 3}))
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["msg"],
        "请求参数非法: username 字段为必填项，输入：{\"age\":3}"
    );
    assert_eq!(
        body["data"]["errors"][0]["loc"],
        json!(["body", "username"])
    );
    assert_eq!(body["data"]["errors"][0]["type"], "missing");
    let resp = app
        .client
        .post(app.url("/__test/echo"))
        .header("accept-language", "en-US,en;q=0.9")
        .json(&json!({"username": "a", "age": 999}))
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 422);
    assert_eq!(body["data"]["errors"][0]["loc"], json!(["body", "age"]));
    app.stop().await;
}

#[tokio::test]
async fn wrong_content_type_is_422_and_valid_json_echoes() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .post(app.url("/__test/echo"))
        .body("username=a")
        .header("content-type", "application/x-www-form-urlencoded")
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 422);
    assert_eq!(body["data"]["errors"][0]["type"], "model_attributes_type");
    let resp = app
        .client
        .post(app.url("/__test/echo"))
        .json(&json!({"username": "用户"}))
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"code": 200, "msg": "请求成功", "data": {"username": "用户", "age": null}})
    );
    app.stop().await;
}

#[tokio::test]
async fn oversized_body_is_413_not_500() {
    let app = TestApp::spawn().await;
    let big = format!("{{\"username\":\"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let resp = app
        .client
        .post(app.url("/__test/echo"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 413);
    assert_eq!(body["code"], 413);
    app.stop().await;
}

#[tokio::test]
async fn every_error_status_has_fba_body() {
    let app = TestApp::spawn().await;
    for (code, status, msg) in [
        ("400", 400, "bad"),
        ("401", 401, "Not authenticated"),
        ("403", 403, "Permission Denied"),
        ("404", 404, "用户不存在"),
        ("409", 409, "用户名已注册"),
        ("429", 429, "请求过于频繁，请稍后重试"),
        ("40001", 400, "验证码错误"),
        ("503", 503, "服务暂不可用：database"),
        ("500", 500, "boom: secret detail"),
    ] {
        let resp = app.get(&format!("/__test/fail/{code}")).await;
        let headers = resp.headers().clone();
        let (got, body) = json(resp).await;
        assert_eq!(got, status, "{code}");
        assert_eq!(
            body["code"].as_u64(),
            Some(code.trim_end_matches('t').parse::<u64>().unwrap()),
            "{code}"
        );
        assert_eq!(body["msg"], msg, "{code}");
        assert!(body["trace_id"].is_string(), "{code}");
        match code {
            "401" => assert_eq!(headers["www-authenticate"], "Bearer"),
            "429" => assert_eq!(headers["retry-after"], "60"),
            _ => {}
        }
    }
    // Token rejections are the JWT middleware's: no trace_id.
    let (status, body) = json(app.get("/__test/fail/401t").await).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"code": 401, "msg": "Token 无效", "data": null})
    );
    app.stop().await;
}

#[tokio::test]
async fn production_masks_http_errors_and_internal_details() {
    let app = TestApp::spawn_with(&[
        ("ENVIRONMENT", "prod"),
        ("TOKEN_SECRET_KEY", "a-production-secret-of-some-length"),
    ])
    .await;
    let (status, body) = json(app.get("/api/v1/nope").await).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], 400);
    assert_eq!(body["msg"], "请求错误");
    let (status, body) = json(app.get("/__test/fail/500").await).await;
    assert_eq!(status, 500);
    assert_eq!(body["msg"], "服务器内部错误");
    let (status, body) = json(app.get("/__test/fail/404").await).await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (404, Some(404)),
        "business errors are not masked"
    );
    let (status, _) = json(app.get("/openapi").await).await;
    assert_eq!(status, 404, "docs are off in prod");
    app.stop().await;
}

#[tokio::test]
async fn request_id_is_validated_and_echoed() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .get(app.url("/health"))
        .header("x-request-id", "not-a-uuid")
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"code": 400, "msg": "BAD_REQUEST", "data": null})
    );
    let id = "0b6d8e7e-9a3c-4c59-8a8e-2f3c1e5b7a10";
    let resp = app
        .client
        .get(app.url("/api/v1/nope"))
        .header("x-request-id", id)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.headers()["x-request-id"], id);
    let (_, body) = json(resp).await;
    assert_eq!(body["trace_id"], id);
    app.stop().await;
}

#[tokio::test]
async fn accept_language_selects_messages_and_unknown_falls_back() {
    let app = TestApp::spawn().await;
    for (lang, msg) in [
        ("en-US", "Request success"),
        ("zh-CN", "请求成功"),
        ("fr-FR", "请求成功"),
        ("en", "Request success"),
    ] {
        let resp = app
            .client
            .get(app.url("/health"))
            .header("accept-language", lang)
            .send()
            .await
            .unwrap();
        let (_, body) = json(resp).await;
        assert_eq!(body["msg"], msg, "{lang}");
    }
    let app_en = TestApp::spawn_with(&[("I18N_DEFAULT_LANGUAGE", "en-US")]).await;
    let (_, body) = json(app_en.get("/health").await).await;
    assert_eq!(body["msg"], "Request success");
    app.stop().await;
    app_en.stop().await;
}

#[tokio::test]
async fn path_ids_beyond_i64_and_non_numbers_are_422() {
    let app = TestApp::spawn().await;
    for bad in ["abc", "99999999999999999999999"] {
        let (status, body) = json(app.get(&format!("/__test/items/{bad}")).await).await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(
            body["data"]["errors"][0]["loc"],
            json!(["path", "pk"]),
            "{bad}"
        );
    }
    let (status, body) = json(app.get("/__test/items/42").await).await;
    assert_eq!((status, body["data"].as_i64()), (200, Some(42)));
    app.stop().await;
}

#[tokio::test]
async fn pagination_has_fba_shape_and_bounds() {
    let app = TestApp::spawn().await;
    let (status, body) = json(app.get("/__test/page?page=2&size=20&q=x").await).await;
    assert_eq!(status, 200);
    let data = &body["data"];
    assert_eq!(data["total"], 57);
    assert_eq!(data["total_pages"], 3);
    assert_eq!(data["items"].as_array().map(Vec::len), Some(20));
    assert_eq!(data["items"][0], 21);
    assert_eq!(data["links"]["self"], "/__test/page?page=2&size=20&q=x");
    assert_eq!(data["links"]["next"], "/__test/page?q=x&page=3&size=20");
    assert_eq!(data["links"]["prev"], "/__test/page?q=x&page=1&size=20");
    for bad in ["page=0", "size=201", "size=0", "page=x"] {
        let (status, body) = json(app.get(&format!("/__test/page?{bad}")).await).await;
        assert_eq!(status, 422, "{bad}");
        assert_eq!(body["code"], 422, "{bad}");
    }
    let (status, body) = json(app.get("/__test/page?page=99999999999999999999").await).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["items"], json!([]));
    assert_eq!(body["data"]["total"], 57);
    app.stop().await;
}

#[tokio::test]
async fn cors_preflight_allows_configured_origin_only() {
    let app = TestApp::spawn().await;
    let resp = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/login"))
        .header("origin", "http://localhost:5173")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,authorization",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "http://localhost:5173"
    );
    assert_eq!(resp.headers()["access-control-allow-credentials"], "true");
    let resp = app
        .client
        .get(app.url("/health"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    app.stop().await;
}
