//! The current user's routes: `GET /sys/users/me`, `PUT /sys/users/me/{nickname,avatar,email,
//! password}` and `GET /auth/codes`.

use fba_admin::model::{sys_user, sys_user_password_history};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_ok_empty, is_fba_datetime, json};

const ME: &str = "/api/v1/sys/users/me";
const EMAIL_CAPTCHA_KEY: &str = "fba:email:captcha:127.0.0.1";

async fn me(app: &TestApp, token: &str) -> Value {
    let (status, body) = json(app.get_auth(ME, token).await).await;
    assert_eq!(status, 200, "{body}");
    body["data"].clone()
}

async fn user_row(app: &TestApp, id: i64) -> sys_user::Model {
    sys_user::Entity::find_by_id(id)
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap()
}

fn assert_422(status: u16, body: &Value, field: &str) {
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], 422);
    assert_eq!(
        body["data"]["errors"][0]["loc"],
        json!(["body", field]),
        "{body}"
    );
    assert!(
        body["msg"]
            .as_str()
            .unwrap()
            .starts_with(&format!("请求参数非法: {field} ")),
        "{body}"
    );
}

#[tokio::test]
async fn me_is_current_user_info_with_dept_and_role_names() {
    let app = TestApp::spawn().await;
    let token = app.token_for(2).await;
    let resp = app.get_auth(ME, &token).await;
    let (status, body) = json(resp).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["code"].as_i64(), body["msg"].as_str()),
        (Some(200), Some("请求成功"))
    );
    let data = body["data"].as_object().unwrap();
    let mut keys: Vec<&str> = data.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "avatar",
            "dept",
            "dept_id",
            "email",
            "id",
            "is_multi_login",
            "is_staff",
            "is_superuser",
            "join_time",
            "last_login_time",
            "nickname",
            "phone",
            "roles",
            "status",
            "username",
            "uuid",
        ]
    );
    assert_eq!(data["id"], 2);
    assert_eq!(data["username"], "test");
    assert_eq!(data["nickname"], "用户66666");
    assert_eq!(data["email"], "test@example.com");
    assert_eq!(data["dept_id"], 1);
    assert_eq!(data["dept"], "测试");
    assert_eq!(data["roles"], json!(["测试"]));
    assert_eq!(data["status"], 1);
    assert_eq!(data["is_superuser"], false);
    assert_eq!(data["is_staff"], false);
    assert_eq!(data["avatar"], Value::Null);
    assert!(is_fba_datetime(&data["join_time"]), "{}", data["join_time"]);
    assert!(
        data["last_login_time"].is_null() || is_fba_datetime(&data["last_login_time"]),
        "{}",
        data["last_login_time"]
    );
    assert_eq!(data["uuid"].as_str().unwrap().len(), 36);

    let admin = me(&app, &app.token_for(1).await).await;
    assert_eq!(
        (admin["id"].as_i64(), admin["is_superuser"].as_bool()),
        (Some(1), Some(true))
    );
    app.stop().await;
}

#[tokio::test]
async fn me_without_token_is_401_not_authenticated() {
    let app = TestApp::spawn().await;
    let resp = app.get(ME).await;
    assert_eq!(resp.headers()["www-authenticate"], "Bearer");
    let (status, body) = json(resp).await;
    assert_eq!(status, 401);
    assert_eq!(body["code"], 401);
    assert_eq!(body["msg"], "Not authenticated");
    assert_eq!(body["data"], Value::Null);
    assert!(body["trace_id"].is_string());
    for path in ["/me/nickname", "/me/avatar", "/me/email", "/me/password"] {
        let resp = app
            .client
            .put(app.url(&format!("/api/v1/sys/users{path}")))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 401, "{path}");
    }
    let resp = app.get("/api/v1/auth/codes").await;
    assert_eq!(resp.status().as_u16(), 401);
    app.stop().await;
}

#[tokio::test]
async fn nickname_and_avatar_are_stored_and_seen_by_the_next_me() {
    let app = TestApp::spawn().await;
    let token = app.token_for(2).await;
    // Warm the user cache so a missing invalidation would show.
    assert_eq!(me(&app, &token).await["nickname"], "用户66666");

    let (status, body) = app
        .put_json(
            "/api/v1/sys/users/me/nickname",
            &token,
            &json!({"nickname": "新昵称"}),
        )
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(user_row(&app, 2).await.nickname, "新昵称");
    assert_eq!(me(&app, &token).await["nickname"], "新昵称");

    // Four-byte characters are stored as they are (utf8mb4 on MySQL).
    let (status, body) = app
        .put_json(
            "/api/v1/sys/users/me/nickname",
            &token,
            &json!({"nickname": "猫😀"}),
        )
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(me(&app, &token).await["nickname"], "猫😀");

    let max = "测".repeat(64);
    let (status, body) = app
        .put_json(
            "/api/v1/sys/users/me/nickname",
            &token,
            &json!({"nickname": max}),
        )
        .await;
    assert_ok_empty(status, &body);
    assert_eq!(me(&app, &token).await["nickname"], max);

    for avatar in ["https://example.com/a.png", "/static/upload/avatar.png"] {
        let (status, body) = app
            .put_json(
                "/api/v1/sys/users/me/avatar",
                &token,
                &json!({"avatar": avatar}),
            )
            .await;
        assert_ok_empty(status, &body);
        assert_eq!(user_row(&app, 2).await.avatar.as_deref(), Some(avatar));
        assert_eq!(me(&app, &token).await["avatar"], avatar);
    }
    let row = user_row(&app, 2).await;
    assert!(row.updated_time.is_some());
    app.stop().await;
}

#[tokio::test]
async fn bad_nickname_and_avatar_are_422_naming_the_field_and_store_nothing() {
    let app = TestApp::spawn().await;
    let token = app.token_for(2).await;
    let cases = [
        ("nickname", json!({"nickname": "a".repeat(65)})),
        ("nickname", json!({"nickname": "nul\u{0}byte"})),
        ("nickname", json!({"nickname": 5})),
        ("nickname", json!({})),
        (
            "avatar",
            json!({"avatar": format!("https://example.com/{}", "a".repeat(240))}),
        ),
        ("avatar", json!({"avatar": "/a\u{0}.png"})),
        ("avatar", json!({"avatar": "not a url"})),
        ("avatar", json!({"avatar": "avatar.png"})),
        ("avatar", json!({"avatar": "ftp://example.com/a.png"})),
        ("avatar", json!({"avatar": ""})),
    ];
    for (field, body) in cases {
        let (status, reply) = app
            .put_json(&format!("/api/v1/sys/users/me/{field}"), &token, &body)
            .await;
        assert_422(status, &reply, field);
    }
    let (status, reply) = app
        .put_json(
            "/api/v1/sys/users/me/nickname",
            &token,
            &json!({"nickname": "a".repeat(65)}),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(reply["data"]["errors"][0]["type"], "string_too_long");
    assert_eq!(reply["data"]["errors"][0]["ctx"], json!({"max_length": 64}));
    let row = user_row(&app, 2).await;
    assert_eq!((row.nickname.as_str(), row.avatar), ("用户66666", None));
    app.stop().await;
}

#[tokio::test]
async fn email_needs_the_pending_captcha_of_the_client_ip() {
    let app = TestApp::spawn().await;
    let token = app.token_for(2).await;
    let kv = &app.app_state.kv;
    let path = "/api/v1/sys/users/me/email";
    let body = json!({"captcha": "123456", "email": "new@example.com"});
    assert_eq!(me(&app, &token).await["email"], "test@example.com");

    // No code pending.
    let (status, reply) = app.put_json(path, &token, &body).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["code"], 400);
    assert_eq!(reply["msg"], "验证码已失效，请重新获取");

    // Wrong code: FBA's CustomError 40001 on HTTP 400; the code stays usable.
    kv.set(
        EMAIL_CAPTCHA_KEY,
        "654321",
        Some(std::time::Duration::from_secs(180)),
    )
    .await
    .unwrap();
    let (status, reply) = app.put_json(path, &token, &body).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["code"], 40001);
    assert_eq!(reply["msg"], "验证码错误");
    assert!(kv.exists(EMAIL_CAPTCHA_KEY).await.unwrap());

    // An address of another user is a conflict; the code is kept.
    let taken = json!({"captcha": "654321", "email": "admin@example.com"});
    let (status, reply) = app.put_json(path, &token, &taken).await;
    assert_eq!(status, 409, "{reply}");
    assert_eq!(reply["code"], 409);
    assert!(kv.exists(EMAIL_CAPTCHA_KEY).await.unwrap());

    // Right code: stored, code used up, cache dropped.
    let ok = json!({"captcha": "654321", "email": "new@example.com"});
    let (status, reply) = app.put_json(path, &token, &ok).await;
    assert_ok_empty(status, &reply);
    assert!(!kv.exists(EMAIL_CAPTCHA_KEY).await.unwrap());
    assert_eq!(
        user_row(&app, 2).await.email.as_deref(),
        Some("new@example.com")
    );
    assert_eq!(me(&app, &token).await["email"], "new@example.com");

    // The code was single use.
    let (status, reply) = app.put_json(path, &token, &ok).await;
    assert_eq!(
        (status, reply["msg"].as_str()),
        (400, Some("验证码已失效，请重新获取"))
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_email_is_422_before_the_captcha_is_looked_at() {
    let app = TestApp::spawn().await;
    let token = app.token_for(2).await;
    app.app_state
        .kv
        .set(EMAIL_CAPTCHA_KEY, "123456", None)
        .await
        .unwrap();
    for email in [
        json!("not-an-email"),
        json!("a@b"),
        json!(format!("{}@example.com", "a".repeat(250))),
        json!("nul\u{0}@example.com"),
        json!(null),
    ] {
        let body = json!({"captcha": "123456", "email": email});
        let (status, reply) = app
            .put_json("/api/v1/sys/users/me/email", &token, &body)
            .await;
        assert_422(status, &reply, "email");
    }
    assert!(app.app_state.kv.exists(EMAIL_CAPTCHA_KEY).await.unwrap());
    assert_eq!(
        user_row(&app, 2).await.email.as_deref(),
        Some("test@example.com")
    );
    app.stop().await;
}

#[tokio::test]
async fn updates_of_a_user_deleted_meanwhile_are_fba_soft_failures() {
    let app = TestApp::spawn().await;
    let token = app.token_for(2).await;
    assert_eq!(me(&app, &token).await["id"], 2);
    sys_user::Entity::delete_by_id(2)
        .exec(&app.app_state.db)
        .await
        .unwrap();
    // The token stays valid until the cache is rebuilt, as in FBA; the write matches no row.
    let soft = json!({"code": 400, "msg": "请求错误", "data": null});
    let (status, body) = app
        .put_json(
            "/api/v1/sys/users/me/nickname",
            &token,
            &json!({"nickname": "x"}),
        )
        .await;
    assert_eq!((status, &body), (200, &soft));
    assert_eq!(json(app.get_auth(ME, &token).await).await.0, 401);
    app.stop().await;
}

async fn change_password(app: &TestApp, token: &str, old: &str, new: &str) -> (u16, Value) {
    app.put_json(
        "/api/v1/sys/users/me/password",
        token,
        &json!({"old_password": old, "new_password": new, "confirm_password": new}),
    )
    .await
}

#[tokio::test]
async fn password_change_checks_old_password_confirmation_and_policy() {
    let app = TestApp::spawn_with(&[("PASSWORD_BCRYPT_COST", "4")]).await;
    let token = app.token_for(2).await;
    let path = "/api/v1/sys/users/me/password";

    let (status, body) = change_password(&app, &token, "wrong-old", "abc123").await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (400, Some("原密码错误")),
        "{body}"
    );

    let mismatch =
        json!({"old_password": "123456", "new_password": "abc123", "confirm_password": "abc124"});
    let (status, body) = app.put_json(path, &token, &mismatch).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (400, Some("两次密码输入不一致")),
        "{body}"
    );

    for (new, msg) in [
        ("ab1", "密码长度不能少于 6 个字符"),
        (
            "abcdefghij1234567890abcdefghij123",
            "密码长度不能超过 32 个字符",
        ),
        ("abcdefgh", "密码必须包含数字"),
        ("12345678", "密码必须包含字母"),
    ] {
        let (status, body) = change_password(&app, &token, "123456", new).await;
        assert_eq!(
            (status, body["msg"].as_str()),
            (400, Some(msg)),
            "{new}: {body}"
        );
    }

    let (status, body) = change_password(&app, &token, "123456", "abc\u{0}123").await;
    assert_422(status, &body, "new_password");

    // Nothing changed: the old token still works and the hash is the seed's.
    assert_eq!(me(&app, &token).await["id"], 2);
    let row = user_row(&app, 2).await;
    assert!(bcrypt::verify("123456", row.password.as_deref().unwrap()).unwrap());
    app.stop().await;
}

#[tokio::test]
async fn special_character_rule_applies_when_configured() {
    let app = TestApp::spawn_with(&[
        ("PASSWORD_BCRYPT_COST", "4"),
        ("USER_PASSWORD_REQUIRE_SPECIAL_CHAR", "true"),
    ])
    .await;
    let token = app.token_for(2).await;
    let (status, body) = change_password(&app, &token, "123456", "abc123").await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (400, Some("密码必须包含特殊字符（如：!@#$%）")),
        "{body}"
    );
    let (status, body) = change_password(&app, &token, "123456", "abc123!").await;
    assert_ok_empty(status, &body);
    app.stop().await;
}

#[tokio::test]
async fn password_change_logs_every_session_out_and_records_history() {
    let app = TestApp::spawn_with(&[("PASSWORD_BCRYPT_COST", "4")]).await;
    let token = app.token_for(2).await;
    let other_session = app.token_for(2).await;
    let before = user_row(&app, 2).await;

    let (status, body) = change_password(&app, &token, "123456", "abc123").await;
    assert_ok_empty(status, &body);

    // Every session of the user is gone.
    for t in [&token, &other_session] {
        let (status, body) = json(app.get_auth(ME, t).await).await;
        assert_eq!(
            (status, body),
            (
                401,
                json!({"code": 401, "msg": "Token 已过期", "data": null})
            )
        );
    }
    let sessions = fba_admin::service::token::user_sessions(&app.app_state, 2)
        .await
        .unwrap();
    assert!(sessions.is_empty());

    // The new hash (and its salt) is stored, the change time moved, a history row exists.
    let row = user_row(&app, 2).await;
    let hash = row.password.clone().unwrap();
    assert!(bcrypt::verify("abc123", &hash).unwrap());
    assert!(!bcrypt::verify("123456", &hash).unwrap());
    assert_eq!(row.salt.as_deref(), Some(&hash.as_bytes()[..29]));
    assert!(row.last_password_changed_time > before.last_password_changed_time);
    let history = sys_user_password_history::Entity::find()
        .filter(sys_user_password_history::Column::UserId.eq(2))
        .all(&app.app_state.db)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].password, hash);

    // A fresh session works with the cache rebuilt from the database.
    let token = app.token_for(2).await;
    assert_eq!(me(&app, &token).await["username"], "test");
    app.stop().await;
}

#[tokio::test]
async fn a_recent_password_cannot_be_reused() {
    let app = TestApp::spawn_with(&[("PASSWORD_BCRYPT_COST", "4")]).await;
    let (status, body) = change_password(&app, &app.token_for(2).await, "123456", "first1").await;
    assert_ok_empty(status, &body);
    let (status, body) = change_password(&app, &app.token_for(2).await, "first1", "second2").await;
    assert_ok_empty(status, &body);
    let (status, body) = change_password(&app, &app.token_for(2).await, "second2", "first1").await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (400, Some("新密码不能与最近 3 次使用的密码相同")),
        "{body}"
    );
    // The current password counts too.
    let (status, body) = change_password(&app, &app.token_for(2).await, "second2", "second2").await;
    assert_eq!(status, 400, "{body}");
    let rows = sys_user_password_history::Entity::find()
        .filter(sys_user_password_history::Column::UserId.eq(2))
        .count(&app.app_state.db)
        .await
        .unwrap();
    assert_eq!(rows, 2);
    app.stop().await;
}

#[tokio::test]
async fn codes_are_all_menu_perms_for_a_superuser_and_role_perms_otherwise() {
    let app = TestApp::spawn().await;
    let (status, body) = json(
        app.get_auth("/api/v1/auth/codes", &app.token_for(1).await)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let codes: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    for code in [
        "sys:user:del",
        "sys:dept:add",
        "sys:role:menu:edit",
        "log:opera:clear",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    let mut unique = codes.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), codes.len());

    let (status, body) = json(
        app.get_auth("/api/v1/auth/codes", &app.token_for(2).await)
            .await,
    )
    .await;
    assert_eq!(
        (status, body),
        (200, json!({"code": 200, "msg": "请求成功", "data": []}))
    );
    app.stop().await;
}
