//! Building and running the server: [`Application::build`] does all I/O needed before the first
//! request (stores, migrations, listener), so a failure is reported before serving starts.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::middleware::Condition;
use actix_web::{App, HttpServer, web};
use fba_common::AppState;
use fba_common::ip_location::IpLocator;
use fba_common::metrics::{Metrics, PoolGauge, RequestMetrics};
use fba_common::middleware::opera_log::{OperaLog, OperaLogQueue};
use fba_common::middleware::{BodyDeadline, RequestContext};
use fba_common::module::{Module, Modules, RunningServices};
use fba_core_conf::Settings;

use crate::bootstrap::{self, BootstrapError};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Storage could not be prepared.
    #[error(transparent)]
    Bootstrap(#[from] BootstrapError),
    /// The operation log's spool could not be opened (`OPERA_LOG_SPOOL_DIR`).
    #[error(transparent)]
    OperaLogSpool(#[from] fba_common::middleware::opera_log::SpoolError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// `host:port`.
        addr: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A server bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    security: web::Data<fba_common::security::Security>,
    opera_log: OperaLogQueue,
    services: RunningServices,
}

impl Application {
    /// Connects the stores, migrates (seeding a new database) and binds `SERVER_HOST:SERVER_PORT`
    /// (port 0 picks a free one: see [`Application::port`]), with the modules this build
    /// enables ([`crate::modules::enabled`]).
    ///
    /// # Errors
    /// [`StartupError`] when a store is unreachable, a migration fails or the port is taken.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_modules(settings, Vec::new()).await
    }

    /// Like [`Application::build`], with `extra` modules after the enabled ones (services that
    /// embed fba-rs, and tests): their routes run behind the same middleware and error
    /// handling, their migrations, seeds, settings and services like the built-in ones'.
    ///
    /// # Errors
    /// As [`Application::build`]; also two modules sharing a name, or an invalid section of a
    /// module's settings.
    pub async fn build_with_modules(
        settings: Settings,
        extra: Vec<Arc<dyn Module>>,
    ) -> Result<Self, StartupError> {
        let modules = crate::modules::with(extra).map_err(BootstrapError::from)?;
        Self::build_from(settings, modules).await
    }

    /// Like [`Application::build`], made of exactly `modules` (none of the enabled ones unless
    /// listed): services that compose their own app, and tests of a module list.
    ///
    /// # Errors
    /// As [`Application::build_with_modules`].
    pub async fn build_from(
        mut settings: Settings,
        modules: Modules,
    ) -> Result<Self, StartupError> {
        bootstrap::register_settings(&mut settings, &modules).map_err(BootstrapError::from)?;
        let settings = Arc::new(settings);
        let db = bootstrap::connect_database(&settings).await?;
        let outcome = bootstrap::migrate(db.inner(), &modules, &settings).await?;
        if outcome.applied > 0 || outcome.seeded {
            tracing::info!(
                applied = outcome.applied,
                seeded = outcome.seeded,
                "database prepared"
            );
        }
        let kv = bootstrap::open_kv(&settings).await?;
        tracing::info!(
            database = %settings.database.redacted_url(),
            kv = kv.backend().as_str(),
            modules = ?modules,
            "stores ready"
        );
        let ip_locator = IpLocator::from_settings(&settings.ip_location);
        let state =
            bootstrap::app_state(Arc::clone(&settings), db, kv, ip_locator, modules.clone())
                .await?;
        fba_common::datetime::set_timezone(settings.time.timezone);
        let security = web::Data::new(bootstrap::security(&state).await?);
        state
            .sessions
            .watch(&state.kv)
            .await
            .map_err(BootstrapError::from)?;
        state.cache.watch().await.map_err(BootstrapError::from)?;
        // The operation log's queue and writer run beside the server; flushed when it stops.
        let sink = modules
            .opera_log_sink(&state)
            .await
            .map_err(|e| BootstrapError::Module(e.to_string()))?
            .ok_or(BootstrapError::Missing("the operation log's store"))?;
        let opera_log = OperaLogQueue::start(&settings.opera_log, sink)?;
        let metrics = settings.grafana.metrics_enable.then(|| {
            let metrics = Metrics::for_app(fba_common::metrics::APP_NAME, |registry| {
                modules.register_metrics(registry)
            });
            opera_log.observe(&metrics);
            watch_pool(&metrics, &state.db, settings.database.pool.min_connections);
            metrics
        });
        let (doc, titles) = crate::openapi::BuiltDocument::build(&settings.api, &modules);
        let opera_log_mw = OperaLog::new(&settings, opera_log.sender(), titles);
        let services = modules
            .start(&state)
            .await
            .map_err(|e| BootstrapError::Module(e.to_string()))?;
        let addr = settings.server.bind_addr();
        let listener = TcpListener::bind(&addr).map_err(|source| StartupError::Bind {
            addr: addr.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or(settings.server.port);
        let server = run(
            listener,
            state.clone(),
            security.clone(),
            opera_log_mw,
            doc,
            metrics,
        )
        .map_err(|source| StartupError::Bind { addr, source })?;
        Ok(Self {
            port,
            server,
            state,
            security,
            opera_log,
            services,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The shared state (for tests and embedding).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGINT/SIGTERM (graceful: in-flight requests finish within
    /// `SERVER_SHUTDOWN_TIMEOUT` seconds) or until the server handle stops it; then stops the
    /// modules' background services and flushes the operation log.
    ///
    /// # Errors
    /// The I/O error that ended serving.
    pub async fn run_until_stopped(mut self) -> std::io::Result<()> {
        // A stop signal also closes the sockets, which would otherwise hold the graceful
        // shutdown for its whole timeout.
        let sockets = tokio::spawn(Arc::clone(&self.state.socket).shutdown_on_signal(
            Duration::from_secs(self.state.settings.server.shutdown_timeout_secs),
        ));
        let result = self.server.await;
        sockets.abort();
        self.services.stop().await;
        // Every request that got a response has queued its row: write them all before exiting.
        self.opera_log.flush_and_stop().await;
        if let Some(ids) = &self.state.ids {
            ids.shutdown().await;
        }
        let _ = self.state.db.clone().close().await;
        result
    }

    /// Authentication (JWT codec, RBAC) of this app (for tests and embedding).
    pub fn security(&self) -> web::Data<fba_common::security::Security> {
        self.security.clone()
    }

    /// A handle to stop the server from elsewhere (tests).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }
}

fn run(
    listener: TcpListener,
    state: AppState,
    security: web::Data<fba_common::security::Security>,
    opera_log: OperaLog,
    doc: crate::openapi::BuiltDocument,
    metrics: Option<Metrics>,
) -> std::io::Result<Server> {
    let settings = Arc::clone(&state.settings);
    // Traces are exported: each request runs in a span whose trace id is its request id.
    let tracing = settings.grafana.export_endpoint().is_some();
    let metrics_on = metrics.is_some();
    let request_metrics = RequestMetrics::new(metrics.clone(), &settings.api.v1_path, tracing);
    let metrics_data = metrics.map(web::Data::new);
    let shutdown_secs = settings.server.shutdown_timeout_secs;
    let workers = settings.server.workers;
    let max_connections = settings.server.max_connections;
    let modules = state.modules.clone();
    let data = web::Data::new(state);
    let opera_log_stats = web::Data::new(opera_log.stats());
    let mut server = HttpServer::new(move || {
        let s = &settings;
        App::new()
            .app_data(data.clone())
            .app_data(opera_log_stats.clone())
            .app_data(security.clone())
            .configure(|cfg| {
                if let Some(m) = &metrics_data {
                    cfg.app_data(m.clone());
                }
                crate::routes::configure(cfg, s, &modules, &doc);
            })
            .default_service(web::to(fba_common::routing::not_found))
            .wrap(opera_log.clone())
            .wrap(Condition::new(metrics_on, request_metrics.clone()))
            .wrap(BodyDeadline::new(Duration::from_secs(
                s.server.body_timeout_secs,
            )))
            .wrap(cors(s))
            .wrap(
                RequestContext::new(
                    &s.trace.header,
                    &s.i18n.default_language,
                    s.environment.is_prod(),
                    s.server.trusted_proxies.clone(),
                )
                .with_tracing(tracing),
            )
    })
    .listen(listener)?
    .shutdown_timeout(shutdown_secs);
    if let Some(workers) = workers {
        server = server.workers(workers);
    }
    // actix counts connections per worker: share SERVER_MAX_CONNECTIONS among them.
    let worker_count = workers.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    server = server.max_connections(max_connections.div_ceil(worker_count.max(1)).max(1));
    Ok(server.run())
}

/// Reports the database pool as FBA's `fba_sqlalchemy_pool_connections`: connections open,
/// in use, idle, and open beyond `DATABASE_POOL_SIZE` (`kept`) as the overflow.
fn watch_pool(metrics: &Metrics, db: &fba_db::Db, kept: u32) {
    let conn = db.inner().clone();
    metrics.watch_pool(move || {
        let s = fba_db::pool_stats(&conn);
        PoolGauge {
            size: u64::from(s.size),
            checked_out: u64::from(s.checked_out()),
            idle: u64::from(s.idle),
            overflow: u64::from(s.size.saturating_sub(kept)),
        }
    });
}

/// FBA's CORS policy: configured origins, credentials, any method and header, `X-Request-ID`
/// exposed, preflight cached 600 s. Off (a pass-through) when `MIDDLEWARE_CORS=false`.
fn cors(settings: &Settings) -> Cors {
    let c = &settings.cors;
    if !c.enabled {
        return Cors::default().allowed_origin_fn(|_, _| false);
    }
    let mut cors = Cors::default()
        .allow_any_method()
        .allow_any_header()
        .supports_credentials()
        .max_age(600)
        .expose_headers(
            c.expose_headers
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        );
    for origin in &c.allowed_origins {
        if origin == "*" {
            cors = cors.allow_any_origin().send_wildcard();
        } else {
            cors = cors.allowed_origin(origin);
        }
    }
    cors
}
