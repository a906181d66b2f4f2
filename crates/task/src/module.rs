//! The task system as a [`Module`]: FBA's task API, the task tables, the built-in schedule
//! entries, the `CELERY_*`/`TASK_*` section, the `task_worker_status` Socket.IO answer, and an
//! in-process worker and scheduler when the settings ask for one.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::web::{self, ServiceConfig};
use fba_common::data_model::DataModel;
use fba_common::module::{BackgroundService, HealthReport, Module, SeedContext};
use fba_common::socketio::{SocketEvent, SocketEventHandler, handler_fn};
use fba_common::{AppError, AppState};
use fba_core_conf::{ConfigError, Sections};
use fba_db::kv::KvBackend;
use sea_orm::{DatabaseTransaction, DbErr};
use sea_orm_migration::MigrationTrait;
use serde_json::{Map, Value, json};
use utoipa::OpenApi;

use crate::client::Tasks;
use crate::control::Control;
use crate::registry::TaskRegistry;
use crate::scheduler::Scheduler;
use crate::settings::TaskSettings;
use crate::worker::{Worker, WorkerOptions};

/// The task system of the app, once started: what the API handlers take
/// (`web::Data<TasksHandle>`).
#[derive(Clone, Default)]
pub struct TasksHandle(Arc<OnceLock<Tasks>>);

impl std::fmt::Debug for TasksHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("TasksHandle").field(&self.0.get()).finish()
    }
}

impl TasksHandle {
    /// The started task system.
    ///
    /// # Errors
    /// 503 before the module started (an app that never runs [`Module::start`]).
    pub fn get(&self) -> Result<&Tasks, AppError> {
        self.0
            .get()
            .ok_or_else(|| AppError::Unavailable("task broker".to_owned()))
    }
}

/// The task module.
pub struct TaskModule {
    registry: TaskRegistry,
    tasks: TasksHandle,
    /// The in-process worker's metrics, in the server's `/metrics` when it serves them.
    metrics: crate::metrics::TaskMetrics,
}

impl TaskModule {
    /// The module running `registry`'s tasks.
    pub fn new(registry: TaskRegistry) -> Self {
        Self {
            registry,
            tasks: TasksHandle::default(),
            metrics: crate::metrics::TaskMetrics::default(),
        }
    }

    /// The handle the API uses (set when the module starts).
    pub fn handle(&self) -> TasksHandle {
        self.tasks.clone()
    }
}

/// The task module with FBA's built-in tasks.
pub fn module() -> Arc<dyn Module> {
    Arc::new(TaskModule::new(crate::default_registry()))
}

/// The in-process worker and scheduler.
struct Embedded {
    worker: Worker,
    scheduler: Scheduler,
    grace: Duration,
}

#[async_trait::async_trait]
impl BackgroundService for Embedded {
    fn name(&self) -> &'static str {
        "task worker"
    }

    async fn stop(self: Box<Self>) {
        self.scheduler.stop().await;
        self.worker.stop(self.grace).await;
    }
}

/// `task_worker_status`: the live workers as Celery's ping answers
/// (`[{"fba@host.pid.id": {"ok": "pong"}}]`).
async fn worker_status(event: SocketEvent) -> Vec<Value> {
    let settings = TaskSettings::of(&event.state.settings);
    let control = Control::new(event.state.kv.clone(), &settings);
    let replies: Vec<Value> = match control.live_workers().await {
        Ok(workers) => workers
            .into_iter()
            .map(|w| {
                let mut entry = Map::new();
                entry.insert(w.hostname, json!({ "ok": "pong" }));
                Value::Object(entry)
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "task_worker_status: heartbeats unreadable");
            Vec::new()
        }
    };
    let reply = Value::Array(replies);
    if let Err(e) = event.emit("task_worker_status", reply.clone()) {
        tracing::debug!(error = %e, "task_worker_status not delivered");
    }
    vec![reply]
}

#[async_trait::async_trait]
impl Module for TaskModule {
    fn name(&self) -> &'static str {
        "task"
    }

    fn settings(&self, sections: &mut Sections) -> Result<(), ConfigError> {
        sections.register::<TaskSettings>()
    }

    fn configure_api(&self, cfg: &mut ServiceConfig) {
        cfg.app_data(web::Data::new(self.tasks.clone()));
        crate::api::configure(cfg);
    }

    fn openapi(&self) -> utoipa::openapi::OpenApi {
        crate::api::TaskApi::openapi()
    }

    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(crate::migration::CreateTaskTables)]
    }

    async fn seed(&self, txn: &DatabaseTransaction, _ctx: SeedContext) -> Result<bool, DbErr> {
        crate::service::scheduler::seed_builtin(txn).await
    }

    fn data_models(&self) -> Vec<&'static DataModel> {
        vec![
            &crate::data_models::TASK_EXTENDED,
            &crate::data_models::TASK_SCHEDULER,
        ]
    }

    fn socket_events(&self) -> Vec<(&'static str, Arc<dyn SocketEventHandler>)> {
        vec![("task_worker_status", handler_fn(worker_status))]
    }

    fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        self.metrics.register(registry);
    }

    async fn start(&self, state: &AppState) -> Result<Vec<Box<dyn BackgroundService>>, AppError> {
        let tasks = Tasks::open(state, self.registry.clone())
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let embedded = tasks
            .settings
            .embedded(state.kv.backend() == KvBackend::Memory);
        let _ = self.tasks.0.set(tasks.clone());
        if !embedded {
            tracing::info!(
                broker = tasks.broker.kind(),
                "tasks are sent to the broker; run fba-worker to execute them"
            );
            return Ok(Vec::new());
        }
        let mut options = WorkerOptions::new(&tasks);
        if state.settings.grafana.metrics_enable {
            options.metrics = Some(self.metrics.clone());
        }
        let scheduler = Scheduler::spawn(state.clone(), tasks.clone(), options.hostname.clone());
        let worker = Worker::spawn(state.clone(), tasks, options);
        Ok(vec![Box::new(Embedded {
            worker,
            scheduler,
            grace: Duration::from_secs(state.settings.server.shutdown_timeout_secs),
        })])
    }

    async fn health(&self, _state: &AppState) -> Vec<HealthReport> {
        let Ok(tasks) = self.tasks.get() else {
            return Vec::new();
        };
        match tasks.broker.len(crate::message::DEFAULT_QUEUE).await {
            Ok(_) => vec![HealthReport::ok("task.broker")],
            Err(e) => vec![HealthReport::down("task.broker", e.to_string())],
        }
    }
}
