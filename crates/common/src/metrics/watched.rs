//! Values read at each scrape: queue depths (`fba_queue_size`) and the database pool
//! (`fba_sqlalchemy_pool_connections`).

use std::sync::RwLock;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::gauge::ConstGauge;

use super::PoolGauge;

type Depth = Box<dyn Fn() -> usize + Send + Sync>;
type Pool = Box<dyn Fn() -> PoolGauge + Send + Sync>;

/// The sources registered with [`super::Metrics::watch_queue`] and
/// [`super::Metrics::watch_pool`].
#[derive(Default)]
pub(super) struct Watched {
    queues: RwLock<Vec<(String, Depth)>>,
    pool: RwLock<Option<Pool>>,
}

impl std::fmt::Debug for Watched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watched").finish_non_exhaustive()
    }
}

impl Watched {
    pub(super) fn add_queue(&self, name: &str, depth: Depth) {
        if let Ok(mut queues) = self.queues.write() {
            queues.retain(|(n, _)| n != name);
            queues.push((name.to_owned(), depth));
        }
    }

    pub(super) fn set_pool(&self, pool: Pool) {
        if let Ok(mut slot) = self.pool.write() {
            *slot = Some(pool);
        }
    }
}

impl Collector for Watched {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        if let Ok(queues) = self.queues.read()
            && !queues.is_empty()
        {
            let mut family = encoder.encode_descriptor(
                "fba_queue_size",
                "Items waiting in a queue, by queue",
                None,
                prometheus_client::metrics::MetricType::Gauge,
            )?;
            for (name, depth) in queues.iter() {
                let gauge = ConstGauge::new(i64::try_from(depth()).unwrap_or(i64::MAX));
                gauge.encode(family.encode_family(&[("queue_name", name.as_str())])?)?;
            }
        }
        if let Ok(pool) = self.pool.read()
            && let Some(stats) = pool.as_ref()
        {
            let s = stats();
            let mut family = encoder.encode_descriptor(
                "fba_sqlalchemy_pool_connections",
                "Database pool connections, by state",
                None,
                prometheus_client::metrics::MetricType::Gauge,
            )?;
            for (state, value) in [
                ("size", s.size),
                ("checked_out", s.checked_out),
                ("idle", s.idle),
                ("overflow", s.overflow),
            ] {
                let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
                gauge.encode(family.encode_family(&[("state", state)])?)?;
            }
        }
        Ok(())
    }
}
