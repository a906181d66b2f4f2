//! The config plugin as a [`Module`]: its routes (behind the plugin's switch), OpenAPI paths,
//! migration, seed rows, data model and run-time settings overrides.

use std::sync::Arc;

use actix_web::web::ServiceConfig;
use fba_common::data_model::DataModel;
use fba_common::module::{Module, SeedContext};
use fba_common::overrides::SettingsOverrides;
use sea_orm::{DatabaseTransaction, DbErr};
use sea_orm_migration::MigrationTrait;
use utoipa::OpenApi;

use super::api;
use super::migration::CreateConfigTable;
use super::model::DATA_MODEL;
use super::overrides::ConfigOverrides;
use super::seed;
use crate::PluginContext;

/// See the [plugin docs](super).
pub(crate) struct ConfigModule {
    ctx: PluginContext,
}

impl ConfigModule {
    /// The module for the plugin context `ctx`.
    pub(crate) fn new(ctx: PluginContext) -> Self {
        Self { ctx }
    }
}

#[async_trait::async_trait]
impl Module for ConfigModule {
    fn name(&self) -> &'static str {
        "config"
    }

    fn configure_api(&self, cfg: &mut ServiceConfig) {
        self.ctx.mount(cfg, "/sys/configs", api::configure);
    }

    fn openapi(&self) -> utoipa::openapi::OpenApi {
        api::ConfigApi::openapi()
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(CreateConfigTable)]
    }

    /// FBA's config rows on a new table (valued from the start-up settings), and the config
    /// menu with its buttons.
    async fn seed(&self, txn: &DatabaseTransaction, ctx: SeedContext) -> Result<bool, DbErr> {
        seed::seed(txn, &ctx.settings, ctx.fresh).await
    }

    fn data_models(&self) -> Vec<&'static DataModel> {
        vec![&DATA_MODEL]
    }

    fn settings_overrides(&self) -> Option<Arc<dyn SettingsOverrides>> {
        Some(Arc::new(ConfigOverrides))
    }
}
