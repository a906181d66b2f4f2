//! `TestApp`: the real fba-rs App on port 0 against a fresh database and the chosen Kv backend.
//!
//! Backend from `FBA_TEST_DATABASE` (sqlite by default) and `FBA_TEST_REDIS_URL` (in-process
//! store when unset); each app gets its own database and its own Redis key namespace.

use std::sync::Arc;

use actix_web::web;
use fba_common::AppError;
use fba_core_conf::{Settings, Source};
use fba_db::testing::TestDatabase;
use fba_server::{Application, RouteHook};
use reqwest::Method;
use serde_json::{Value, json};

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub app_state: fba_common::AppState,
    pub security: actix_web::web::Data<fba_common::security::Security>,
    handle: actix_web::dev::ServerHandle,
    running: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    database_url: String,
    redis_namespace: Option<String>,
    db: Option<TestDatabase>,
}

/// The settings every test server gets: its database, a free port, one worker, quiet logs, an
/// operation-log spool of its own, and Redis (`(url, key namespace)`) when given.
fn server_pairs(database_url: &str, redis: Option<(String, String)>) -> Vec<(String, String)> {
    let mut pairs = vec![
        ("DATABASE_URL".to_owned(), database_url.to_owned()),
        ("SERVER_PORT".to_owned(), "0".to_owned()),
        ("SERVER_WORKERS".to_owned(), "1".to_owned()),
        ("LOG_STD_LEVEL".to_owned(), "warn".to_owned()),
        (
            "OPERA_LOG_SPOOL_DIR".to_owned(),
            spool_dir(&uuid::Uuid::new_v4().simple().to_string()),
        ),
    ];
    if let Some((url, namespace)) = redis {
        pairs.push(("REDIS_URL".to_owned(), url));
        pairs.push(("REDIS_KEY_NAMESPACE".to_owned(), namespace));
    }
    pairs
}

/// The Redis of the environment with a fresh key namespace, if any.
fn fresh_redis() -> Option<(String, String)> {
    redis_url().map(|url| (url, format!("test:{}:", uuid::Uuid::new_v4().simple())))
}

/// Settings pairs for a fresh test database plus the Redis of the environment.
pub fn base_pairs(db: &TestDatabase) -> Vec<(String, String)> {
    let mut pairs = server_pairs(db.url(), fresh_redis());
    if let Some(sqlite) = db.sqlite_path() {
        pairs.push(("SQLITE_PATH".to_owned(), sqlite.display().to_string()));
    }
    pairs
}

/// Routes the tests mount beside fba's own, to exercise the shared error and extractor layer.
fn test_routes() -> RouteHook {
    Arc::new(|cfg: &mut web::ServiceConfig| {
        #[derive(Debug, serde::Deserialize, serde::Serialize)]
        struct Body {
            username: String,
            age: Option<u8>,
        }
        async fn echo(body: fba_common::extract::Json<Body>) -> actix_web::HttpResponse {
            fba_common::response::ok(body.into_inner())
        }
        async fn fail(path: web::Path<String>) -> Result<actix_web::HttpResponse, AppError> {
            Err(match path.as_str() {
                "400" => AppError::BadRequest("bad".into()),
                "401" => AppError::Unauthorized("Not authenticated".into()),
                "401t" => AppError::TokenRejected("Token 无效".into()),
                "403" => AppError::Forbidden("Permission Denied".into()),
                "404" => AppError::NotFound("用户不存在".into()),
                "409" => AppError::Conflict("用户名已注册".into()),
                "429" => AppError::TooManyRequests {
                    retry_after_secs: 60,
                },
                "40001" => AppError::Custom {
                    code: 40001,
                    msg: fba_common::i18n::t("error-captcha-error"),
                },
                "503" => AppError::Unavailable("database".into()),
                _ => AppError::Internal("boom: secret detail".into()),
            })
        }
        async fn item(pk: web::Path<i64>) -> actix_web::HttpResponse {
            fba_common::response::ok(pk.into_inner())
        }
        fba_common::permission!(SysUserDel = "sys:user:del");
        async fn guarded(p: fba_common::security::Perm<SysUserDel>) -> actix_web::HttpResponse {
            fba_common::response::ok(p.auth.user.username.clone())
        }
        async fn page(params: fba_common::pagination::PageParams) -> actix_web::HttpResponse {
            let all: Vec<u64> = (1..=57).collect();
            let items = params
                .offset()
                .map(|o| {
                    all.iter()
                        .skip(o as usize)
                        .take(params.limit() as usize)
                        .copied()
                        .collect()
                })
                .unwrap_or_default();
            fba_common::response::ok(fba_common::pagination::Page::new(
                items,
                all.len() as u64,
                &params,
            ))
        }
        cfg.service(fba_common::routing::resource("/__test/echo").route(web::post().to(echo)))
            .service(
                fba_common::routing::resource("/__test/fail/{code}").route(web::get().to(fail)),
            )
            .service(fba_common::routing::resource("/__test/items/{pk}").route(web::get().to(item)))
            .service(fba_common::routing::resource("/__test/page").route(web::get().to(page)))
            .service(
                fba_common::routing::resource("/api/v1/__test/perm")
                    .wrap(fba_common::security::JwtAuth)
                    .route(web::get().to(guarded))
                    .route(web::post().to(guarded)),
            );
    })
}

impl TestApp {
    /// Spawns the app with default settings.
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Spawns the app with extra settings.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> Self {
        let db = TestDatabase::create_from_env()
            .await
            .expect("test database");
        let pairs = base_pairs(&db);
        Self::start_with(pairs, extra, Some(db)).await
    }

    /// Spawns the app on a database the test manages itself (`database_url`), with the Redis of
    /// the environment (or the in-process store) and extra settings.
    pub async fn spawn_on_database(database_url: &str, extra: &[(&str, &str)]) -> Self {
        Self::start_with(server_pairs(database_url, fresh_redis()), extra, None).await
    }

    async fn start_with(
        mut pairs: Vec<(String, String)>,
        extra: &[(&str, &str)],
        db: Option<TestDatabase>,
    ) -> Self {
        pairs.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let settings = Settings::from_source(&Source::from_pairs(pairs)).expect("valid settings");
        Self::start(settings, db).await
    }

    async fn start(settings: Settings, db: Option<TestDatabase>) -> Self {
        let database_url =
            fba_core_conf::ExposeSecret::expose_secret(&settings.database.url).to_owned();
        let redis_namespace = settings.redis.as_ref().map(|r| r.key_namespace.clone());
        let app = Application::build_with(settings, Some(test_routes()))
            .await
            .expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        let app_state = app.state().clone();
        let security = app.security();
        let running = tokio::spawn(app.run_until_stopped());
        Self {
            running: Some(running),
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            app_state,
            security,
            handle,
            database_url,
            redis_namespace,
            db,
        }
    }

    /// An access token for `user_id` made directly through the session service (no login
    /// request): for tests of routes behind authentication.
    pub async fn token_for(&self, user_id: i64) -> String {
        let session = fba_admin::service::token::create_session(
            &self.app_state,
            &self.security,
            user_id,
            true,
            &serde_json::json!({"username": "test", "nickname": "test", "ip": "127.0.0.1", "os": "Linux", "browser": "test", "device": "PC", "last_login_time": "2026-01-01 00:00:00"}),
            true,
        )
        .await
        .expect("session");
        session.access.token
    }

    /// GET with a bearer token.
    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// `method path` with an optional bearer token and JSON body: status and JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(body);
        }
        json(req.send().await.expect("request")).await
    }

    /// GET with a bearer token: status and JSON body.
    pub async fn get_json(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// POST of a JSON body with a bearer token: status and JSON body.
    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// PUT of a JSON body with a bearer token: status and JSON body.
    pub async fn put_json(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// DELETE with a bearer token and an optional JSON body: status and JSON body.
    pub async fn delete_json(&self, path: &str, token: &str, body: Option<&Value>) -> (u16, Value) {
        self.call(Method::DELETE, path, Some(token), body).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// A second server (replica) on the same database and the same Redis namespace as `other`.
    pub async fn spawn_sharing(other: &TestApp, redis: &str) -> Self {
        let namespace = other.redis_namespace.clone().unwrap_or_default();
        let redis = Some((redis.to_owned(), namespace));
        Self::start_with(server_pairs(&other.database_url, redis), &[], None).await
    }

    /// Stops a replica made by [`TestApp::spawn_sharing`] (the database belongs to the first).
    pub async fn stop_shared(self) {
        self.handle.stop(true).await;
    }

    /// Stops the server and drops its database.
    pub async fn stop(mut self) {
        self.handle.stop(true).await;
        // Wait for the shutdown work (operation-log flush, pool close) before dropping the db.
        if let Some(running) = self.running.take() {
            let _ = running.await;
        }
        let _ = std::fs::remove_dir_all(&self.app_state.settings.opera_log.spool_dir);
        if let Some(db) = self.db.take() {
            db.drop_database().await;
        }
    }
}

/// A spool directory of its own for the operation log of the app `name` (under the temp dir).
pub fn spool_dir(name: &str) -> String {
    let dir = std::env::temp_dir()
        .join("fba-rs-tests")
        .join(format!("spool-{name}"));
    dir.display().to_string()
}

/// Status and JSON body of a response.
pub async fn json(resp: reqwest::Response) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    let body = resp.json::<serde_json::Value>().await.expect("a JSON body");
    (status, body)
}

/// `FBA_TEST_REDIS_URL` when set and not empty.
pub fn redis_url() -> Option<String> {
    std::env::var("FBA_TEST_REDIS_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
}

/// `FBA_TEST_REDIS_URL` when the test database is one a second server can share (not SQLite):
/// what the replica tests need; `None` (with a note) otherwise.
pub fn replica_redis() -> Option<String> {
    let (Some(redis), Ok(db_kind)) = (redis_url(), std::env::var("FBA_TEST_DATABASE")) else {
        eprintln!("skipped: needs FBA_TEST_REDIS_URL and a shared server database");
        return None;
    };
    if db_kind == "sqlite" || db_kind.is_empty() {
        eprintln!("skipped: needs a shared server database");
        return None;
    }
    Some(redis)
}

/// Makes `user_id` staff and drops its cached user.
pub async fn make_staff(app: &TestApp, user_id: i64) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    let db = &app.app_state.db;
    let mut user: fba_admin::model::sys_user::ActiveModel =
        fba_admin::model::sys_user::Entity::find_by_id(user_id)
            .one(db)
            .await
            .expect("query")
            .expect("the user")
            .into();
    user.is_staff = Set(true);
    user.update(db).await.expect("update");
    fba_common::security::invalidate_user(&app.app_state, user_id)
        .await
        .expect("invalidate");
}

/// `data` is null and the envelope is FBA's plain success.
pub fn assert_ok_empty(status: u16, body: &Value) {
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        &json!({"code": 200, "msg": "请求成功", "data": null}),
        "{body}"
    );
}

/// FBA's soft failure: HTTP 200 with code 400 `请求错误`.
pub fn assert_soft_fail(status: u16, body: &Value) {
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, &json!({"code": 400, "msg": "请求错误", "data": null}));
}

/// An error envelope with `expected` as status and code and `msg`.
pub fn assert_error(status: u16, body: &Value, expected: u16, msg: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["code"], expected, "{body}");
    assert_eq!(body["msg"], msg, "{body}");
}

/// A 422 whose first error is at `loc`.
pub fn assert_422(status: u16, body: &Value, loc: Value) {
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], 422, "{body}");
    assert_eq!(body["data"]["errors"][0]["loc"], loc, "{body}");
}

/// FBA's 401 without a token.
pub fn assert_401(status: u16, body: &Value) {
    assert_error(status, body, 401, "Not authenticated");
}

/// A JSON string in FBA's datetime format `YYYY-MM-DD HH:MM:SS`.
pub fn is_fba_datetime(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    s.len() == 19
        && s.char_indices().all(|(i, c)| match i {
            4 | 7 => c == '-',
            10 => c == ' ',
            13 | 16 => c == ':',
            _ => c.is_ascii_digit(),
        })
}

/// Every node of a tree (pre-order).
pub fn flatten(nodes: &Value) -> Vec<&Value> {
    let mut out = Vec::new();
    let mut stack: Vec<&Value> = nodes.as_array().expect("a list").iter().rev().collect();
    while let Some(n) = stack.pop() {
        out.push(n);
        if let Some(children) = n.get("children").and_then(Value::as_array) {
            stack.extend(children.iter().rev());
        }
    }
    out
}
