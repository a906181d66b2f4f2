//! [`TaskMessage`]: one job as it travels through a broker (FBA's Celery message, reduced to
//! what a worker needs), and [`TaskStatus`], Celery's state names as `task_result.status`
//! stores them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One job: which task, with which arguments, how often it has been retried, and its time
/// window. Serialized as JSON on every broker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskMessage {
    /// The job's id (a UUID, Celery's `task_id`): the key of its `task_result` row.
    pub id: String,
    /// The registered task name (`task_demo_params`).
    pub name: String,
    /// Positional arguments.
    #[serde(default)]
    pub args: Vec<Value>,
    /// Keyword arguments.
    #[serde(default)]
    pub kwargs: Map<String, Value>,
    /// How many times the job has been retried so far.
    #[serde(default)]
    pub retries: u32,
    /// Not to run before this time (a retry's backoff, Celery's `eta`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta: Option<DateTime<Utc>>,
    /// Not to run after this time: a worker that gets it later records `REVOKED` (Celery's
    /// `expires`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<DateTime<Utc>>,
    /// The `task_scheduler` entry that sent it (Celery's `periodic_task_name`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub periodic_task_name: Option<String>,
    /// The queue it was sent to (`task_result.queue`).
    #[serde(default = "default_queue")]
    pub queue: String,
    /// The W3C `traceparent` of the request that sent it, when traces are exported: its run
    /// continues that trace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
}

/// The queue every job goes to unless told otherwise (Celery's default queue name).
pub const DEFAULT_QUEUE: &str = "celery";

fn default_queue() -> String {
    DEFAULT_QUEUE.to_owned()
}

impl TaskMessage {
    /// A new job for `name` with a fresh id, on the default queue, due now.
    pub fn new(name: impl Into<String>, args: Vec<Value>, kwargs: Map<String, Value>) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            name: name.into(),
            args,
            kwargs,
            retries: 0,
            eta: None,
            expires: None,
            periodic_task_name: None,
            queue: default_queue(),
            traceparent: fba_common::telemetry::current_traceparent(),
        }
    }

    /// The message as broker payload (JSON text).
    ///
    /// # Errors
    /// Never in practice (every field serializes); kept fallible for the serializer's sake.
    pub fn encode(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// A message from broker payload.
    ///
    /// # Errors
    /// The payload is not a message (a foreign producer, a corrupted row).
    pub fn decode(payload: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(payload)
    }

    /// Whether its `expires` time has passed at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires.is_some_and(|at| at <= now)
    }
}

/// Celery's task states, as `task_result.status` stores them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TaskStatus {
    /// Known but not started (`PENDING`).
    Pending,
    /// A worker is running it (`STARTED`, Celery's `task_track_started`).
    Started,
    /// Finished; `result` holds the value (`SUCCESS`).
    Success,
    /// Failed for good; `result` holds `{"exc_type","exc_message","exc_module"}` (`FAILURE`).
    Failure,
    /// Failed and is queued again (`RETRY`).
    Retry,
    /// Cancelled or expired before it ran (`REVOKED`).
    Revoked,
}

impl TaskStatus {
    /// Celery's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Started => "STARTED",
            Self::Success => "SUCCESS",
            Self::Failure => "FAILURE",
            Self::Retry => "RETRY",
            Self::Revoked => "REVOKED",
        }
    }
}

impl std::fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_round_trips_and_old_payloads_get_defaults() {
        let mut kwargs = Map::new();
        kwargs.insert("world".into(), Value::from("世界"));
        let m = TaskMessage::new("task_demo_params", vec![Value::from("你好，")], kwargs);
        let back = TaskMessage::decode(&m.encode().unwrap()).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.queue, DEFAULT_QUEUE);
        let bare = TaskMessage::decode(r#"{"id":"x","name":"task_demo"}"#).unwrap();
        assert!(bare.args.is_empty() && bare.kwargs.is_empty() && bare.retries == 0);
        assert!(TaskMessage::decode("[1]").is_err());
    }

    #[test]
    fn expiry_is_inclusive_of_the_deadline() {
        let now = Utc::now();
        let mut m = TaskMessage::new("t", Vec::new(), Map::new());
        assert!(!m.is_expired(now));
        m.expires = Some(now);
        assert!(m.is_expired(now));
    }
}
