//! [`TestApp`]: the real fba-rs App on port 0 against a fresh database and the chosen Kv store.

use std::sync::Arc;

use fba_common::module::Module;
use fba_core_conf::{Settings, Source};
use fba_db::testing::TestDatabase;
use fba_server::Application;
use reqwest::Method;
use serde_json::Value;

use crate::assertions::json;

/// A running app and an HTTP client for it.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// A client that does not follow redirects.
    pub client: reqwest::Client,
    /// The app's shared state (its database, Kv store, settings, modules).
    pub app_state: fba_common::AppState,
    /// The app's authentication (JWT codec, RBAC).
    pub security: actix_web::web::Data<fba_common::security::Security>,
    handle: actix_web::dev::ServerHandle,
    running: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    database_url: String,
    redis_namespace: Option<String>,
    modules: Vec<Arc<dyn Module>>,
    exactly: bool,
    db: Option<TestDatabase>,
}

/// How a [`TestApp`] is started: [`TestApp::builder`].
#[derive(Default)]
pub struct TestAppBuilder {
    modules: Vec<Arc<dyn Module>>,
    exactly: bool,
    settings: Vec<(String, String)>,
    database_url: Option<String>,
    redis: Option<(String, String)>,
}

impl TestAppBuilder {
    /// Adds a module after the server's enabled ones.
    pub fn module(mut self, module: Arc<dyn Module>) -> Self {
        self.modules.push(module);
        self
    }

    /// Makes the app of exactly the modules added with [`TestAppBuilder::module`] (in that
    /// order), without the server's enabled ones.
    pub fn exactly(mut self) -> Self {
        self.exactly = true;
        self
    }

    /// Adds settings (environment variable, value), over the harness's.
    pub fn settings(mut self, extra: &[(&str, &str)]) -> Self {
        self.settings.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        self
    }

    /// Runs on a database the test manages itself (`database_url`) instead of a fresh one.
    pub fn on_database(mut self, database_url: &str) -> Self {
        self.database_url = Some(database_url.to_owned());
        self
    }

    /// A second replica of `other`: the same database, the same modules, the same key
    /// namespace on the Redis at `redis`.
    pub fn sharing(mut self, other: &TestApp, redis: &str) -> Self {
        self.database_url = Some(other.database_url.clone());
        self.redis = Some((
            redis.to_owned(),
            other.redis_namespace.clone().unwrap_or_default(),
        ));
        self.modules = other.modules.clone();
        self.exactly = other.exactly;
        self
    }

    /// Starts the app (a fresh database unless told otherwise).
    ///
    /// # Panics
    /// When the database cannot be created or the app does not start.
    pub async fn spawn(self) -> TestApp {
        let (mut pairs, db) = match &self.database_url {
            Some(url) => (server_pairs(url, self.redis.or_else(fresh_redis)), None),
            None => {
                let db = TestDatabase::create_from_env()
                    .await
                    .expect("test database");
                (base_pairs(&db), Some(db))
            }
        };
        pairs.extend(self.settings);
        let settings = Settings::from_source(&Source::from_pairs(pairs)).expect("valid settings");
        TestApp::start(settings, db, self.modules, self.exactly).await
    }
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

/// A spool directory of its own for the operation log of the app `name` (under the temp dir).
pub fn spool_dir(name: &str) -> String {
    let dir = std::env::temp_dir()
        .join("fba-rs-tests")
        .join(format!("spool-{name}"));
    dir.display().to_string()
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

impl TestApp {
    /// How to start one: modules, settings, database.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// The enabled modules with default test settings, on a fresh database.
    pub async fn spawn() -> Self {
        Self::builder().spawn().await
    }

    async fn start(
        settings: Settings,
        db: Option<TestDatabase>,
        modules: Vec<Arc<dyn Module>>,
        exactly: bool,
    ) -> Self {
        let database_url =
            fba_core_conf::ExposeSecret::expose_secret(&settings.database.url).to_owned();
        let redis_namespace = settings.redis.as_ref().map(|r| r.key_namespace.clone());
        let app = if exactly {
            let list = fba_common::module::Modules::new(modules.clone()).expect("module list");
            Application::build_from(settings, list).await
        } else {
            Application::build_with_modules(settings, modules.clone()).await
        }
        .expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let handle = app.handle();
        let app_state = app.state().clone();
        let security = app.security();
        let running = tokio::spawn(app.run_until_stopped());
        Self {
            running: Some(running),
            address,
            client: http_client_builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            app_state,
            security,
            handle,
            database_url,
            redis_namespace,
            modules,
            exactly,
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

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// GET without a token.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// The database URL this app runs on.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// Closes the app's Socket.IO sockets (a graceful stop would wait for them up to
    /// `SERVER_SHUTDOWN_TIMEOUT`).
    async fn close_sockets(&self) {
        self.app_state
            .socket
            .shutdown(std::time::Duration::from_secs(5))
            .await;
    }

    /// Stops a replica made with [`TestAppBuilder::sharing`] (the database belongs to the
    /// first).
    pub async fn stop_shared(self) {
        self.close_sockets().await;
        self.handle.stop(true).await;
    }

    /// Stops the server, waits for its shutdown work (module services, operation-log flush,
    /// pool close) and drops its database.
    pub async fn stop(mut self) {
        self.close_sockets().await;
        self.handle.stop(true).await;
        if let Some(running) = self.running.take() {
            let _ = running.await;
        }
        let _ = std::fs::remove_dir_all(&self.app_state.settings.opera_log.spool_dir);
        if let Some(db) = self.db.take() {
            db.drop_database().await;
        }
    }
}

/// A reqwest client builder, after installing the process-default TLS provider (the
/// workspace's reqwest has no built-in one: see `fba_agent::tls`).
pub fn http_client_builder() -> reqwest::ClientBuilder {
    fba_agent::tls::install_default_provider();
    reqwest::Client::builder()
}
