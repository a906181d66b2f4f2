//! The dict plugin as a [`Module`]: its routes behind the plugin switch, its OpenAPI paths,
//! its migration, its seed and its data-permission models.

use actix_web::web::ServiceConfig;
use fba_common::data_model::DataModel;
use fba_common::module::{Module, SeedContext};
use sea_orm::{DatabaseTransaction, DbErr};
use sea_orm_migration::MigrationTrait;
use utoipa::OpenApi;

use super::{api, migration, model, seed};
use crate::PluginContext;

/// FBA's data dictionary: `/sys/dict-types` and `/sys/dict-datas`.
pub struct DictModule {
    ctx: PluginContext,
}

impl DictModule {
    /// The module of the plugin described by `ctx`.
    pub fn new(ctx: PluginContext) -> Self {
        Self { ctx }
    }
}

#[async_trait::async_trait]
impl Module for DictModule {
    fn name(&self) -> &'static str {
        self.ctx.name()
    }

    fn configure_api(&self, cfg: &mut ServiceConfig) {
        self.ctx
            .mount(cfg, "/sys/dict-types", api::dict_type::configure);
        self.ctx
            .mount(cfg, "/sys/dict-datas", api::dict_data::configure);
    }

    fn openapi(&self) -> utoipa::openapi::OpenApi {
        api::DictApi::openapi()
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(migration::CreateDictTables)]
    }

    /// The dict menus FBA's `init.sql` inserts, whichever are missing, and its types and
    /// entries on new tables.
    async fn seed(&self, txn: &DatabaseTransaction, ctx: SeedContext) -> Result<bool, DbErr> {
        seed::seed(txn, ctx.fresh).await
    }

    fn data_models(&self) -> Vec<&'static DataModel> {
        vec![&model::DICT_TYPE, &model::DICT_DATA]
    }
}
