//! `/api/v1/logs/login` through the real app, and the rows every login attempt writes.

use std::time::Duration;

use fba_admin::model::{sys_login_log, sys_user};
use sea_orm::prelude::ChronoUtc;
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

use crate::auth::{login_ok, post_login, spawn_no_captcha, update_user};
use crate::helpers::{TestApp, json};

const LOGS: &str = "/api/v1/logs/login";

/// Waits (up to 5 s) until the log has at least `n` rows; returns them oldest first.
async fn wait_for_rows(app: &TestApp, n: usize) -> Vec<sys_login_log::Model> {
    for _ in 0..100 {
        let rows = sys_login_log::Entity::find()
            .order_by_asc(sys_login_log::Column::Id)
            .all(&app.app_state.db)
            .await
            .unwrap();
        if rows.len() >= n {
            return rows;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("fewer than {n} login log rows after 5 s");
}

async fn insert(app: &TestApp, username: &str, status: i32, ip: &str, secs_ago: u64) -> i64 {
    let t = ChronoUtc::now() - Duration::from_secs(secs_ago);
    fba_admin::crud::login_log::create(
        &app.app_state.db,
        None,
        sys_login_log::Model {
            id: 0,
            user_uuid: uuid::Uuid::new_v4().to_string(),
            username: username.to_owned(),
            status,
            ip: ip.to_owned(),
            country: None,
            region: None,
            city: None,
            user_agent: Some("curl/8".to_owned()),
            os: None,
            browser: None,
            device: None,
            msg: "x".to_owned(),
            login_time: t,
            created_time: t,
        },
    )
    .await
    .unwrap();
    sys_login_log::Entity::find()
        .order_by_desc(sys_login_log::Column::Id)
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn every_login_attempt_is_logged_with_its_outcome() {
    let app = TestApp::spawn_with(&[
        ("SERVER_TRUSTED_PROXIES", "127.0.0.1"),
        ("USER_LOCK_THRESHOLD", "2"),
        ("LOGIN_RATE_LIMIT_PER_MINUTE", "0"),
        ("CAPTCHA_RATE_LIMIT_PER_30S", "0"),
    ])
    .await;
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    let send = |body: Value| {
        app.client
            .post(app.url(crate::auth::LOGIN))
            .header("user-agent", ua)
            .header("x-forwarded-for", "203.0.113.7")
            .json(&body)
            .send()
    };
    // captcha missing, unknown user (captcha checked first, so give it one), wrong password,
    // locked, success
    send(json!({"username": "admin", "password": "123456"}))
        .await
        .unwrap();
    let captcha = |app: &TestApp| {
        let url = app.url("/api/v1/auth/captcha");
        let client = app.client.clone();
        let kv = app.app_state.kv.clone();
        async move {
            let (_, body) = json(client.get(url).send().await.unwrap()).await;
            let uuid = body["data"]["uuid"].as_str().unwrap().to_owned();
            let code = kv
                .get(&format!("fba:login:captcha:{uuid}"))
                .await
                .unwrap()
                .unwrap();
            (uuid, code)
        }
    };
    let (u, c) = captcha(&app).await;
    send(json!({"username": "ghost", "password": "x", "uuid": u, "captcha": c}))
        .await
        .unwrap();
    let (u, c) = captcha(&app).await;
    send(json!({"username": "test", "password": "bad", "uuid": u, "captcha": c}))
        .await
        .unwrap();
    let (u, c) = captcha(&app).await;
    send(json!({"username": "test", "password": "bad", "uuid": u, "captcha": c}))
        .await
        .unwrap();
    let (u, c) = captcha(&app).await;
    send(json!({"username": "test", "password": "123456", "uuid": u, "captcha": c}))
        .await
        .unwrap();
    let (u, c) = captcha(&app).await;
    let resp = send(json!({"username": "admin", "password": "123456", "uuid": u, "captcha": c}))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    let rows = wait_for_rows(&app, 6).await;
    let got: Vec<(&str, i32, &str)> = rows
        .iter()
        .map(|r| (r.username.as_str(), r.status, r.msg.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("admin", 0, "验证码无效，请重新获取"),
            ("ghost", 0, "用户名或密码有误"),
            ("test", 0, "用户名或密码有误"),
            ("test", 0, "登录失败次数过多，账号已被锁定"),
            ("test", 0, "账号已被锁定，请在 5 分钟后重试"),
            ("admin", 1, "登录成功"),
        ]
    );
    let test_uuid = sys_user::Entity::find_by_id(2)
        .one(&app.app_state.db)
        .await
        .unwrap()
        .unwrap()
        .uuid;
    assert_eq!(rows[2].user_uuid, test_uuid);
    assert_eq!(rows[1].user_uuid.len(), 36);
    for r in &rows {
        assert_eq!(r.ip, "203.0.113.7");
        assert_eq!(r.user_agent.as_deref(), Some(ua));
        assert_eq!(r.browser.as_deref(), Some("Chrome 120.0.0.0"));
        assert_eq!(r.device.as_deref(), Some("PC"));
        assert!(r.country.is_none() && r.city.is_none());
    }
    app.stop().await;

    // Disabled user and expired password are logged too.
    let app = spawn_no_captcha(&[]).await;
    update_user(&app, 2, sys_user::Column::Status, 0.into()).await;
    post_login(&app, &json!({"username": "test", "password": "123456"})).await;
    update_user(&app, 2, sys_user::Column::Status, 1.into()).await;
    update_user(
        &app,
        2,
        sys_user::Column::LastPasswordChangedTime,
        (ChronoUtc::now() - Duration::from_secs(400 * 86_400)).into(),
    )
    .await;
    post_login(&app, &json!({"username": "test", "password": "123456"})).await;
    let rows = wait_for_rows(&app, 2).await;
    let msgs: Vec<&str> = rows.iter().map(|r| r.msg.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "用户已被锁定, 请联系统管理员",
            "密码已过期，请修改密码后重新登录"
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn list_needs_a_token_and_filters_and_pages_newest_first() {
    let app = TestApp::spawn().await;
    let (status, body) = json(app.get(LOGS).await).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (401, Some("Not authenticated"))
    );

    insert(&app, "alice", 1, "10.0.0.1", 40).await;
    insert(&app, "alice2", 0, "10.0.0.2", 30).await;
    insert(&app, "bob", 1, "192.168.1.5", 20).await;
    let newest = insert(&app, "carol", 0, "10.0.0.3", 10).await;
    let token = app.token_for(1).await;

    let (status, body) = json(app.get_auth(LOGS, &token).await).await;
    assert_eq!(status, 200);
    let data = &body["data"];
    assert_eq!(data["total"], 4);
    assert_eq!(data["items"][0]["id"], newest);
    let item = data["items"][0].as_object().unwrap();
    let mut keys: Vec<_> = item.keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "browser",
            "city",
            "country",
            "created_time",
            "device",
            "id",
            "ip",
            "login_time",
            "msg",
            "os",
            "region",
            "status",
            "user_agent",
            "user_uuid",
            "username"
        ]
    );
    let created = item["created_time"].as_str().unwrap();
    assert_eq!(created.len(), 19);
    assert_eq!(&created[10..11], " ");

    let names = |body: &Value| -> Vec<String> {
        body["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["username"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, body) = json(
        app.get_auth(&format!("{LOGS}?username=alice"), &token)
            .await,
    )
    .await;
    assert_eq!(names(&body), ["alice2", "alice"]);
    let (_, body) = json(app.get_auth(&format!("{LOGS}?status=0"), &token).await).await;
    assert_eq!(names(&body), ["carol", "alice2"]);
    let (_, body) = json(app.get_auth(&format!("{LOGS}?ip=10.0.0"), &token).await).await;
    assert_eq!(names(&body), ["carol", "alice2", "alice"]);
    let (_, body) = json(
        app.get_auth(&format!("{LOGS}?ip=10.0.0&page=2&size=2"), &token)
            .await,
    )
    .await;
    assert_eq!(names(&body), ["alice"]);
    assert_eq!(body["data"]["total"], 3);
    assert_eq!(body["data"]["total_pages"], 2);
    assert_eq!(
        body["data"]["links"]["prev"],
        "/api/v1/logs/login?ip=10.0.0&page=1&size=2"
    );
    let (status, body) = json(app.get_auth(&format!("{LOGS}?status=abc"), &token).await).await;
    assert_eq!(status, 422);
    assert_eq!(body["data"]["errors"][0]["loc"], json!(["query", "status"]));
    let (status, _) = json(app.get_auth(&format!("{LOGS}?size=0"), &token).await).await;
    assert_eq!(status, 422);
    app.stop().await;
}

#[tokio::test]
async fn delete_by_ids_soft_fails_on_nothing_and_clear_empties_the_log() {
    let app = TestApp::spawn().await;
    let a = insert(&app, "a", 1, "1.1.1.1", 3).await;
    insert(&app, "b", 1, "1.1.1.1", 2).await;
    let token = app.token_for(1).await;
    let delete = |body: Value| {
        app.client
            .delete(app.url(LOGS))
            .bearer_auth(&token)
            .json(&body)
            .send()
    };
    let (status, body) = json(delete(json!({"pks": [a]})).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"code": 200, "msg": "请求成功", "data": null}));
    let (status, body) = json(delete(json!({"pks": [a]})).await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(body, json!({"code": 400, "msg": "请求错误", "data": null}));
    let (status, body) = json(delete(json!({"pks": "x"})).await.unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(body["data"]["errors"][0]["loc"], json!(["body", "pks"]));

    let (status, body) = json(
        app.client
            .delete(app.url(&format!("{LOGS}/all")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["code"].as_i64()), (200, Some(200)));
    let (_, body) = json(app.get_auth(LOGS, &token).await).await;
    assert_eq!(body["data"]["total"], 0);
    let (status, _) = json(
        app.client
            .put(app.url(&format!("{LOGS}/all")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 405);
    app.stop().await;
}

#[tokio::test]
async fn deleting_needs_staff_and_the_permission() {
    let app = spawn_no_captcha(&[]).await;
    let id = insert(&app, "a", 1, "1.1.1.1", 1).await;
    let (token, _, _) = login_ok(&app, "test").await;
    let delete = |path: &str| {
        app.client
            .delete(app.url(path))
            .bearer_auth(&token)
            .json(&json!({"pks": [id]}))
            .send()
    };
    // `test` is not staff: FBA refuses every write first.
    let (status, body) = json(delete(LOGS).await.unwrap()).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("用户已被禁止后台管理操作，请联系系统管理员"))
    );
    // As staff, role 1's menus (1, 2, 3, 50) still grant neither code.
    update_user(&app, 2, sys_user::Column::IsStaff, true.into()).await;
    let (status, body) = json(delete(LOGS).await.unwrap()).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("Permission Denied"))
    );
    let (status, body) = json(delete(&format!("{LOGS}/all")).await.unwrap()).await;
    assert_eq!(
        (status, body["msg"].as_str()),
        (403, Some("Permission Denied"))
    );
    // Reading is open to any signed-in user.
    assert_eq!(app.get_auth(LOGS, &token).await.status(), 200);
    app.stop().await;
}

/// Writes an ip2region file where 203.0.113.7 is in Shanghai (`中国|0|上海|上海市|电信`: FBA
/// reads the fields as country, region, city) and every other address is unknown (`0`).
fn write_xdb() -> std::path::PathBuf {
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    let bytes = fba_common::ip_location::make_xdb(&[
        (ip("0.0.0.0"), ip("203.0.113.6"), "0|0|0|0|0"),
        (
            ip("203.0.113.7"),
            ip("203.0.113.7"),
            "中国|0|上海|上海市|电信",
        ),
        (ip("203.0.113.8"), ip("255.255.255.255"), "0|0|0|0|0"),
    ])
    .unwrap();
    let path = std::env::temp_dir().join(format!(
        "fba-login-log-{}.xdb",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// `(country, region, city)` of a row.
fn place(
    country: &Option<String>,
    region: &Option<String>,
    city: &Option<String>,
) -> [Option<String>; 3] {
    [country.clone(), region.clone(), city.clone()]
}

#[tokio::test]
async fn login_and_opera_log_rows_carry_the_location_of_the_client_ip() {
    use fba_admin::model::sys_opera_log;
    use sea_orm::{ColumnTrait, QueryFilter};

    let xdb = write_xdb();
    let xdb_path = xdb.display().to_string();
    let shanghai = [Some("中国".to_owned()), None, Some("上海".to_owned())];
    let login = |app: &TestApp, ip: &str, trace_id: &str| {
        app.client
            .post(app.url(crate::auth::LOGIN))
            .header("x-forwarded-for", ip)
            .header("x-request-id", trace_id)
            .json(&json!({"username": "admin", "password": "123456"}))
            .send()
    };
    let app = spawn_no_captcha(&[
        ("SERVER_TRUSTED_PROXIES", "127.0.0.1"),
        ("IP_LOCATION_XDB_PATH", &xdb_path),
        ("OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE", "1"),
        ("OPERA_LOG_QUEUE_TIMEOUT", "1"),
    ])
    .await;
    assert!(app.app_state.ip_locator.is_enabled());
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let resp = login(&app, "203.0.113.7", &trace_id).await.unwrap();
    assert_eq!(resp.status(), 200);
    let other = uuid::Uuid::new_v4().simple().to_string();
    let resp = login(&app, "198.51.100.1", &other).await.unwrap();
    assert_eq!(resp.status(), 200);

    let rows = wait_for_rows(&app, 2).await;
    let by_ip = |ip: &str| {
        let r = rows.iter().find(|r| r.ip == ip).unwrap();
        place(&r.country, &r.region, &r.city)
    };
    assert_eq!(by_ip("203.0.113.7"), shanghai);
    assert_eq!(by_ip("198.51.100.1"), [None, None, None]);

    // The operation log row of the same request carries the same location.
    let mut opera = None;
    for _ in 0..100 {
        opera = sys_opera_log::Entity::find()
            .filter(sys_opera_log::Column::TraceId.eq(trace_id.as_str()))
            .one(&app.app_state.db)
            .await
            .unwrap();
        if opera.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let opera = opera.expect("an opera log row for the login");
    assert_eq!(opera.ip, "203.0.113.7");
    assert_eq!(place(&opera.country, &opera.region, &opera.city), shanghai);
    app.stop().await;

    // IP_LOCATION_PARSE=false: no lookups, even with the file there.
    let app = spawn_no_captcha(&[
        ("IP_LOCATION_XDB_PATH", &xdb_path),
        ("IP_LOCATION_PARSE", "false"),
    ])
    .await;
    assert!(!app.app_state.ip_locator.is_enabled());
    let resp = login(
        &app,
        "203.0.113.7",
        &uuid::Uuid::new_v4().simple().to_string(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), 200);
    let rows = wait_for_rows(&app, 1).await;
    assert_eq!(
        place(&rows[0].country, &rows[0].region, &rows[0].city),
        [None, None, None]
    );
    app.stop().await;
    let _ = std::fs::remove_file(&xdb);
}
