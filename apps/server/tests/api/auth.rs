//! `/api/v1/auth/*` through the real app: captcha, login and every refusal, tokens, refresh,
//! logout, multi-login, rate limits, Swagger login, and two replicas sharing one store.

use std::time::Duration;

use fba_admin::model::sys_user;
use sea_orm::prelude::ChronoUtc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, is_fba_datetime, json, redis_url};

pub const LOGIN: &str = "/api/v1/auth/login";
const CAPTCHA: &str = "/api/v1/auth/captcha";
const REFRESH: &str = "/api/v1/auth/refresh";
const LOGOUT: &str = "/api/v1/auth/logout";
/// A route behind authentication (any signed-in user may read it).
pub const PROTECTED: &str = "/api/v1/logs/login?size=1";

/// An app with the login captcha and the login rate limit off (most tests; `extra` wins).
pub async fn spawn_no_captcha(extra: &[(&str, &str)]) -> TestApp {
    let mut pairs = vec![
        ("LOGIN_CAPTCHA_ENABLED", "false"),
        ("LOGIN_RATE_LIMIT_PER_MINUTE", "0"),
    ];
    pairs.extend_from_slice(extra);
    TestApp::spawn_with(&pairs).await
}

/// `POST /auth/login` with a JSON body.
pub async fn post_login(app: &TestApp, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(LOGIN))
        .json(body)
        .send()
        .await
        .unwrap()
}

/// A successful login of `username` / `123456`: (access token, session uuid, refresh cookie).
pub async fn login_ok(app: &TestApp, username: &str) -> (String, String, String) {
    let resp = post_login(app, &json!({"username": username, "password": "123456"})).await;
    let cookie = refresh_cookie(&resp).expect("a refresh cookie");
    let (status, body) = json(resp).await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    (
        data["access_token"].as_str().unwrap().to_owned(),
        data["session_uuid"].as_str().unwrap().to_owned(),
        cookie,
    )
}

/// The whole `Set-Cookie` header for `fba_refresh_token`.
fn set_cookie_header(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("fba_refresh_token="))
        .map(str::to_owned)
}

/// The value of the refresh cookie set by a response.
fn refresh_cookie(resp: &reqwest::Response) -> Option<String> {
    set_cookie_header(resp).map(|h| {
        h.trim_start_matches("fba_refresh_token=")
            .split(';')
            .next()
            .unwrap_or("")
            .to_owned()
    })
}

async fn post_refresh(app: &TestApp, cookie: Option<&str>) -> reqwest::Response {
    let mut req = app.client.post(app.url(REFRESH));
    if let Some(c) = cookie {
        req = req.header("cookie", format!("fba_refresh_token={c}"));
    }
    req.send().await.unwrap()
}

/// Sets columns of a user row and drops the cached user.
pub async fn update_user(app: &TestApp, id: i64, col: sys_user::Column, value: sea_orm::Value) {
    sys_user::Entity::update_many()
        .col_expr(col, Expr::value(value))
        .filter(sys_user::Column::Id.eq(id))
        .exec(&app.app_state.db)
        .await
        .unwrap();
    fba_common::security::invalidate_user(&app.app_state, id)
        .await
        .unwrap();
}

#[tokio::test]
async fn captcha_is_a_png_whose_code_is_stored_with_a_ttl() {
    let app = TestApp::spawn().await;
    let (status, body) = json(app.get(CAPTCHA).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 200);
    let data = &body["data"];
    assert_eq!(data["is_enabled"], true);
    assert_eq!(data["expire_seconds"], 300);
    let image = data["image"].as_str().unwrap();
    // base64 of the PNG signature, no `data:` prefix
    assert!(image.starts_with("iVBORw0KGgo"), "{}", &image[..20]);
    let uuid = data["uuid"].as_str().unwrap();
    let key = format!("fba:login:captcha:{uuid}");
    let code = app.app_state.kv.get(&key).await.unwrap().unwrap();
    assert_eq!(code.len(), 4);
    assert!(code.chars().all(|c| c.is_ascii_alphanumeric()));
    let ttl = app.app_state.kv.ttl(&key).await.unwrap();
    assert!(
        matches!(ttl, fba_db::kv::KeyTtl::Expires(d) if d <= Duration::from_secs(300) && d > Duration::from_secs(290)),
        "{ttl:?}"
    );
    app.stop().await;

    // With the captcha off FBA still answers a picture, flagged as not enabled.
    let app = spawn_no_captcha(&[]).await;
    let (status, body) = json(app.get(CAPTCHA).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["is_enabled"], false);
    assert!(body["data"]["image"].as_str().unwrap().starts_with("iVBOR"));
    app.stop().await;
}

#[tokio::test]
async fn captcha_is_rate_limited_per_client_ip() {
    let app = TestApp::spawn_with(&[
        ("CAPTCHA_RATE_LIMIT_PER_30S", "2"),
        ("SERVER_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    let get = |ip: &'static str| {
        app.client
            .get(app.url(CAPTCHA))
            .header("x-forwarded-for", ip)
            .send()
    };
    assert_eq!(get("10.0.0.1").await.unwrap().status(), 200);
    assert_eq!(get("10.0.0.1").await.unwrap().status(), 200);
    let resp = get("10.0.0.1").await.unwrap();
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    let (status, body) = json(resp).await;
    assert_eq!(status, 429);
    assert_eq!(body["code"], 429);
    assert_eq!(body["msg"], "请求过于频繁，请稍后重试");
    assert_eq!(get("10.0.0.2").await.unwrap().status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn login_checks_the_captcha_and_a_captcha_is_single_use() {
    let app = TestApp::spawn_with(&[("LOGIN_RATE_LIMIT_PER_MINUTE", "0")]).await;
    let (status, body) =
        json(post_login(&app, &json!({"username": "admin", "password": "123456"})).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (400, Some("验证码无效，请重新获取"))
    );
    let (status, body) = json(
        post_login(
            &app,
            &json!({"username": "admin", "password": "123456", "uuid": "nope", "captcha": "ABCD"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (400, Some("验证码已过期，请重新获取"))
    );

    let fresh = |app: &TestApp| {
        let app_url = app.url(CAPTCHA);
        let client = app.client.clone();
        let kv = app.app_state.kv.clone();
        async move {
            let (_, body) = json(client.get(app_url).send().await.unwrap()).await;
            let uuid = body["data"]["uuid"].as_str().unwrap().to_owned();
            let code = kv
                .get(&format!("fba:login:captcha:{uuid}"))
                .await
                .unwrap()
                .unwrap();
            (uuid, code)
        }
    };
    // A wrong answer is 400 with business code 40001 and uses the captcha up.
    let (uuid, _) = fresh(&app).await;
    let (status, body) = json(
        post_login(
            &app,
            &json!({"username": "admin", "password": "123456", "uuid": uuid, "captcha": "!!!!"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], 40001);
    assert_eq!(body["msg"], "验证码错误");
    let (status, body) = json(
        post_login(
            &app,
            &json!({"username": "admin", "password": "123456", "uuid": uuid, "captcha": "!!!!"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (400, Some("验证码已过期，请重新获取"))
    );

    // An expired captcha (key gone) is refused.
    let (uuid, code) = fresh(&app).await;
    app.app_state
        .kv
        .del(&format!("fba:login:captcha:{uuid}"))
        .await
        .unwrap();
    let (status, body) = json(
        post_login(
            &app,
            &json!({"username": "admin", "password": "123456", "uuid": uuid, "captcha": code}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (400, Some("验证码已过期，请重新获取"))
    );

    // The right answer, in any case, logs in and consumes the captcha.
    let (uuid, code) = fresh(&app).await;
    let resp = post_login(
        &app,
        &json!({"username": "admin", "password": "123456", "uuid": uuid, "captcha": code.to_lowercase(), "selectAccount": "x"}),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert!(
        app.app_state
            .kv
            .get(&format!("fba:login:captcha:{uuid}"))
            .await
            .unwrap()
            .is_none()
    );
    app.stop().await;
}

#[tokio::test]
async fn login_answers_fba_token_user_and_refresh_cookie() {
    let app = spawn_no_captcha(&[]).await;
    let resp = post_login(&app, &json!({"username": "admin", "password": "123456"})).await;
    let cookie = set_cookie_header(&resp).expect("Set-Cookie");
    let (status, body) = json(resp).await;
    assert_eq!(status, 200);
    assert_eq!(body["code"], 200);
    assert_eq!(body["msg"], "请求成功");
    let data = &body["data"];
    let mut keys: Vec<_> = data.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "access_token",
            "access_token_expire_time",
            "password_expire_days_remaining",
            "session_uuid",
            "user"
        ]
    );
    assert!(is_fba_datetime(&data["access_token_expire_time"]));
    assert_eq!(data["password_expire_days_remaining"], Value::Null);
    let session = data["session_uuid"].as_str().unwrap();
    assert_eq!(session.len(), 36);
    let user = &data["user"];
    assert_eq!(user["id"], 1);
    assert_eq!(user["username"], "admin");
    assert_eq!(user["nickname"], "用户88888");
    assert_eq!(user["is_superuser"], true);
    assert!(is_fba_datetime(&user["join_time"]));
    assert!(is_fba_datetime(&user["last_login_time"]));
    assert!(user.get("roles").is_none() && user.get("dept").is_none());

    // fba_refresh_token=<jwt>; HttpOnly; Max-Age=604800; Expires=<http-date>; Path=/; SameSite=lax
    let parts: Vec<&str> = cookie.split("; ").collect();
    assert!(parts[0].len() > "fba_refresh_token=".len() + 20);
    assert_eq!(parts[1], "HttpOnly");
    assert_eq!(parts[2], "Max-Age=604800");
    assert!(
        parts[3].starts_with("Expires=") && parts[3].ends_with(" GMT"),
        "{}",
        parts[3]
    );
    assert_eq!(&parts[4..], ["Path=/", "SameSite=lax"]);

    // The session is in the Kv store with FBA's extra info, and the token opens routes.
    let token = data["access_token"].as_str().unwrap();
    let kv = &app.app_state.kv;
    assert_eq!(
        kv.get(&format!("fba:token:1:{session}"))
            .await
            .unwrap()
            .as_deref(),
        Some(token)
    );
    let extra: Value = serde_json::from_str(
        &kv.get(&format!("fba:token_extra_info:1:{session}"))
            .await
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let mut extra_keys: Vec<_> = extra.as_object().unwrap().keys().cloned().collect();
    extra_keys.sort();
    assert_eq!(
        extra_keys,
        [
            "browser",
            "device",
            "ip",
            "last_login_time",
            "nickname",
            "os",
            "username"
        ]
    );
    assert_eq!(extra["ip"], "127.0.0.1");
    assert!(
        kv.get(&format!("fba:refresh_token:1:{session}"))
            .await
            .unwrap()
            .is_some()
    );
    let (status, body) = json(app.get_auth(PROTECTED, token).await).await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(200)));

    // last_login_time was written.
    let row = sys_user::Entity::find_by_id(1)
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap();
    let last = row.last_login_time.unwrap();
    assert!((ChronoUtc::now() - last).num_seconds() < 60);
    app.stop().await;
}

#[tokio::test]
async fn wrong_password_unknown_user_and_disabled_user_are_refused() {
    let app = spawn_no_captcha(&[]).await;
    let (status, body) =
        json(post_login(&app, &json!({"username": "admin", "password": "nope"})).await).await;
    assert_eq!((status, body["code"].as_i64()), (403, Some(403)));
    assert_eq!(body["msg"], "用户名或密码有误");
    assert!(body["trace_id"].is_string());
    let (status, body) =
        json(post_login(&app, &json!({"username": "ghost", "password": "123456"})).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (404, Some("用户名或密码有误"))
    );
    update_user(&app, 2, sys_user::Column::Status, 0.into()).await;
    let (status, body) =
        json(post_login(&app, &json!({"username": "test", "password": "123456"})).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("用户已被锁定, 请联系统管理员"))
    );
    // A body without a password is a 422 naming it.
    let (status, body) = json(post_login(&app, &json!({"username": "admin"})).await).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["data"]["errors"][0]["loc"],
        json!(["body", "password"])
    );
    app.stop().await;
}

#[tokio::test]
async fn repeated_failures_lock_the_account() {
    let app = spawn_no_captcha(&[("USER_LOCK_THRESHOLD", "2")]).await;
    let bad = json!({"username": "test", "password": "wrong"});
    let (status, body) = json(post_login(&app, &bad).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("用户名或密码有误"))
    );
    assert_eq!(
        app.app_state
            .kv
            .get("fba:login:failure:2")
            .await
            .unwrap()
            .as_deref(),
        Some("1")
    );
    let (status, body) = json(post_login(&app, &bad).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("登录失败次数过多，账号已被锁定"))
    );
    let until = app
        .app_state
        .kv
        .get("fba:user:lock:2")
        .await
        .unwrap()
        .unwrap();
    assert!(is_fba_datetime(&Value::String(until)));
    // Even the right password is refused while the lock lasts.
    let (status, body) =
        json(post_login(&app, &json!({"username": "test", "password": "123456"})).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("账号已被锁定，请在 5 分钟后重试"))
    );
    // Once the lock has passed, the right password works and clears the counters.
    app.app_state
        .kv
        .set("fba:user:lock:2", "2000-01-01 00:00:00", None)
        .await
        .unwrap();
    login_ok(&app, "test").await;
    assert!(
        app.app_state
            .kv
            .get("fba:user:lock:2")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.app_state
            .kv
            .get("fba:login:failure:2")
            .await
            .unwrap()
            .is_none()
    );
    app.stop().await;
}

#[tokio::test]
async fn password_age_refuses_expired_and_reminds_before_expiry() {
    let app = spawn_no_captcha(&[]).await;
    let days_ago = |d: u64| ChronoUtc::now() - Duration::from_secs(d * 86_400);
    update_user(
        &app,
        2,
        sys_user::Column::LastPasswordChangedTime,
        days_ago(400).into(),
    )
    .await;
    let (status, body) =
        json(post_login(&app, &json!({"username": "test", "password": "123456"})).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("密码已过期，请修改密码后重新登录"))
    );
    update_user(
        &app,
        2,
        sys_user::Column::LastPasswordChangedTime,
        days_ago(360).into(),
    )
    .await;
    let (status, body) =
        json(post_login(&app, &json!({"username": "test", "password": "123456"})).await).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["password_expire_days_remaining"], 4);
    app.stop().await;
}

#[tokio::test]
async fn expired_tampered_and_revoked_tokens_are_401() {
    let app = spawn_no_captcha(&[]).await;
    let expired = app
        .security
        .jwt
        .issue(1, "3f0c6f9e-1111-4222-8333-444455556666", 0)
        .unwrap();
    let (status, body) = json(app.get_auth(PROTECTED, &expired.token).await).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"code": 401, "msg": "Token 已过期", "data": null})
    );

    let (token, _, cookie) = login_ok(&app, "admin").await;
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let (status, body) = json(app.get_auth(PROTECTED, &tampered).await).await;
    assert_eq!((status, body["msg"].as_str()), (401, Some("Token 无效")));
    let (status, _) = json(app.get(PROTECTED).await).await;
    assert_eq!(status, 401);

    // Logout with header and cookie: success, the cookie deleted as Starlette deletes it, the
    // token and the refresh token dead.
    let resp = app
        .client
        .post(app.url(LOGOUT))
        .bearer_auth(&token)
        .header("cookie", format!("fba_refresh_token={cookie}"))
        .send()
        .await
        .unwrap();
    let deletion = set_cookie_header(&resp).unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"code": 200, "msg": "请求成功", "data": null}));
    let parts: Vec<&str> = deletion.split("; ").collect();
    assert_eq!(parts[0], "fba_refresh_token=\"\"");
    assert!(parts[1].starts_with("expires=") && parts[1].ends_with(" GMT"));
    assert_eq!(&parts[2..], ["Max-Age=0", "Path=/", "SameSite=lax"]);
    let (status, body) = json(app.get_auth(PROTECTED, &token).await).await;
    assert_eq!((status, body["msg"].as_str()), (401, Some("Token 已过期")));
    let (status, body) = json(post_refresh(&app, Some(&cookie)).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (401, Some("Refresh Token 已过期，请重新登录"))
    );

    // Logout without anything still succeeds and deletes the cookie.
    let resp = app.client.post(app.url(LOGOUT)).send().await.unwrap();
    assert!(set_cookie_header(&resp).is_some());
    assert_eq!(json(resp).await.0, 200);
    app.stop().await;
}

#[tokio::test]
async fn refresh_rotates_the_session_and_the_old_refresh_token_is_single_use() {
    let app = spawn_no_captcha(&[]).await;
    let (status, body) = json(post_refresh(&app, None).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (400, Some("Refresh Token 已过期，请重新登录"))
    );
    let (status, body) = json(post_refresh(&app, Some("garbage")).await).await;
    assert_eq!((status, body["msg"].as_str()), (401, Some("Token 无效")));

    let (old_access, old_session, old_cookie) = login_ok(&app, "admin").await;
    let resp = post_refresh(&app, Some(&old_cookie)).await;
    let new_cookie = refresh_cookie(&resp).expect("rotated cookie");
    assert_ne!(new_cookie, old_cookie);
    let (status, body) = json(resp).await;
    assert_eq!(status, 200);
    let data = &body["data"];
    let mut keys: Vec<_> = data.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["access_token", "access_token_expire_time", "session_uuid"]
    );
    assert_ne!(data["session_uuid"].as_str().unwrap(), old_session);
    let new_access = data["access_token"].as_str().unwrap();
    assert_eq!(app.get_auth(PROTECTED, new_access).await.status(), 200);
    let (status, body) = json(app.get_auth(PROTECTED, &old_access).await).await;
    assert_eq!((status, body["msg"].as_str()), (401, Some("Token 已过期")));
    let (status, body) = json(post_refresh(&app, Some(&old_cookie)).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (401, Some("Refresh Token 已过期，请重新登录"))
    );
    assert_eq!(post_refresh(&app, Some(&new_cookie)).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_second_login_ends_the_first_session_of_a_single_login_user() {
    let app = spawn_no_captcha(&[]).await;
    let (first, _, first_cookie) = login_ok(&app, "test").await;
    let (second, _, _) = login_ok(&app, "test").await;
    let (status, body) = json(app.get_auth(PROTECTED, &first).await).await;
    assert_eq!((status, body["msg"].as_str()), (401, Some("Token 已过期")));
    assert_eq!(app.get_auth(PROTECTED, &second).await.status(), 200);
    let (status, body) = json(post_refresh(&app, Some(&first_cookie)).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("此用户已在异地登录，请重新登录并及时修改密码"))
    );
    // admin is multi-login: both sessions live.
    let (a1, _, _) = login_ok(&app, "admin").await;
    let (a2, _, _) = login_ok(&app, "admin").await;
    assert_eq!(app.get_auth(PROTECTED, &a1).await.status(), 200);
    assert_eq!(app.get_auth(PROTECTED, &a2).await.status(), 200);
    app.stop().await;
}

#[tokio::test]
async fn tokens_of_deleted_and_disabled_users_are_refused() {
    let app = spawn_no_captcha(&[]).await;
    let token = app.token_for(2).await;
    assert_eq!(app.get_auth(PROTECTED, &token).await.status(), 200);
    update_user(&app, 2, sys_user::Column::Status, 0.into()).await;
    let (status, body) = json(app.get_auth(PROTECTED, &token).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("用户已被锁定，请联系系统管理员"))
    );
    sys_user::Entity::delete_by_id(2)
        .exec(&app.app_state.db)
        .await
        .unwrap();
    fba_common::security::invalidate_user(&app.app_state, 2)
        .await
        .unwrap();
    let (status, body) = json(app.get_auth(PROTECTED, &token).await).await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"code": 401, "msg": "Token 无效", "data": null})
    );
    app.stop().await;
}

#[tokio::test]
async fn login_is_rate_limited_per_client_ip() {
    let app = spawn_no_captcha(&[
        ("LOGIN_RATE_LIMIT_PER_MINUTE", "2"),
        ("SERVER_TRUSTED_PROXIES", "127.0.0.1"),
    ])
    .await;
    // Unknown users: no bcrypt, so the test stays quick.
    let attempt = |ip: &'static str| {
        app.client
            .post(app.url(LOGIN))
            .header("x-forwarded-for", ip)
            .json(&json!({"username": "ghost", "password": "x"}))
            .send()
    };
    assert_eq!(attempt("10.1.1.1").await.unwrap().status(), 404);
    assert_eq!(attempt("10.1.1.1").await.unwrap().status(), 404);
    let resp = attempt("10.1.1.1").await.unwrap();
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let (status, body) = json(resp).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (429, Some("请求过于频繁，请稍后重试"))
    );
    // Another client is not blocked.
    assert_eq!(attempt("10.1.1.2").await.unwrap().status(), 404);
    // The limit comes before the body is read, as FBA's dependency does.
    let resp = app
        .client
        .post(app.url(LOGIN))
        .header("x-forwarded-for", "10.1.1.1")
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 429);
    app.stop().await;
}

#[tokio::test]
async fn swagger_login_answers_a_bare_token_and_user() {
    let app = spawn_no_captcha(&[]).await;
    let resp = app
        .client
        .post(app.url("/api/v1/auth/login/swagger?username=admin&password=123456"))
        .send()
        .await
        .unwrap();
    assert!(set_cookie_header(&resp).is_none());
    let (status, body) = json(resp).await;
    assert_eq!(status, 200);
    let mut keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(keys, ["access_token", "token_type", "user"]);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["user"]["username"], "admin");
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(app.get_auth(PROTECTED, token).await.status(), 200);
    let session = app.security.jwt.decode(token).unwrap().session_uuid;
    let extra = app
        .app_state
        .kv
        .get(&format!("fba:token_extra_info:1:{session}"))
        .await
        .unwrap();
    assert_eq!(extra.as_deref(), Some(r#"{"swagger":true}"#));
    assert!(
        app.app_state
            .kv
            .get(&format!("fba:refresh_token:1:{session}"))
            .await
            .unwrap()
            .is_none()
    );
    let (status, body) = json(
        app.client
            .post(app.url("/api/v1/auth/login/swagger?username=admin&password=bad"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("用户名或密码有误"))
    );
    let (status, body) = json(
        app.client
            .post(app.url("/api/v1/auth/login/swagger?username=admin"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(
        body["data"]["errors"][0]["loc"],
        json!(["query", "password"])
    );
    app.stop().await;
}

#[tokio::test]
async fn two_replicas_share_sessions() {
    let pg = std::env::var("FBA_TEST_DATABASE")
        .map(|v| v.to_ascii_lowercase().starts_with("postgres"))
        .unwrap_or(false);
    if redis_url().is_none() || !pg {
        eprintln!(
            "note: two_replicas_share_sessions needs FBA_TEST_DATABASE=postgresql and FBA_TEST_REDIS_URL; skipped"
        );
        return;
    }
    let a = spawn_no_captcha(&[]).await;
    let b = TestApp::spawn_sharing(&a, &redis_url().unwrap()).await;
    let (token, _, cookie) = login_ok(&a, "admin").await;
    // Both replicas now remember the session in memory.
    for replica in [&a, &b, &a, &b] {
        assert_eq!(replica.get_auth(PROTECTED, &token).await.status(), 200);
    }
    let resp = a
        .client
        .post(b.url(LOGOUT))
        .bearer_auth(&token)
        .header("cookie", format!("fba_refresh_token={cookie}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // The replica that revoked forgets at once.
    let (status, body) = json(b.get_auth(PROTECTED, &token).await).await;
    assert_eq!((status, body["msg"].as_str()), (401, Some("Token 已过期")));
    // The other one hears it through pub/sub: delivery is asynchronous, so allow it a moment.
    let mut refused = None;
    for _ in 0..100 {
        let (status, body) = json(a.get_auth(PROTECTED, &token).await).await;
        if status == 401 {
            refused = Some(body["msg"].clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(refused, Some(json!("Token 已过期")));
    b.stop_shared().await;
    a.stop().await;
}

#[tokio::test]
async fn wrong_password_message_follows_accept_language() {
    let app = spawn_no_captcha(&[]).await;
    let bad = json!({"username": "test", "password": "wrong"});
    let resp = app
        .client
        .post(app.url(LOGIN))
        .header("accept-language", "en-US,en;q=0.9")
        .json(&bad)
        .send()
        .await
        .unwrap();
    let (status, body) = json(resp).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("Incorrect username or password"))
    );
    // No header: FBA's default language, byte for byte.
    let (status, body) = json(post_login(&app, &bad).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("用户名或密码有误"))
    );
    app.stop().await;
}
