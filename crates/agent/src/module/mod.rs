//! The agent as an fba-rs module (cargo feature `module`): sessions stored in the project's
//! database, the `/api/v1/agent` API with SSE runs, the `AGENT_*` settings and the menu seeds.
//!
//! Laid out like the other modules: [`settings`], [`migration`], [`model`], [`store`] (the
//! checkpointer), [`runs`] (the per-run event buffers), [`service`] (the live sessions),
//! [`schema`], [`files`], [`api`], [`error`] and [`seed`].

pub mod api;
mod doc;
pub mod error;
pub mod files;
pub mod migration;
pub mod model;
pub mod runs;
pub mod schema;
pub mod seed;
pub mod service;
pub mod settings;
pub mod store;

use std::sync::Arc;

use actix_web::web::{self, ServiceConfig};
use fba_common::module::{BackgroundService, HealthReport, Module, SeedContext};
use fba_common::{AppError, AppState};
use fba_core_conf::{ConfigError, Sections};
use sea_orm::{DatabaseTransaction, DbErr};
use sea_orm_migration::MigrationTrait;

use crate::config::{AgentConfig, LoadOptions};
use crate::host::AgentHost;

pub use api::AgentHandle;
pub use error::ApiError;
pub use service::AgentService;
pub use settings::AgentSettings;

/// The agent module.
#[derive(Default)]
pub struct AgentModule {
    handle: AgentHandle,
}

impl AgentModule {
    /// The handle the API uses (set when the module starts).
    pub fn handle(&self) -> AgentHandle {
        self.handle.clone()
    }
}

/// The agent module, as the server composes it.
pub fn module() -> Arc<dyn Module> {
    crate::tls::install_default_provider();
    Arc::new(AgentModule::default())
}

/// Reads the configuration the settings point at and starts the host; `Err` says why the
/// agent is not configured.
async fn start_host(settings: &AgentSettings) -> Result<AgentHost, String> {
    let mut config = AgentConfig::load(LoadOptions {
        config_file: settings.config_file.clone(),
        llms_file: settings.llms_file.clone(),
        ..LoadOptions::default()
    })
    .map_err(|e| e.to_string())?;
    for warning in &config.warnings {
        tracing::warn!(warning = %warning, "agent configuration");
    }
    if !config.sandbox.is_object() {
        config.sandbox = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(map) = &mut config.sandbox {
        map.insert(
            "root_dir".to_owned(),
            serde_json::Value::String(settings.data_dir.display().to_string()),
        );
    }
    std::fs::create_dir_all(&settings.data_dir)
        .map_err(|e| format!("AGENT_DATA_DIR {}: {e}", settings.data_dir.display()))?;
    AgentHost::start(config).await.map_err(|e| e.to_string())
}

/// Stops the runs and disconnects the MCP servers with the app.
struct Running(Arc<AgentService>);

#[async_trait::async_trait]
impl BackgroundService for Running {
    fn name(&self) -> &'static str {
        "agent"
    }

    async fn stop(self: Box<Self>) {
        self.0.shutdown().await;
    }
}

#[async_trait::async_trait]
impl Module for AgentModule {
    fn name(&self) -> &'static str {
        "agent"
    }

    fn settings(&self, sections: &mut Sections) -> Result<(), ConfigError> {
        crate::tls::install_default_provider();
        sections.register::<AgentSettings>()
    }

    fn configure_api(&self, cfg: &mut ServiceConfig) {
        cfg.app_data(web::Data::new(self.handle.clone()));
        cfg.service(web::scope("/agent").configure(api::configure));
    }

    fn openapi(&self) -> utoipa::openapi::OpenApi {
        <api::AgentApi as utoipa::OpenApi>::openapi()
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(migration::CreateAgentTables)]
    }

    async fn seed(&self, txn: &DatabaseTransaction, _ctx: SeedContext) -> Result<bool, DbErr> {
        seed::seed(txn).await
    }

    async fn start(&self, state: &AppState) -> Result<Vec<Box<dyn BackgroundService>>, AppError> {
        let settings = AgentSettings::of(&state.settings);
        let host = match start_host(&settings).await {
            Ok(host) => Ok(Arc::new(host)),
            Err(why) => {
                tracing::warn!(reason = %why, "agent not configured: its routes answer 503");
                Err(why)
            }
        };
        let service = Arc::new(AgentService::new(settings, host, state.db.clone()));
        let _ = self.handle.0.set(Arc::clone(&service));
        Ok(vec![Box::new(Running(service))])
    }

    async fn health(&self, _state: &AppState) -> Vec<HealthReport> {
        let Ok(service) = self.handle.get() else {
            return Vec::new();
        };
        let Ok(host) = service.host() else {
            let why = service.unconfigured().unwrap_or("").to_owned();
            // Not a failure of the app: the agent is optional until configured.
            return vec![HealthReport {
                name: "agent.config".to_owned(),
                ok: true,
                detail: Some(format!("agent not configured: {why}")),
            }];
        };
        let mut out = vec![HealthReport::ok("agent.config")];
        for server in host.mcp_status() {
            let name = format!("agent.mcp.{}", server.name);
            out.push(if server.connected {
                HealthReport::ok(name)
            } else {
                HealthReport::down(name, server.error.clone().unwrap_or_default())
            });
        }
        out
    }
}
