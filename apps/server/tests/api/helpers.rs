//! `TestApp`: the shared harness (`fba_testing::TestApp`) with the test routes module
//! plugged in, as every test of this binary starts it.

use std::ops::Deref;
use std::sync::Arc;

use actix_web::web;
use fba_common::AppError;
use fba_common::module::Module;

pub use fba_testing::{
    assert_401, assert_422, assert_error, assert_ok_empty, assert_soft_fail, base_pairs, flatten,
    is_fba_datetime, json, make_staff, redis_url, replica_redis,
};

/// The app under test, with [`TestRoutes`] mounted.
pub struct TestApp(fba_testing::TestApp);

impl Deref for TestApp {
    type Target = fba_testing::TestApp;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl TestApp {
    /// Spawns the app with default settings.
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    /// Spawns the app with extra settings.
    pub async fn spawn_with(extra: &[(&str, &str)]) -> Self {
        let builder = fba_testing::TestApp::builder().module(Arc::new(TestRoutes));
        Self(builder.settings(extra).spawn().await)
    }

    /// Spawns the app on a database the test manages itself (`database_url`), with the Redis of
    /// the environment (or the in-process store) and extra settings.
    pub async fn spawn_on_database(database_url: &str, extra: &[(&str, &str)]) -> Self {
        let builder = fba_testing::TestApp::builder().module(Arc::new(TestRoutes));
        Self(
            builder
                .on_database(database_url)
                .settings(extra)
                .spawn()
                .await,
        )
    }

    /// A second server (replica) on the same database and the same Redis namespace as `other`.
    pub async fn spawn_sharing(other: &TestApp, redis: &str) -> Self {
        Self(
            fba_testing::TestApp::builder()
                .sharing(&other.0, redis)
                .spawn()
                .await,
        )
    }

    /// Stops a replica made by [`TestApp::spawn_sharing`] (the database belongs to the first).
    pub async fn stop_shared(self) {
        self.0.stop_shared().await;
    }

    /// Stops the server and drops its database.
    pub async fn stop(self) {
        self.0.stop().await;
    }
}

/// Routes the tests mount beside fba's own, to exercise the shared error and extractor layer:
/// a module like any other crate's, plugged in with one line ([`TestApp::spawn_with`]).
struct TestRoutes;

impl Module for TestRoutes {
    fn name(&self) -> &'static str {
        "test-routes"
    }

    /// Socket.IO events: `echo` acknowledges with its arguments, `whoami` answers the calling
    /// socket with a `whoami` event carrying the socket's user name.
    fn socket_events(
        &self,
    ) -> Vec<(
        &'static str,
        Arc<dyn fba_common::socketio::SocketEventHandler>,
    )> {
        use fba_common::socketio::{SocketEvent, handler_fn};
        vec![
            ("echo", handler_fn(|e: SocketEvent| async move { e.args })),
            (
                "whoami",
                handler_fn(|e: SocketEvent| async move {
                    let name = e.auth.user.username.clone();
                    let _ = e.emit("whoami", serde_json::json!({ "username": name }));
                    Vec::new()
                }),
            ),
        ]
    }

    /// `/__test/perm` and `/__test/fail/{code}` behind the JWT middleware, under the API prefix.
    fn configure_api(&self, cfg: &mut web::ServiceConfig) {
        fba_common::permission!(SysUserDel = "sys:user:del");
        async fn guarded(p: fba_common::security::Perm<SysUserDel>) -> actix_web::HttpResponse {
            fba_common::response::ok(p.auth.user.username.clone())
        }
        cfg.service(
            fba_common::routing::resource("/__test/perm")
                .route(web::get().to(guarded))
                .route(web::post().to(guarded)),
        )
        .service(fba_common::routing::resource("/__test/fail/{code}").route(web::get().to(fail)));
    }

    fn configure_public(&self, cfg: &mut web::ServiceConfig) {
        #[derive(Debug, serde::Deserialize, serde::Serialize)]
        struct Body {
            username: String,
            age: Option<u8>,
        }
        async fn echo(body: fba_common::extract::Json<Body>) -> actix_web::HttpResponse {
            fba_common::response::ok(body.into_inner())
        }
        async fn item(pk: web::Path<i64>) -> actix_web::HttpResponse {
            fba_common::response::ok(pk.into_inner())
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
            .service(fba_common::routing::resource("/__test/page").route(web::get().to(page)));
    }
}

/// `/__test/fail/{code}`: the error `code` names, through the shared error layer.
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
