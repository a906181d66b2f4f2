//! [`Modules`]: the app as an ordered list of modules, and what the apps do with all of them at
//! once (settings, migrations and seeds, routes, OpenAPI, data models, services, health).

use std::sync::Arc;

use actix_web::web::ServiceConfig;
use fba_core_conf::{ConfigError, Sections, Settings};
use sea_orm::{DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTraitSelf;

use super::migrate::ModuleMigrator;
use super::{BackgroundService, HealthReport, Module, SeedContext};
use crate::AppState;
use crate::data_model::DataModel;
use crate::middleware::opera_log::OperaLogSink;
use crate::security::AuthStore;

/// A list of modules that cannot make an app.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModuleError {
    /// Two modules share a name.
    #[error("module {0:?} is listed twice")]
    DuplicateName(&'static str),
    /// Two modules declare the same data-permission model name.
    #[error("data-permission model {0:?} is declared by two modules")]
    DuplicateModel(&'static str),
    /// A crate could not compose its modules (its own one-line reason).
    #[error("{0}")]
    Invalid(String),
}

/// What [`Modules::migrate`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MigrateOutcome {
    /// Migrations applied now, over every module.
    pub applied: usize,
    /// Whether some module's seed inserted rows.
    pub seeded: bool,
}

/// The modules of an app, in order (the admin core first: later modules' seeds may refer to
/// its tables). Cheap to clone.
#[derive(Clone)]
pub struct Modules {
    list: Arc<[Arc<dyn Module>]>,
    models: Arc<[&'static DataModel]>,
}

impl std::fmt::Debug for Modules {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Modules {
    /// The app made of `list`, in that order.
    ///
    /// # Errors
    /// [`ModuleError`] when two modules share a name or a data-permission model.
    pub fn new(list: Vec<Arc<dyn Module>>) -> Result<Self, ModuleError> {
        let mut names = std::collections::HashSet::new();
        let mut model_names = std::collections::HashSet::new();
        let mut models = Vec::new();
        for module in &list {
            if !names.insert(module.name()) {
                return Err(ModuleError::DuplicateName(module.name()));
            }
            for model in module.data_models() {
                if !model_names.insert(model.name) {
                    return Err(ModuleError::DuplicateModel(model.name));
                }
                models.push(model);
            }
        }
        Ok(Self {
            list: list.into(),
            models: models.into(),
        })
    }

    /// The modules, in order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn Module>> {
        self.list.iter()
    }

    /// The modules' names, in order.
    pub fn names(&self) -> Vec<&'static str> {
        self.list.iter().map(|m| m.name()).collect()
    }

    /// Whether a module called `name` is part of the app.
    pub fn contains(&self, name: &str) -> bool {
        self.list.iter().any(|m| m.name() == name)
    }

    /// Registers every module's settings sections on `sections`.
    ///
    /// # Errors
    /// The first section's [`ConfigError`].
    pub fn register_settings(&self, sections: &mut Sections) -> Result<(), ConfigError> {
        // The Socket.IO server belongs to every app, whatever its modules.
        sections.register::<crate::socketio::SocketSettings>()?;
        self.list.iter().try_for_each(|m| m.settings(sections))
    }

    /// Every module's Socket.IO event handlers, in module order: (module, event, handler).
    pub fn socket_events(
        &self,
    ) -> Vec<(
        &'static str,
        &'static str,
        Arc<dyn crate::socketio::SocketEventHandler>,
    )> {
        self.list
            .iter()
            .flat_map(|m| {
                let module = m.name();
                m.socket_events()
                    .into_iter()
                    .map(move |(event, handler)| (module, event, handler))
            })
            .collect()
    }

    /// Applies every module's pending migrations (module order), then runs each module's seed
    /// in a transaction of its own, with `settings`.
    ///
    /// # Errors
    /// The first failing statement.
    pub async fn migrate(
        &self,
        db: &DatabaseConnection,
        settings: &Arc<Settings>,
    ) -> Result<MigrateOutcome, DbErr> {
        let mut outcome = MigrateOutcome::default();
        let mut fresh = Vec::with_capacity(self.list.len());
        for module in self.list.iter() {
            let migrator = ModuleMigrator(module.as_ref());
            let before = migrator.get_applied_migrations(db).await?.len();
            let pending = migrator.get_pending_migrations(db).await?.len();
            if pending > 0 {
                migrator.up(db, None).await?;
            }
            outcome.applied += pending;
            fresh.push(before == 0);
        }
        for (module, fresh) in self.list.iter().zip(fresh) {
            let txn = fba_db::begin_write(db).await?;
            let ctx = SeedContext {
                fresh,
                settings: Arc::clone(settings),
            };
            let inserted = module.seed(&txn, ctx).await?;
            txn.commit().await?;
            if inserted {
                tracing::info!(module = module.name(), "seed rows inserted");
            }
            outcome.seeded |= inserted;
        }
        Ok(outcome)
    }

    /// Drops every module's tables (their migrations' `down`, modules in reverse order) and
    /// their migration records.
    ///
    /// # Errors
    /// The first failing statement.
    pub async fn drop_all(&self, db: &DatabaseConnection) -> Result<(), DbErr> {
        for module in self.list.iter().rev() {
            ModuleMigrator(module.as_ref()).reset(db).await?;
        }
        Ok(())
    }

    /// Drops every table, then migrates and seeds again as on a new database.
    ///
    /// # Errors
    /// The first failing statement.
    pub async fn reset(
        &self,
        db: &DatabaseConnection,
        settings: &Arc<Settings>,
    ) -> Result<MigrateOutcome, DbErr> {
        self.drop_all(db).await?;
        self.migrate(db, settings).await
    }

    /// Mounts every module's API routes (under the prefix the caller scoped `cfg` to), the last
    /// module first: a later module that extends an earlier one's scope (a plugin's
    /// `/sys/dict-types` beside admin's `/sys` scope) must be matched before that scope, which
    /// would otherwise take the path and answer 404.
    pub fn configure_api(&self, cfg: &mut ServiceConfig) {
        for module in self.list.iter().rev() {
            module.configure_api(cfg);
        }
    }

    /// Mounts every module's public routes.
    pub fn configure_public(&self, cfg: &mut ServiceConfig) {
        for module in self.list.iter() {
            module.configure_public(cfg);
        }
    }

    /// Every module's OpenAPI document merged into one.
    pub fn openapi(&self) -> utoipa::openapi::OpenApi {
        let mut doc = utoipa::openapi::OpenApiBuilder::new().build();
        for module in self.list.iter() {
            doc.merge(module.openapi());
        }
        doc
    }

    /// Every module's data-permission models, module by module.
    pub fn data_models(&self) -> &[&'static DataModel] {
        &self.models
    }

    /// The first module's authentication store.
    pub fn auth_store(&self, state: &AppState) -> Option<Arc<dyn AuthStore>> {
        self.list.iter().find_map(|m| m.auth_store(state))
    }

    /// The first module's run-time settings overrides.
    pub fn settings_overrides(&self) -> Option<Arc<dyn crate::overrides::SettingsOverrides>> {
        self.list.iter().find_map(|m| m.settings_overrides())
    }

    /// The first module's operation-log sink.
    ///
    /// # Errors
    /// That module's error.
    pub async fn opera_log_sink(
        &self,
        state: &AppState,
    ) -> Result<Option<Arc<dyn OperaLogSink>>, crate::AppError> {
        for module in self.list.iter() {
            if let Some(sink) = module.opera_log_sink(state).await? {
                return Ok(Some(sink));
            }
        }
        Ok(None)
    }

    /// Lets every module register its metrics in the app's registry.
    pub fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        for module in self.list.iter() {
            module.register_metrics(registry);
        }
    }

    /// Starts every module's background services, in module order.
    ///
    /// # Errors
    /// The first module that cannot start (the services already started are stopped first).
    pub async fn start(&self, state: &AppState) -> Result<RunningServices, crate::AppError> {
        let mut running = RunningServices::default();
        for module in self.list.iter() {
            match module.start(state).await {
                Ok(services) => running.services.extend(services),
                Err(e) => {
                    running.stop().await;
                    return Err(e);
                }
            }
        }
        Ok(running)
    }

    /// Every module's health checks.
    pub async fn health(&self, state: &AppState) -> Vec<HealthReport> {
        let mut reports = Vec::new();
        for module in self.list.iter() {
            reports.extend(module.health(state).await);
        }
        reports
    }
}

/// The background services the modules started.
#[derive(Default)]
pub struct RunningServices {
    services: Vec<Box<dyn BackgroundService>>,
}

impl RunningServices {
    /// How many run.
    pub fn len(&self) -> usize {
        self.services.len()
    }

    /// Whether none runs.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// Stops them, last started first.
    pub async fn stop(&mut self) {
        while let Some(service) = self.services.pop() {
            let name = service.name();
            service.stop().await;
            tracing::debug!(service = name, "background service stopped");
        }
    }
}
