//! [`Tasks`]: the task system as the API, the scheduler and other crates use it: send jobs,
//! revoke them, see the live workers. Built once per process from the app's state
//! ([`Tasks::open`]).

use std::sync::Arc;

use fba_common::AppState;
use fba_core_conf::DatabaseKind;
use serde_json::{Map, Value};

use crate::broker::{Broker, BrokerError};
use crate::control::{AnnouncedTask, Control, WorkerInfo};
use crate::error::TaskError;
use crate::message::TaskMessage;
use crate::registry::TaskRegistry;
use crate::settings::{BrokerKind, TaskSettings};

/// The task system of one process.
#[derive(Clone)]
pub struct Tasks {
    /// The section it was built from.
    pub settings: Arc<TaskSettings>,
    /// Where jobs go.
    pub broker: Arc<dyn Broker>,
    /// Heartbeats and revocations.
    pub control: Control,
    /// The tasks this process's workers run.
    pub registry: Arc<TaskRegistry>,
}

impl std::fmt::Debug for Tasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tasks")
            .field("broker", &self.broker.kind())
            .field("tasks", &self.registry.names())
            .finish_non_exhaustive()
    }
}

/// Why the task system cannot start: one line for the start-up log.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// A broker the database or build cannot serve.
    #[error("invalid setting CELERY_BROKER=\"{broker}\": {reason}")]
    Unsupported {
        /// The `CELERY_BROKER` value.
        broker: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// The broker's service could not be reached.
    #[error("task broker: {0}")]
    Broker(#[from] BrokerError),
}

impl Tasks {
    /// The task system over `state`'s stores with the section registered in its settings (the
    /// defaults when none is) and the broker that section names.
    ///
    /// # Errors
    /// [`OpenError::Unsupported`] for the SQL broker on MySQL, the Redis broker without Redis
    /// settings, RabbitMQ in a build without the `rabbitmq` feature; [`OpenError::Broker`] when
    /// the broker cannot be reached.
    pub async fn open(state: &AppState, registry: TaskRegistry) -> Result<Self, OpenError> {
        let settings = Arc::new(TaskSettings::of(&state.settings));
        let on_mysql = state.settings.database.kind == DatabaseKind::Mysql;
        let kind = settings.broker.unwrap_or(if on_mysql {
            BrokerKind::Redis
        } else {
            BrokerKind::Database
        });
        let broker: Arc<dyn Broker> = match kind {
            BrokerKind::Database => {
                if on_mysql {
                    return Err(OpenError::Unsupported {
                        broker: "database",
                        reason: "MySQL cannot be the broker; use redis or rabbitmq (results stay in MySQL)",
                    });
                }
                Arc::new(
                    crate::broker::sql::SqlBroker::start(
                        state.db.clone(),
                        state.kv.clone(),
                        &settings,
                    )
                    .await?,
                )
            }
            BrokerKind::Redis => {
                let redis = state
                    .settings
                    .redis
                    .as_ref()
                    .ok_or(OpenError::Unsupported {
                        broker: "redis",
                        reason: "no Redis is configured (set REDIS_HOST or REDIS_URL)",
                    })?;
                Arc::new(crate::broker::redis::RedisBroker::connect(redis, &settings).await?)
            }
            BrokerKind::RabbitMq => open_rabbitmq(&settings).await?,
        };
        Ok(Self {
            control: Control::new(state.kv.clone(), &settings),
            settings,
            broker,
            registry: Arc::new(registry),
        })
    }

    /// Sends a job for `name` (Celery's `send_task`); its id.
    ///
    /// # Errors
    /// [`TaskError::Broker`] when the broker could not store it.
    pub async fn send(
        &self,
        name: &str,
        args: Vec<Value>,
        kwargs: Map<String, Value>,
    ) -> Result<String, TaskError> {
        let message = TaskMessage::new(name, args, kwargs);
        self.broker.publish(&message).await?;
        Ok(message.id)
    }

    /// Sends a prepared message.
    ///
    /// # Errors
    /// [`TaskError::Broker`] when the broker could not store it.
    pub async fn send_message(&self, message: &TaskMessage) -> Result<(), TaskError> {
        Ok(self.broker.publish(message).await?)
    }

    /// The live workers; [`TaskError::NoWorker`] when there are none (what FBA's ping answers
    /// before `cancel` and `execute`).
    ///
    /// # Errors
    /// [`TaskError::NoWorker`], or the Kv store's failure.
    pub async fn require_workers(&self) -> Result<Vec<WorkerInfo>, TaskError> {
        let workers = self.control.live_workers().await?;
        if workers.is_empty() {
            return Err(TaskError::NoWorker);
        }
        Ok(workers)
    }

    /// The tasks the live workers run, each once, by name (Celery's `inspect().registered()`).
    ///
    /// # Errors
    /// [`TaskError::NoWorker`], or the Kv store's failure.
    pub async fn registered(&self) -> Result<Vec<AnnouncedTask>, TaskError> {
        let mut tasks: Vec<AnnouncedTask> = self
            .require_workers()
            .await?
            .into_iter()
            .flat_map(|w| w.tasks)
            .collect();
        tasks.sort_by(|a, b| a.name.cmp(&b.name));
        tasks.dedup_by(|a, b| a.name == b.name);
        Ok(tasks)
    }

    /// Revokes `task_id` (Celery's `revoke` without `terminate`): a worker that gets it records
    /// `REVOKED` instead of running it; a running job finishes.
    ///
    /// # Errors
    /// The Kv store's failure.
    pub async fn revoke(&self, task_id: &str) -> Result<(), TaskError> {
        Ok(self.control.revoke(task_id).await?)
    }
}

#[cfg(feature = "rabbitmq")]
async fn open_rabbitmq(settings: &TaskSettings) -> Result<Arc<dyn Broker>, OpenError> {
    Ok(Arc::new(
        crate::broker::amqp::AmqpBroker::connect(settings).await?,
    ))
}

#[cfg(not(feature = "rabbitmq"))]
async fn open_rabbitmq(_settings: &TaskSettings) -> Result<Arc<dyn Broker>, OpenError> {
    Err(OpenError::Unsupported {
        broker: "rabbitmq",
        reason: "this build has no RabbitMQ support (build with the `rabbitmq` feature)",
    })
}
