//! The notice plugin as a [`Module`]: its routes behind the plugin's switch, its OpenAPI
//! paths, the `sys_notice` migration, the menu seed and the `Notice` data model.

use actix_web::web::ServiceConfig;
use fba_common::data_model::{ColumnKind, DataModel, ModelColumn};
use fba_common::module::{Module, SeedContext};
use sea_orm::{DatabaseTransaction, DbErr};
use sea_orm_migration::MigrationTrait;
use utoipa::OpenApi;

use super::{api, migration, seed};
use crate::PluginContext;

/// FBA's `Notice` model, for data rules: its columns with FBA's comments.
pub const NOTICE_MODEL: DataModel = DataModel {
    name: "Notice",
    table: migration::TABLE,
    columns: &[
        ModelColumn::new("id", "主键 ID", ColumnKind::BigInt),
        ModelColumn::new("title", "标题", ColumnKind::Text),
        ModelColumn::new("type", "类型（0：通知、1：公告）", ColumnKind::Int),
        ModelColumn::new("status", "状态（0：隐藏、1：显示）", ColumnKind::Int),
        ModelColumn::new("content", "内容", ColumnKind::Text),
        ModelColumn::new("created_time", "创建时间", ColumnKind::DateTime),
        ModelColumn::new("updated_time", "更新时间", ColumnKind::DateTime),
    ],
};

/// The notice plugin's module; its routes answer 403 while the plugin is switched off.
pub struct NoticeModule {
    ctx: PluginContext,
}

impl NoticeModule {
    /// The module of the plugin described by `ctx`.
    pub fn new(ctx: PluginContext) -> Self {
        Self { ctx }
    }
}

#[async_trait::async_trait]
impl Module for NoticeModule {
    fn name(&self) -> &'static str {
        self.ctx.name()
    }

    fn configure_api(&self, cfg: &mut ServiceConfig) {
        self.ctx.mount(cfg, "/sys/notices", api::configure);
    }

    fn openapi(&self) -> utoipa::openapi::OpenApi {
        api::NoticeApi::openapi()
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(migration::CreateNoticeTable)]
    }

    async fn seed(&self, txn: &DatabaseTransaction, ctx: SeedContext) -> Result<bool, DbErr> {
        seed::seed(txn, ctx.fresh).await
    }

    fn data_models(&self) -> Vec<&'static DataModel> {
        vec![&NOTICE_MODEL]
    }
}
