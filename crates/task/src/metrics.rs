//! [`TaskMetrics`]: what a worker counts for Prometheus (`fba-worker --metrics-port`):
//! `fba_task_total` (runs ended, by task and final state), `fba_task_running` and
//! `fba_task_cost_time` (ms per run, by task), under the app's `app_name` label.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::message::TaskStatus;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndLabels {
    task: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TaskLabels {
    task: String,
}

fn cost_histogram() -> Histogram {
    Histogram::new(fba_common::metrics::COST_BUCKETS_MS)
}

/// A worker's task metrics (cheap to clone: shared handles).
#[derive(Clone, Debug)]
pub struct TaskMetrics {
    ended: Family<EndLabels, Counter>,
    running: Gauge,
    cost: Family<TaskLabels, Histogram, fn() -> Histogram>,
}

impl Default for TaskMetrics {
    fn default() -> Self {
        Self {
            ended: Family::default(),
            running: Gauge::default(),
            cost: Family::new_with_constructor(cost_histogram),
        }
    }
}

impl TaskMetrics {
    /// Registers the metrics in `registry` (see [`fba_common::metrics::Metrics::for_app`]).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "fba_task",
            "Task runs ended, by task and state (SUCCESS, FAILURE, RETRY, REVOKED)",
            self.ended.clone(),
        );
        registry.register(
            "fba_task_running",
            "Task runs in progress",
            self.running.clone(),
        );
        registry.register(
            "fba_task_cost_time",
            "Time of one task run (ms), by task",
            self.cost.clone(),
        );
    }

    /// A run of `task` started.
    pub fn started(&self) {
        self.running.inc();
    }

    /// A run of `task` ended in `status` after `elapsed` (`None` for a job that never ran:
    /// revoked, expired, unknown).
    pub fn ended(&self, task: &str, status: TaskStatus, elapsed: Option<Duration>) {
        self.ended
            .get_or_create(&EndLabels {
                task: task.to_owned(),
                status: status.as_str().to_owned(),
            })
            .inc();
        if let Some(elapsed) = elapsed {
            self.running.dec();
            self.cost
                .get_or_create(&TaskLabels {
                    task: task.to_owned(),
                })
                .observe(elapsed.as_secs_f64() * 1000.0);
        }
    }
}
