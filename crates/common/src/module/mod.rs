//! The one seam every domain crate plugs into the app through: [`Module`].
//!
//! A crate (the admin core, the task system, each plugin, the agent) implements [`Module`] for
//! everything it contributes, and exposes a constructor (`fba_admin::module()`). The app is a
//! list of modules ([`Modules`]): `fba-server` mounts their routes, merges their OpenAPI
//! documents, runs their migrations and seeds, registers their settings sections, lists their
//! data-permission models, starts their background services and asks their health checks;
//! the `fba` CLI runs the same migrations and seeds. Nothing else in the apps names a crate's
//! internals.
//!
//! Every method has a default that contributes nothing, so a module implements only what it
//! has:
//!
//! ```
//! use fba_common::module::Module;
//!
//! /// A crate that only adds one public route.
//! struct Ping;
//!
//! impl Module for Ping {
//!     fn name(&self) -> &'static str {
//!         "ping"
//!     }
//!     fn configure_public(&self, cfg: &mut actix_web::web::ServiceConfig) {
//!         cfg.route("/ping", actix_web::web::get().to(|| async { "pong" }));
//!     }
//! }
//! ```

mod list;
mod migrate;

use std::sync::Arc;

use actix_web::web::ServiceConfig;
use fba_core_conf::{ConfigError, Sections};
use sea_orm::{DatabaseTransaction, DbErr};
use sea_orm_migration::MigrationTrait;

pub use list::{MigrateOutcome, ModuleError, Modules, RunningServices};

use crate::AppState;
use crate::data_model::DataModel;
use crate::middleware::opera_log::OperaLogSink;
use crate::security::AuthStore;

/// Everything one crate contributes to the app.
#[async_trait::async_trait]
pub trait Module: Send + Sync + 'static {
    /// The module's name: unique in the app, lower-case (`admin`, `task`, `dict`).
    fn name(&self) -> &'static str;

    /// Registers the module's settings sections ([`fba_core_conf::Section`]) with
    /// [`Sections::register`]: parsed and validated at start-up, before anything connects.
    ///
    /// # Errors
    /// The section's one-line [`ConfigError`].
    fn settings(&self, sections: &mut Sections) -> Result<(), ConfigError> {
        let _ = sections;
        Ok(())
    }

    /// Routes under the API prefix (`FASTAPI_API_V1_PATH`), behind FBA's JWT middleware.
    fn configure_api(&self, cfg: &mut ServiceConfig) {
        let _ = cfg;
    }

    /// Routes outside the API prefix and outside the JWT middleware (static files, callbacks).
    fn configure_public(&self, cfg: &mut ServiceConfig) {
        let _ = cfg;
    }

    /// The OpenAPI document of the module's routes (paths under the default `/api/v1`
    /// prefix), merged into the app's `/openapi`.
    fn openapi(&self) -> utoipa::openapi::OpenApi {
        utoipa::openapi::OpenApiBuilder::new().build()
    }

    /// The module's migrations, in order. They are recorded in a table of the module's own
    /// ([`Module::migration_table`]), so a module turned off by a cargo feature leaves the
    /// others' bookkeeping valid.
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        Vec::new()
    }

    /// The table recording the module's applied migrations: `seaql_migrations_{name}`.
    fn migration_table(&self) -> String {
        format!("seaql_migrations_{}", self.name())
    }

    /// Inserts the module's seed rows (menus with their perms, dict and config rows, test
    /// data): called after every migration run, in one transaction per module, in module
    /// order. It must be idempotent: insert what is missing, never fail because rows exist.
    /// Returns whether it inserted anything.
    ///
    /// # Errors
    /// A database failure (the transaction is rolled back and start-up stops).
    async fn seed(&self, txn: &DatabaseTransaction, ctx: SeedContext) -> Result<bool, DbErr> {
        let _ = (txn, ctx);
        Ok(false)
    }

    /// The tables data rules may filter (`GET /sys/data-rules/models`), in FBA's order.
    fn data_models(&self) -> Vec<&'static DataModel> {
        Vec::new()
    }

    /// Who the users are, their roles, menus and data rules, for the JWT middleware and RBAC:
    /// the app takes the first module that provides one (the admin core).
    fn auth_store(&self, state: &AppState) -> Option<Arc<dyn AuthStore>> {
        let _ = state;
        None
    }

    /// Where the operation-log middleware writes its rows: the app takes the first module that
    /// provides a sink (the admin core). Its queue is flushed when the app stops.
    ///
    /// # Errors
    /// The sink's store cannot be opened.
    async fn opera_log_sink(
        &self,
        state: &AppState,
    ) -> Result<Option<Arc<dyn OperaLogSink>>, crate::AppError> {
        let _ = state;
        Ok(None)
    }

    /// The run-time overrides of the login and password settings this module provides (the
    /// config plugin): the app takes the first module that provides them.
    fn settings_overrides(&self) -> Option<Arc<dyn crate::overrides::SettingsOverrides>> {
        None
    }

    /// Server-side answers to Socket.IO client events (`task_worker_status`): event name and
    /// handler. An event nobody handles is ignored (acknowledged with nothing when the client
    /// asked for an acknowledgement); the first module registering a name wins.
    fn socket_events(&self) -> Vec<(&'static str, Arc<dyn crate::socketio::SocketEventHandler>)> {
        Vec::new()
    }

    /// Registers the module's own Prometheus metrics in the app's `/metrics` registry (under
    /// its `app_name` label). Called once, when `GRAFANA_METRICS_ENABLE` builds the registry,
    /// before [`Module::start`].
    fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        let _ = registry;
    }

    /// Starts the module's background services with the app (workers, watchers, queues);
    /// each is stopped, in reverse order, when the app stops.
    ///
    /// # Errors
    /// A service could not start: start-up stops.
    async fn start(
        &self,
        state: &AppState,
    ) -> Result<Vec<Box<dyn BackgroundService>>, crate::AppError> {
        let _ = state;
        Ok(Vec::new())
    }

    /// The module's health checks, answered in `GET /health` (`modules`): a failing one turns
    /// the report to `down`.
    async fn health(&self, state: &AppState) -> Vec<HealthReport> {
        let _ = state;
        Vec::new()
    }
}

/// What [`Module::seed`] is told about the migration run before it.
#[derive(Debug, Clone)]
pub struct SeedContext {
    /// Whether the module had no migration applied before this run (its tables are new).
    pub fresh: bool,
    /// The settings the app starts with (seed rows that mirror a setting take its value).
    pub settings: Arc<fba_core_conf::Settings>,
}

/// A background service a module started ([`Module::start`]).
#[async_trait::async_trait]
pub trait BackgroundService: Send + Sync {
    /// A name for logs.
    fn name(&self) -> &'static str;

    /// Stops the service, finishing or flushing its work first.
    async fn stop(self: Box<Self>);
}

/// One health check's answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct HealthReport {
    /// What was checked (`admin.upload_dir`).
    pub name: String,
    /// Whether it is usable.
    pub ok: bool,
    /// Why not, when not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl HealthReport {
    /// A passing check.
    pub fn ok(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ok: true,
            detail: None,
        }
    }

    /// A failing check and why.
    pub fn down(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ok: false,
            detail: Some(detail.into()),
        }
    }
}
