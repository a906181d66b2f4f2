//! The admin core as a [`Module`]: what it contributes to the app through the seam.

use std::sync::Arc;

use actix_web::web::ServiceConfig;
use fba_common::data_model::DataModel;
use fba_common::middleware::opera_log::OperaLogSink;
use fba_common::module::{Module, SeedContext};
use fba_common::security::AuthStore;
use fba_common::{AppError, AppState};
use fba_core_conf::{ConfigError, Sections};
use fba_migration::MigratorTrait;
use sea_orm::{DatabaseTransaction, DbErr};
use sea_orm_migration::MigrationTrait;
use utoipa::OpenApi;

use crate::api;
use crate::service::auth_store::DbAuthStore;
use crate::service::data_permission::MODELS;
use crate::service::opera_log::DbOperaLogSink;
use crate::settings::CookieSettings;

/// The admin core: authentication, users, roles, menus, depts, data permissions, logs,
/// monitors, file upload.
pub fn module() -> Arc<dyn Module> {
    Arc::new(AdminModule)
}

/// See [`module`].
#[derive(Debug, Clone, Copy, Default)]
pub struct AdminModule;

#[async_trait::async_trait]
impl Module for AdminModule {
    fn name(&self) -> &'static str {
        "admin"
    }

    fn settings(&self, sections: &mut Sections) -> Result<(), ConfigError> {
        sections.register::<CookieSettings>()
    }

    fn configure_api(&self, cfg: &mut ServiceConfig) {
        // `/auth/codes` is registered before the `/auth` scope, which would otherwise take it.
        api::v1::codes::configure(cfg);
        api::configure(cfg);
    }

    fn configure_public(&self, cfg: &mut ServiceConfig) {
        // Uploaded files are public, as FBA serves them (outside the JWT scope).
        cfg.service(api::v1::sys::file::static_upload_service());
    }

    fn openapi(&self) -> utoipa::openapi::OpenApi {
        api::AdminApi::openapi()
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        fba_migration::Migrator::migrations()
    }

    /// sea-orm's default table, which databases made before the module seam already use.
    fn migration_table(&self) -> String {
        "seaql_migrations".to_owned()
    }

    /// FBA's test data (admin `admin` / `123456`, roles, depts, the menu tree), once, on a
    /// database whose admin tables are new.
    async fn seed(&self, txn: &DatabaseTransaction, ctx: SeedContext) -> Result<bool, DbErr> {
        if !ctx.fresh || fba_migration::seed::is_seeded(txn).await? {
            return Ok(false);
        }
        fba_migration::seed::seed_test_data(txn).await?;
        Ok(true)
    }

    fn data_models(&self) -> Vec<&'static DataModel> {
        MODELS.to_vec()
    }

    fn auth_store(&self, state: &AppState) -> Option<Arc<dyn AuthStore>> {
        Some(Arc::new(DbAuthStore::new(state.db.clone())))
    }

    async fn opera_log_sink(
        &self,
        state: &AppState,
    ) -> Result<Option<Arc<dyn OperaLogSink>>, AppError> {
        let sink = DbOperaLogSink::connect(state.clone())
            .await
            .map_err(|e| AppError::Unavailable(e.to_string()))?;
        Ok(Some(Arc::new(sink)))
    }
}
