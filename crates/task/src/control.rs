//! What workers tell each other and the API through the Kv store: heartbeats
//! (`{CELERY_REDIS_PREFIX}:worker:{hostname}`, what `registered`, `cancel`, `execute` and
//! `task_worker_status` read instead of Celery's broadcast ping) and revocations
//! (`{CELERY_REDIS_PREFIX}:revoked:{task_id}`, checked before a job runs).

use std::time::Duration;

use fba_db::{KvError, SharedKv};
use serde::{Deserialize, Serialize};

use crate::settings::TaskSettings;

/// How long a revocation is remembered (Celery keeps revoked ids for 3 hours; a day here, so a
/// job delayed by retries is still caught).
pub const REVOKE_TTL: Duration = Duration::from_secs(24 * 3600);

/// A registered task as a worker announces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnouncedTask {
    /// The task name.
    pub name: String,
    /// Its description.
    pub doc: String,
}

/// One worker's heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerInfo {
    /// `fba-worker@{host}.{pid}` (Celery's `celery@host`).
    pub hostname: String,
    /// The tasks it runs.
    pub tasks: Vec<AnnouncedTask>,
    /// Jobs it runs at once.
    pub concurrency: usize,
    /// Jobs it is running now.
    pub active: usize,
}

/// Heartbeats and revocations in the Kv store.
#[derive(Clone)]
pub struct Control {
    kv: SharedKv,
    worker_prefix: String,
    revoked_prefix: String,
    heartbeat_ttl: Duration,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("worker_prefix", &self.worker_prefix)
            .finish_non_exhaustive()
    }
}

impl Control {
    /// Control over `kv` with the keys and heartbeat interval of `settings`.
    pub fn new(kv: SharedKv, settings: &TaskSettings) -> Self {
        Self {
            kv,
            worker_prefix: settings.key("worker:"),
            revoked_prefix: settings.key("revoked:"),
            heartbeat_ttl: settings.heartbeat_interval * 3,
        }
    }

    /// Announces `info` for three heartbeat intervals.
    ///
    /// # Errors
    /// The Kv store failed.
    pub async fn announce(&self, info: &WorkerInfo) -> Result<(), KvError> {
        let value = serde_json::to_string(info).map_err(|e| KvError::Command(e.to_string()))?;
        self.kv
            .set(
                &format!("{}{}", self.worker_prefix, info.hostname),
                &value,
                Some(self.heartbeat_ttl),
            )
            .await
    }

    /// Withdraws `hostname`'s announcement (a worker stopping).
    ///
    /// # Errors
    /// The Kv store failed.
    pub async fn withdraw(&self, hostname: &str) -> Result<(), KvError> {
        self.kv
            .del(&format!("{}{hostname}", self.worker_prefix))
            .await
            .map(|_| ())
    }

    /// The workers that announced themselves within three heartbeat intervals, by hostname.
    ///
    /// # Errors
    /// The Kv store failed.
    pub async fn live_workers(&self) -> Result<Vec<WorkerInfo>, KvError> {
        let keys = self.kv.keys_with_prefix(&self.worker_prefix).await?;
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let values = self.kv.mget(&keys).await?;
        let mut workers: Vec<WorkerInfo> = values
            .into_iter()
            .flatten()
            .filter_map(|v| serde_json::from_str(&v).ok())
            .collect();
        workers.sort_by(|a, b| a.hostname.cmp(&b.hostname));
        Ok(workers)
    }

    /// Marks `task_id` revoked: a worker that gets it later records `REVOKED` instead of
    /// running it (Celery's `revoke` without `terminate`).
    ///
    /// # Errors
    /// The Kv store failed.
    pub async fn revoke(&self, task_id: &str) -> Result<(), KvError> {
        self.kv
            .set(
                &format!("{}{task_id}", self.revoked_prefix),
                "1",
                Some(REVOKE_TTL),
            )
            .await
    }

    /// Whether `task_id` was revoked.
    ///
    /// # Errors
    /// The Kv store failed.
    pub async fn is_revoked(&self, task_id: &str) -> Result<bool, KvError> {
        self.kv
            .exists(&format!("{}{task_id}", self.revoked_prefix))
            .await
    }
}
