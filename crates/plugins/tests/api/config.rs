//! The `config` plugin (`/api/v1/sys/configs`) through the real app: FBA's seed rows and
//! menus (idempotent), every route's success (the bulk update with the exact body FBA's UI
//! sends, the bulk delete with a bare id list), 422 with its `loc`, 404, 409, 403, 401, the
//! list's filters and order, the cached reads changing right after each write (on a second
//! replica too), the run-time overrides, the data model, the OpenAPI paths and the switch.

use fba_admin::model::sys_menu;
use fba_db::testing::TestDatabase;
use fba_plugins::config::model as config;
use fba_plugins::config::{Overrides, current_overrides};
use fba_testing::{
    TestApp, assert_401, assert_422, assert_error, assert_ok_empty, assert_soft_fail, base_pairs,
    flatten, is_fba_datetime, make_staff, replica_redis,
};
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

const CONFIGS: &str = "/api/v1/sys/configs";

/// FBA's seeded keys per type, in FBA's id order.
const LOGIN_KEYS: [&str; 2] = ["LOGIN_CONFIG_STATUS", "LOGIN_CAPTCHA_ENABLED"];
const EMAIL_KEYS: [&str; 6] = [
    "EMAIL_CONFIG_STATUS",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_USERNAME",
    "EMAIL_PASSWORD",
    "EMAIL_SSL",
];
const USER_SECURITY_KEYS: [&str; 9] = [
    "USER_SECURITY_CONFIG_STATUS",
    "USER_LOCK_THRESHOLD",
    "USER_LOCK_SECONDS",
    "USER_PASSWORD_EXPIRY_DAYS",
    "USER_PASSWORD_REMINDER_DAYS",
    "USER_PASSWORD_HISTORY_CHECK_COUNT",
    "USER_PASSWORD_MIN_LENGTH",
    "USER_PASSWORD_MAX_LENGTH",
    "USER_PASSWORD_REQUIRE_SPECIAL_CHAR",
];

fn all(config_type: &str) -> String {
    format!("{CONFIGS}/all?type={config_type}")
}

fn body(name: &str, config_type: &str, key: &str, value: &str) -> Value {
    json!({"name": name, "type": config_type, "key": key, "value": value,
           "is_frontend": false, "remark": null})
}

/// The rows `/all?type=` answers.
async fn rows(app: &TestApp, token: &str, config_type: &str) -> Vec<Value> {
    let (status, reply) = app.get_json(&all(config_type), token).await;
    assert_eq!(status, 200, "{reply}");
    reply["data"].as_array().unwrap().clone()
}

fn keys(rows: &[Value]) -> Vec<&str> {
    rows.iter().map(|r| r["key"].as_str().unwrap()).collect()
}

fn value_of<'a>(rows: &'a [Value], key: &str) -> &'a Value {
    &rows
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("{key} in {rows:?}"))["value"]
}

/// Creates a row as `token` and returns its id.
async fn create(app: &TestApp, token: &str, b: &Value) -> i64 {
    let (status, reply) = app.post_json(CONFIGS, token, b).await;
    assert_ok_empty(status, &reply);
    config::Entity::find()
        .filter(config::Column::Key.eq(b["key"].as_str().unwrap()))
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// The UI's bulk update: the objects `/all` returned, with `value` replaced for `changes`.
fn ui_body(rows: &[Value], changes: &[(&str, Value)]) -> Value {
    let mut out = rows.to_vec();
    for row in &mut out {
        if let Some((_, v)) = changes.iter().find(|(k, _)| row["key"] == *k) {
            row["value"] = v.clone();
        }
    }
    Value::Array(out)
}

/// `is_enabled` of `GET /auth/captcha` (what the login page reads).
async fn captcha_enabled(app: &TestApp) -> Value {
    let (status, reply) = fba_testing::json(app.get("/api/v1/auth/captcha").await).await;
    assert_eq!(status, 200, "{reply}");
    reply["data"]["is_enabled"].clone()
}

#[tokio::test]
async fn config_seed_is_fba_s_rows_with_the_settings_defaults() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    let login = rows(&app, &admin, "LOGIN").await;
    assert_eq!(keys(&login), LOGIN_KEYS);
    assert_eq!(value_of(&login, "LOGIN_CONFIG_STATUS"), "1");
    assert_eq!(value_of(&login, "LOGIN_CAPTCHA_ENABLED"), "true");
    let row = &login[1];
    let mut fields: Vec<&str> = row
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "created_time",
            "id",
            "is_frontend",
            "key",
            "name",
            "remark",
            "type",
            "updated_time",
            "value"
        ]
    );
    assert_eq!(
        (
            &row["name"],
            &row["type"],
            &row["is_frontend"],
            &row["remark"]
        ),
        (
            &json!("验证码开关"),
            &json!("LOGIN"),
            &json!(false),
            &Value::Null
        )
    );
    assert!(is_fba_datetime(&row["created_time"]), "{row}");
    assert_eq!(row["updated_time"], Value::Null);

    let sec = rows(&app, &admin, "USER_SECURITY").await;
    assert_eq!(keys(&sec), USER_SECURITY_KEYS);
    let expected = [
        ("USER_LOCK_THRESHOLD", "5"),
        ("USER_LOCK_SECONDS", "300"),
        ("USER_PASSWORD_EXPIRY_DAYS", "365"),
        ("USER_PASSWORD_REMINDER_DAYS", "7"),
        ("USER_PASSWORD_HISTORY_CHECK_COUNT", "3"),
        ("USER_PASSWORD_MIN_LENGTH", "6"),
        ("USER_PASSWORD_MAX_LENGTH", "32"),
        ("USER_PASSWORD_REQUIRE_SPECIAL_CHAR", "false"),
    ];
    for (key, value) in expected {
        assert_eq!(value_of(&sec, key), value, "{key}");
    }
    assert_eq!(
        sec.iter()
            .find(|r| r["key"] == "USER_LOCK_THRESHOLD")
            .unwrap()["remark"],
        "0 表示禁用锁定"
    );
    let email = rows(&app, &admin, "EMAIL").await;
    assert_eq!(keys(&email), EMAIL_KEYS);
    assert_eq!(value_of(&email, "EMAIL_PORT"), "465");
    // A type nobody uses: an empty list.
    assert!(rows(&app, &admin, "NOPE").await.is_empty());

    // The seeded rows equal the settings: they override nothing.
    let o = current_overrides(&app.app_state).await.unwrap();
    let settings = &app.app_state.settings;
    assert_eq!(
        o.user_security(&settings.user_security).lock_threshold,
        settings.user_security.lock_threshold
    );
    assert_eq!(
        o.login(&settings.login).captcha_enabled,
        settings.login.captcha_enabled
    );
    app.stop().await;
}

#[tokio::test]
async fn config_crud_round_trip_filters_orders_and_soft_fails() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    let first = create(&app, &admin, &body("站点标题", "SITE", "SITE_TITLE", "fba")).await;
    let second = create(
        &app,
        &admin,
        &json!({"name": "站点图标", "key": "SITE_ICON", "value": "/favicon.ico",
                "is_frontend": true, "remark": "前端用"}),
    )
    .await;
    let (status, detail) = app.get_json(&format!("{CONFIGS}/{first}"), &admin).await;
    assert_eq!(status, 200, "{detail}");
    assert_eq!(
        detail["data"],
        json!({"name": "站点标题", "type": "SITE", "key": "SITE_TITLE", "value": "fba",
               "is_frontend": false, "remark": null, "id": first,
               "created_time": detail["data"]["created_time"], "updated_time": null})
    );
    let (_, detail) = app.get_json(&format!("{CONFIGS}/{second}"), &admin).await;
    assert_eq!(
        (
            &detail["data"]["type"],
            &detail["data"]["is_frontend"],
            &detail["data"]["remark"]
        ),
        (&Value::Null, &json!(true), &json!("前端用"))
    );

    // The page: newest first, `name` and `type` LIKE, FBA's page shape.
    let (status, page) = app.get_json(&format!("{CONFIGS}?size=2"), &admin).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["data"]["total"], 19);
    assert_eq!(page["data"]["total_pages"], 10);
    assert_eq!(
        keys(page["data"]["items"].as_array().unwrap()),
        ["SITE_ICON", "SITE_TITLE"]
    );
    assert_eq!(
        page["data"]["links"]["next"],
        "/api/v1/sys/configs?page=2&size=2"
    );
    let (_, page) = app.get_json(&format!("{CONFIGS}?name=站点"), &admin).await;
    assert_eq!(page["data"]["total"], 2, "{page}");
    let (_, page) = app
        .get_json(&format!("{CONFIGS}?type=SECURITY"), &admin)
        .await;
    assert_eq!(page["data"]["total"], 9, "{page}");
    let (_, page) = app
        .get_json(&format!("{CONFIGS}?type=SITE&name=标题"), &admin)
        .await;
    assert_eq!(
        keys(page["data"]["items"].as_array().unwrap()),
        ["SITE_TITLE"]
    );
    let (_, page) = app.get_json(&format!("{CONFIGS}?name="), &admin).await;
    assert_eq!(page["data"]["total"], 19, "an empty filter filters nothing");

    // Update (same key, and a new free key).
    let path = format!("{CONFIGS}/{first}");
    let (status, reply) = app
        .put_json(&path, &admin, &body("站点名", "SITE", "SITE_TITLE", "FBA"))
        .await;
    assert_ok_empty(status, &reply);
    let (_, detail) = app.get_json(&path, &admin).await;
    assert_eq!(detail["data"]["value"], "FBA");
    assert!(is_fba_datetime(&detail["data"]["updated_time"]), "{detail}");
    let (status, reply) = app
        .put_json(&path, &admin, &body("站点名", "SITE", "SITE_NAME", "FBA"))
        .await;
    assert_ok_empty(status, &reply);
    let (_, detail) = app.get_json(&path, &admin).await;
    assert_eq!(detail["data"]["key"], "SITE_NAME");

    // 404s.
    let (status, reply) = app.get_json(&format!("{CONFIGS}/999999"), &admin).await;
    assert_error(status, &reply, 404, "参数配置不存在");
    let (status, reply) = app
        .put_json(
            &format!("{CONFIGS}/999999"),
            &admin,
            &body("x", "X", "X", "x"),
        )
        .await;
    assert_error(status, &reply, 404, "参数配置不存在");

    // The bulk delete takes a bare list; nothing deleted is FBA's soft failure.
    let (status, reply) = app
        .delete_json(CONFIGS, &admin, Some(&json!([first, second, 999_999])))
        .await;
    assert_ok_empty(status, &reply);
    let (status, reply) = app.get_json(&path, &admin).await;
    assert_error(status, &reply, 404, "参数配置不存在");
    let (status, reply) = app
        .delete_json(CONFIGS, &admin, Some(&json!([first])))
        .await;
    assert_soft_fail(status, &reply);
    let (status, reply) = app.delete_json(CONFIGS, &admin, Some(&json!([]))).await;
    assert_soft_fail(status, &reply);
    let (status, reply) = app.put_json(CONFIGS, &admin, &json!([])).await;
    assert_soft_fail(status, &reply);
    app.stop().await;
}

#[tokio::test]
async fn config_bulk_update_takes_the_ui_body_and_cached_reads_follow_every_write() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    // The UI's security form: read the rows, send them all back with new values. The reads
    // fill the cache first.
    let sec = rows(&app, &admin, "USER_SECURITY").await;
    let threshold_id = sec
        .iter()
        .find(|r| r["key"] == "USER_LOCK_THRESHOLD")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let detail = format!("{CONFIGS}/{threshold_id}");
    let (_, cached) = app.get_json(&detail, &admin).await;
    assert_eq!(cached["data"]["value"], "5");
    let sent = ui_body(
        &sec,
        &[
            ("USER_LOCK_THRESHOLD", json!("3")),
            ("USER_PASSWORD_MIN_LENGTH", json!("8")),
            ("USER_PASSWORD_REQUIRE_SPECIAL_CHAR", json!("true")),
        ],
    );
    assert!(
        sent[0].get("created_time").is_some(),
        "the UI sends every field back"
    );
    let (status, reply) = app.put_json(CONFIGS, &admin, &sent).await;
    assert_ok_empty(status, &reply);
    let after = rows(&app, &admin, "USER_SECURITY").await;
    assert_eq!(value_of(&after, "USER_LOCK_THRESHOLD"), "3");
    assert_eq!(value_of(&after, "USER_PASSWORD_MIN_LENGTH"), "8");
    assert_eq!(value_of(&after, "USER_LOCK_SECONDS"), "300");
    assert!(is_fba_datetime(&after[1]["updated_time"]), "{after:?}");
    let (_, fresh) = app.get_json(&detail, &admin).await;
    assert_eq!(
        fresh["data"]["value"], "3",
        "the cached detail follows the bulk update"
    );

    // The overrides follow at once.
    let o = current_overrides(&app.app_state).await.unwrap();
    assert_eq!(
        (
            o.lock_threshold,
            o.password_min_length,
            o.password_require_special_char
        ),
        (Some(3), Some(8), Some(true))
    );

    // The e-mail form sends EMAIL_PORT back as a JSON number.
    let email = rows(&app, &admin, "EMAIL").await;
    let (status, reply) = app
        .put_json(
            CONFIGS,
            &admin,
            &ui_body(&email, &[("EMAIL_PORT", json!(587))]),
        )
        .await;
    assert_ok_empty(status, &reply);
    let email = rows(&app, &admin, "EMAIL").await;
    assert_eq!(value_of(&email, "EMAIL_PORT"), "587");

    // The login form: the captcha switch, then the whole group switched off.
    let login = rows(&app, &admin, "LOGIN").await;
    let (status, reply) = app
        .put_json(
            CONFIGS,
            &admin,
            &ui_body(&login, &[("LOGIN_CAPTCHA_ENABLED", json!("false"))]),
        )
        .await;
    assert_ok_empty(status, &reply);
    let login = rows(&app, &admin, "LOGIN").await;
    assert_eq!(value_of(&login, "LOGIN_CAPTCHA_ENABLED"), "false");
    let o = current_overrides(&app.app_state).await.unwrap();
    assert_eq!(o.captcha_enabled, Some(false));
    assert!(!o.login(&app.app_state.settings.login).captcha_enabled);
    // The admin core asks the app's overrides: the login page is told the captcha is off.
    assert_eq!(captcha_enabled(&app).await, json!(false));
    let (status, reply) = app
        .put_json(
            CONFIGS,
            &admin,
            &ui_body(&login, &[("LOGIN_CONFIG_STATUS", json!("0"))]),
        )
        .await;
    assert_ok_empty(status, &reply);
    assert_eq!(
        current_overrides(&app.app_state)
            .await
            .unwrap()
            .captcha_enabled,
        None
    );
    assert_eq!(
        captcha_enabled(&app).await,
        json!(true),
        "back to the start-up setting"
    );

    // A single update and a delete change the cached reads at once.
    let status_id = login[0]["id"].as_i64().unwrap();
    let (status, reply) = app
        .put_json(
            &format!("{CONFIGS}/{status_id}"),
            &admin,
            &body("状态", "LOGIN", "LOGIN_CONFIG_STATUS", "1"),
        )
        .await;
    assert_ok_empty(status, &reply);
    let login = rows(&app, &admin, "LOGIN").await;
    assert_eq!(value_of(&login, "LOGIN_CONFIG_STATUS"), "1");
    assert_eq!(
        current_overrides(&app.app_state)
            .await
            .unwrap()
            .captcha_enabled,
        Some(false)
    );
    let captcha_id = login[1]["id"].as_i64().unwrap();
    let (_, cached) = app
        .get_json(&format!("{CONFIGS}/{captcha_id}"), &admin)
        .await;
    assert_eq!(cached["data"]["value"], "false");
    let (status, reply) = app
        .delete_json(CONFIGS, &admin, Some(&json!([captcha_id])))
        .await;
    assert_ok_empty(status, &reply);
    let (status, reply) = app
        .get_json(&format!("{CONFIGS}/{captcha_id}"), &admin)
        .await;
    assert_error(status, &reply, 404, "参数配置不存在");
    assert_eq!(
        keys(&rows(&app, &admin, "LOGIN").await),
        ["LOGIN_CONFIG_STATUS"]
    );
    assert_eq!(
        current_overrides(&app.app_state)
            .await
            .unwrap()
            .captcha_enabled,
        None
    );

    // A create shows in the cached list of its type at once (FBA leaves it stale).
    create(
        &app,
        &admin,
        &body("验证码开关", "LOGIN", "LOGIN_CAPTCHA_ENABLED", "true"),
    )
    .await;
    assert_eq!(keys(&rows(&app, &admin, "LOGIN").await), LOGIN_KEYS);
    assert_eq!(
        current_overrides(&app.app_state).await.unwrap(),
        Overrides {
            captcha_enabled: Some(true),
            lock_threshold: Some(3),
            lock_secs: Some(300),
            password_expiry_days: Some(365),
            password_reminder_days: Some(7),
            password_history_check_count: Some(3),
            password_min_length: Some(8),
            password_max_length: Some(32),
            password_require_special_char: Some(true),
        }
    );
    app.stop().await;
}

#[tokio::test]
async fn config_reads_are_served_from_the_cache_until_a_write() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let login = rows(&app, &admin, "LOGIN").await;
    let captcha = login[1]["id"].as_i64().unwrap();
    let detail = format!("{CONFIGS}/{captcha}");
    let (_, cached) = app.get_json(&detail, &admin).await;
    assert_eq!(cached["data"]["value"], "true");

    // A change behind the plugin's back is not seen: both reads come from the cache.
    config::ActiveModel {
        id: Set(captcha),
        value: Set("false".to_owned()),
        ..Default::default()
    }
    .update(&app.app_state.db)
    .await
    .unwrap();
    let (_, stale) = app.get_json(&detail, &admin).await;
    assert_eq!(stale["data"]["value"], "true");
    assert_eq!(
        value_of(&rows(&app, &admin, "LOGIN").await, "LOGIN_CAPTCHA_ENABLED"),
        "true"
    );
    assert_eq!(
        current_overrides(&app.app_state)
            .await
            .unwrap()
            .captcha_enabled,
        Some(true)
    );

    // Any write through the plugin drops every cached config value.
    create(&app, &admin, &body("other", "OTHER", "OTHER_KEY", "x")).await;
    let (_, fresh) = app.get_json(&detail, &admin).await;
    assert_eq!(fresh["data"]["value"], "false");
    assert_eq!(
        value_of(&rows(&app, &admin, "LOGIN").await, "LOGIN_CAPTCHA_ENABLED"),
        "false"
    );
    assert_eq!(
        current_overrides(&app.app_state)
            .await
            .unwrap()
            .captcha_enabled,
        Some(false)
    );
    app.stop().await;
}

#[tokio::test]
async fn config_bad_input_is_422_with_its_loc() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    // `/all` without `type`: FBA answers 500 (no cache key); here 422 `missing`.
    let (status, reply) = app.get_json(&format!("{CONFIGS}/all"), &admin).await;
    assert_422(status, &reply, json!(["query", "type"]));
    assert_eq!(reply["data"]["errors"][0]["type"], "missing");
    let (status, reply) = app.get_json(&format!("{CONFIGS}/abc"), &admin).await;
    assert_422(status, &reply, json!(["path", "pk"]));
    let (status, reply) = app.get_json(&format!("{CONFIGS}?page=0"), &admin).await;
    assert_422(status, &reply, json!(["query", "page"]));

    // Create: every invalid field, in FBA's field order.
    let (status, reply) = app
        .post_json(
            CONFIGS,
            &admin,
            &json!({"name": "n".repeat(33), "value": "v"}),
        )
        .await;
    assert_422(status, &reply, json!(["body", "name"]));
    let locs: Vec<&Value> = reply["data"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["loc"])
        .collect();
    assert_eq!(
        locs,
        [
            &json!(["body", "name"]),
            &json!(["body", "key"]),
            &json!(["body", "is_frontend"]),
        ]
    );
    let mut bad = body("n", "T", "K", "v");
    bad["key"] = json!("k".repeat(65));
    let (status, reply) = app.post_json(CONFIGS, &admin, &bad).await;
    assert_422(status, &reply, json!(["body", "key"]));
    let mut bad = body("n", "T", "K", "v");
    bad["is_frontend"] = json!("maybe");
    let (status, reply) = app.put_json(&format!("{CONFIGS}/1"), &admin, &bad).await;
    assert_422(status, &reply, json!(["body", "is_frontend"]));

    // The bulk update: the element's index in the loc.
    let sec = rows(&app, &admin, "USER_SECURITY").await;
    let mut sent = ui_body(&sec, &[]);
    sent[2]["value"] = json!({"a": 1});
    sent[4].as_object_mut().unwrap().remove("id");
    let (status, reply) = app.put_json(CONFIGS, &admin, &sent).await;
    assert_422(status, &reply, json!(["body", 2, "value"]));
    assert_eq!(reply["data"]["errors"][1]["loc"], json!(["body", 4, "id"]));
    let (status, reply) = app
        .put_json(CONFIGS, &admin, &json!({"id": 1, "key": "K"}))
        .await;
    assert_422(status, &reply, json!(["body"]));
    // Nothing was written.
    assert_eq!(rows(&app, &admin, "USER_SECURITY").await, sec);

    // The bulk delete: a bare list of ints.
    let (status, reply) = app
        .delete_json(CONFIGS, &admin, Some(&json!([1, "x"])))
        .await;
    assert_422(status, &reply, json!(["body", 1]));
    let (status, reply) = app
        .delete_json(CONFIGS, &admin, Some(&json!({"pks": [1]})))
        .await;
    assert_422(status, &reply, json!(["body"]));
    let (status, reply) = app.call(Method::DELETE, CONFIGS, Some(&admin), None).await;
    assert_eq!(status, 422, "{reply}");
    app.stop().await;
}

#[tokio::test]
async fn config_key_conflicts_are_409_and_unknown_ids_404() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let a = create(&app, &admin, &body("A", "QQ", "KEY_A", "a")).await;
    let b = create(&app, &admin, &body("B", "QQ", "KEY_B", "b")).await;

    let (status, reply) = app
        .post_json(CONFIGS, &admin, &body("A2", "QQ", "KEY_A", "x"))
        .await;
    assert_error(status, &reply, 409, "参数配置 KEY_A 已存在");
    let (status, reply) = app
        .put_json(
            &format!("{CONFIGS}/{b}"),
            &admin,
            &body("B", "QQ", "KEY_A", "b"),
        )
        .await;
    assert_error(status, &reply, 409, "参数配置 KEY_A 已存在");

    let item = |id: i64, key: &str| {
        let mut v = body(key, "QQ", key, "v");
        v["id"] = json!(id);
        v
    };
    // Two rows given the same new key in one body.
    let (status, reply) = app
        .put_json(
            CONFIGS,
            &admin,
            &json!([item(a, "KEY_C"), item(b, "KEY_C")]),
        )
        .await;
    assert_error(status, &reply, 409, "参数配置键名重复");
    // A new key another row holds.
    let (status, reply) = app
        .put_json(CONFIGS, &admin, &json!([item(a, "KEY_B")]))
        .await;
    assert_error(status, &reply, 409, "参数配置 KEY_B 已存在");
    // An unknown id, even next to a valid element.
    let (status, reply) = app
        .put_json(
            CONFIGS,
            &admin,
            &json!([item(a, "KEY_A"), item(999_999, "KEY_Z")]),
        )
        .await;
    assert_error(status, &reply, 404, "参数配置不存在");
    // Nothing changed; then a rename that frees a key works.
    let (_, page) = app.get_json(&format!("{CONFIGS}?type=QQ"), &admin).await;
    assert_eq!(
        keys(page["data"]["items"].as_array().unwrap()),
        ["KEY_B", "KEY_A"]
    );
    let (status, reply) = app
        .put_json(
            CONFIGS,
            &admin,
            &json!([item(a, "KEY_C"), item(b, "KEY_B")]),
        )
        .await;
    assert_ok_empty(status, &reply);
    let (_, page) = app.get_json(&format!("{CONFIGS}?type=QQ"), &admin).await;
    assert_eq!(
        keys(page["data"]["items"].as_array().unwrap()),
        ["KEY_B", "KEY_C"]
    );

    // Messages follow the request's language.
    let resp = app
        .client
        .post(app.url(CONFIGS))
        .bearer_auth(&admin)
        .header("Accept-Language", "en-US")
        .json(&body("A2", "QQ", "KEY_B", "x"))
        .send()
        .await
        .unwrap();
    let (status, reply) = fba_testing::json(resp).await;
    assert_error(status, &reply, 409, "Config KEY_B already exists");
    app.stop().await;
}

#[tokio::test]
async fn config_writes_need_their_permission_and_every_route_a_token() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let id = create(&app, &admin, &body("P", "T", "PERM_KEY", "p")).await;
    let detail = format!("{CONFIGS}/{id}");
    let mut bulk_item = body("P", "T", "PERM_KEY", "q");
    bulk_item["id"] = json!(id);
    let bulk = json!([bulk_item]);

    let calls = [
        (Method::GET, all("LOGIN"), None),
        (Method::GET, detail.clone(), None),
        (Method::GET, CONFIGS.to_owned(), None),
        (
            Method::POST,
            CONFIGS.to_owned(),
            Some(body("Q", "T", "Q", "q")),
        ),
        (Method::PUT, CONFIGS.to_owned(), Some(bulk.clone())),
        (
            Method::PUT,
            detail.clone(),
            Some(body("P", "T", "PERM_KEY", "q")),
        ),
        (Method::DELETE, CONFIGS.to_owned(), Some(json!([id]))),
    ];
    for (method, path, b) in &calls {
        let (status, reply) = app.call(method.clone(), path, None, b.as_ref()).await;
        assert_401(status, &reply);
    }

    make_staff(&app, 2).await;
    let staff = app.token_for(2).await;
    for (method, path, b) in &calls {
        let (status, reply) = app
            .call(method.clone(), path, Some(&staff), b.as_ref())
            .await;
        if *method == Method::GET {
            assert_eq!(status, 200, "{method} {path}: {reply}");
        } else {
            assert_eq!(status, 403, "{method} {path}: {reply}");
            assert_eq!(reply["code"], 403, "{reply}");
        }
    }

    // The seeded bulk-update button (FBA's `sys.config.edits`) lets a role use the UI's form.
    let (_, menus) = app.get_json("/api/v1/sys/menus", &admin).await;
    let all_menus = flatten(&menus["data"]);
    let menu_id = |name: &str| {
        all_menus
            .iter()
            .find(|m| m["name"] == name)
            .and_then(|m| m["id"].as_i64())
            .unwrap_or_else(|| panic!("menu {name}"))
    };
    let (_, roles) = app.get_json("/api/v1/sys/users/2/roles", &admin).await;
    let role = roles["data"][0]["id"].as_i64().expect("user 2 has a role");
    let (_, granted) = app
        .get_json(&format!("/api/v1/sys/roles/{role}/menus"), &admin)
        .await;
    let mut menu_ids: Vec<i64> = flatten(&granted["data"])
        .iter()
        .filter_map(|m| m["id"].as_i64())
        .collect();
    menu_ids.extend([menu_id("PluginConfig"), menu_id("EditConfigs")]);
    let (status, reply) = app
        .put_json(
            &format!("/api/v1/sys/roles/{role}/menus"),
            &admin,
            &json!({"menus": menu_ids}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    let (status, reply) = app.put_json(CONFIGS, &staff, &bulk).await;
    assert_ok_empty(status, &reply);
    let (status, reply) = app
        .put_json(&detail, &staff, &calls[5].2.clone().unwrap())
        .await;
    assert_eq!(status, 403, "the single update needs its own code: {reply}");
    app.stop().await;
}

#[tokio::test]
async fn config_menus_data_model_and_openapi_follow_fba() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;

    let (status, tree) = app.get_json("/api/v1/sys/menus", &admin).await;
    assert_eq!(status, 200, "{tree}");
    let nodes = flatten(&tree["data"]);
    let system = nodes.iter().find(|n| n["name"] == "System").unwrap();
    let menu = flatten(&system["children"])
        .into_iter()
        .find(|n| n["name"] == "PluginConfig")
        .expect("PluginConfig under System");
    assert_eq!(
        (
            &menu["title"],
            &menu["path"],
            &menu["sort"],
            &menu["icon"],
            &menu["type"],
            &menu["component"],
            &menu["perms"],
        ),
        (
            &json!("config.menu"),
            &json!("/plugins/config"),
            &json!(7),
            &json!("codicon:symbol-parameter"),
            &json!(1),
            &json!("/plugins/config/views/index"),
            &Value::Null,
        )
    );
    let buttons: Vec<(&str, &str, &str, i64)> = menu["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["name"].as_str().unwrap(),
                b["title"].as_str().unwrap(),
                b["perms"].as_str().unwrap(),
                b["type"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        buttons,
        [
            ("AddConfig", "新增", "sys:config:add", 2),
            ("EditConfig", "修改", "sys:config:edit", 2),
            ("EditConfigs", "批量修改", "sys.config.edits", 2),
            ("DeleteConfig", "删除", "sys:config:del", 2),
        ]
    );

    let (_, models) = app.get_json("/api/v1/sys/data-rules/models", &admin).await;
    assert!(
        models["data"]
            .as_array()
            .unwrap()
            .contains(&json!("Config")),
        "{models}"
    );
    let (status, columns) = app
        .get_json("/api/v1/sys/data-rules/models/Config/columns", &admin)
        .await;
    assert_eq!(status, 200, "{columns}");
    let own: Vec<(&str, &str)> = columns["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| !c["key"].as_str().unwrap().starts_with("__"))
        .map(|c| (c["key"].as_str().unwrap(), c["comment"].as_str().unwrap()))
        .collect();
    assert_eq!(
        own,
        [
            ("name", "名称"),
            ("type", "类型"),
            ("key", "键名"),
            ("value", "键值"),
            ("is_frontend", "是否前端"),
            ("remark", "备注"),
        ]
    );

    let (status, doc) = fba_testing::json(app.get("/openapi").await).await;
    assert_eq!(status, 200);
    let expected = [
        (
            "/api/v1/sys/configs/all",
            "get",
            "get_all_configs",
            "获取所有参数配置",
        ),
        (
            "/api/v1/sys/configs/{pk}",
            "get",
            "get_config",
            "获取参数配置详情",
        ),
        (
            "/api/v1/sys/configs/{pk}",
            "put",
            "update_config",
            "更新参数配置",
        ),
        (
            "/api/v1/sys/configs",
            "get",
            "get_configs_paginated",
            "分页获取所有参数配置",
        ),
        (
            "/api/v1/sys/configs",
            "post",
            "create_config",
            "创建参数配置",
        ),
        (
            "/api/v1/sys/configs",
            "put",
            "bulk_update_config",
            "批量更新参数配置",
        ),
        (
            "/api/v1/sys/configs",
            "delete",
            "delete_configs",
            "批量删除参数配置",
        ),
    ];
    for (path, method, operation_id, summary) in expected {
        let op = &doc["paths"][path][method];
        assert_eq!(op["operationId"], operation_id, "{method} {path}");
        assert_eq!(op["summary"], summary, "{method} {path}");
        assert_eq!(op["tags"], json!(["系统参数配置"]), "{method} {path}");
        assert_eq!(
            op["security"],
            json!([{"HTTPBearer": []}]),
            "{method} {path}"
        );
    }
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.starts_with(CONFIGS))
        .map(|(_, item)| item.as_object().unwrap().len())
        .sum();
    assert_eq!(operations, expected.len());
    app.stop().await;
}

#[tokio::test]
async fn config_seed_runs_again_without_duplicates() {
    let db = TestDatabase::create_from_env().await.unwrap();
    let pairs = base_pairs(&db);
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for _ in 0..2 {
        let app = TestApp::builder()
            .settings(&pairs)
            .on_database(db.url())
            .spawn()
            .await;
        let conn = &app.app_state.db;
        assert_eq!(config::Entity::find().count(conn).await.unwrap(), 17);
        let buttons = sys_menu::Entity::find()
            .filter(
                sys_menu::Column::Perms
                    .like("sys:config:%")
                    .or(sys_menu::Column::Perms.eq("sys.config.edits")),
            )
            .count(conn)
            .await
            .unwrap();
        assert_eq!(buttons, 4);
        app.stop_shared().await;
    }
    db.drop_database().await;
}

#[tokio::test]
async fn config_plugin_switch_turns_its_routes_off_and_on() {
    let app = TestApp::spawn().await;
    let admin = app.token_for(1).await;
    let switch = "/api/v1/sys/plugins/config/status";
    let (status, reply) = app.put_json(switch, &admin, &json!({})).await;
    assert_ok_empty(status, &reply);
    let (status, reply) = app.get_json(&all("LOGIN"), &admin).await;
    assert_error(status, &reply, 403, "插件 config 未启用，请联系系统管理员");
    let (status, reply) = app.put_json(CONFIGS, &admin, &ui_body(&[], &[])).await;
    assert_error(status, &reply, 403, "插件 config 未启用，请联系系统管理员");
    let (status, reply) = app.put_json(switch, &admin, &json!({})).await;
    assert_ok_empty(status, &reply);
    assert_eq!(keys(&rows(&app, &admin, "LOGIN").await), LOGIN_KEYS);
    app.stop().await;
}

#[tokio::test]
async fn config_write_on_one_replica_reaches_the_other_s_cache() {
    let Some(redis) = replica_redis() else {
        return;
    };
    let a = TestApp::spawn().await;
    let b = TestApp::builder().sharing(&a, &redis).spawn().await;
    let token_a = a.token_for(1).await;
    let token_b = b.token_for(1).await;

    // Both replicas read (and cache) the login rows and one row.
    let login = rows(&b, &token_b, "LOGIN").await;
    assert_eq!(rows(&a, &token_a, "LOGIN").await, login);
    let captcha = login[1]["id"].as_i64().unwrap();
    let (_, cached) = b.get_json(&format!("{CONFIGS}/{captcha}"), &token_b).await;
    assert_eq!(cached["data"]["value"], "true");

    let (status, reply) = a
        .put_json(
            CONFIGS,
            &token_a,
            &ui_body(&login, &[("LOGIN_CAPTCHA_ENABLED", json!("false"))]),
        )
        .await;
    assert_ok_empty(status, &reply);
    let mut seen = Value::Null;
    for _ in 0..50 {
        let (_, reply) = b.get_json(&format!("{CONFIGS}/{captcha}"), &token_b).await;
        seen = reply["data"]["value"].clone();
        if seen == "false" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, "false", "replica b still serves the old value");
    assert_eq!(
        value_of(&rows(&b, &token_b, "LOGIN").await, "LOGIN_CAPTCHA_ENABLED"),
        "false"
    );
    assert_eq!(
        current_overrides(&b.app_state)
            .await
            .unwrap()
            .captcha_enabled,
        Some(false)
    );
    // The captcha is off on both replicas at once: the login page is told so, and a login
    // without a captcha succeeds on the replica that did not take the write.
    assert_eq!(captcha_enabled(&a).await, json!(false));
    assert_eq!(captcha_enabled(&b).await, json!(false));
    let (status, reply) = b
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"username": "admin", "password": "123456"})),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    b.stop_shared().await;
    a.stop().await;
}
