//! The scheduler (Celery beat with FBA's `DatabaseScheduler`): sends the jobs of the enabled
//! `task_scheduler` entries when they are due.
//!
//! Every `TASK_SCHEDULER_TICK_MS` the scheduler holding FBA's lock `fba:celery:beat_lock` (25 s,
//! renewed every tick) reads the enabled entries — so an edit through the API counts at the
//! next tick, without a restart — and for each due one claims the firing with a compare-and-set
//! on its `total_run_count`, then sends the job. The claim, not the lock, is what makes a due
//! time fire once: two schedulers that both believe they hold the lock (a lock that expired
//! under a paused process) still send one job, since only one `UPDATE` matches.

pub mod schedule;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use fba_common::AppState;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::client::Tasks;
use crate::message::TaskMessage;
use crate::model::task_scheduler::{Column, Entity, Model};
use schedule::{Schedule, parse_args, parse_kwargs};

/// FBA's beat lock time-out.
pub const LOCK_TTL: Duration = Duration::from_secs(25);

/// A running scheduler; [`Scheduler::stop`] ends it and releases the lock.
pub struct Scheduler {
    stop: watch::Sender<bool>,
    join: JoinHandle<()>,
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").finish_non_exhaustive()
    }
}

struct Beat {
    state: AppState,
    tasks: Tasks,
    owner: String,
    lock_key: String,
    holding: bool,
}

impl Scheduler {
    /// Starts a scheduler for `tasks`, competing for the lock as `owner`.
    pub fn spawn(state: AppState, tasks: Tasks, owner: String) -> Self {
        let (stop, stop_rx) = watch::channel(false);
        let beat = Beat {
            lock_key: tasks.settings.key("beat_lock"),
            state,
            tasks,
            owner,
            holding: false,
        };
        Self {
            stop,
            join: tokio::spawn(beat.run(stop_rx)),
        }
    }

    /// Stops ticking and releases the lock if held.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        if let Err(e) = self.join.await {
            tracing::error!(error = %e, "scheduler failed");
        }
    }
}

impl Beat {
    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let tick = self.tasks.settings.scheduler_tick;
        loop {
            if self.hold_lock().await
                && let Err(e) = self.tick(Utc::now()).await
            {
                tracing::warn!(error = %e, "scheduler tick failed");
            }
            tokio::select! {
                () = tokio::time::sleep(tick) => {}
                _ = stop.changed() => break,
            }
        }
        if self.holding {
            self.release_lock().await;
        }
    }

    /// Takes or renews the lock; whether this scheduler holds it.
    async fn hold_lock(&mut self) -> bool {
        let kv = &self.state.kv;
        let held = match kv.set_nx(&self.lock_key, &self.owner, Some(LOCK_TTL)).await {
            Ok(true) => true,
            Ok(false) => match kv.get(&self.lock_key).await {
                Ok(Some(owner)) if owner == self.owner => {
                    kv.expire(&self.lock_key, LOCK_TTL).await.unwrap_or(false)
                }
                Ok(_) => false,
                Err(e) => {
                    tracing::debug!(error = %e, "scheduler lock check failed");
                    false
                }
            },
            Err(e) => {
                tracing::debug!(error = %e, "scheduler lock check failed");
                false
            }
        };
        if held != self.holding {
            tracing::info!(owner = %self.owner, held, "scheduler lock");
            self.holding = held;
        }
        held
    }

    async fn release_lock(&self) {
        let kv = &self.state.kv;
        if let Ok(Some(owner)) = kv.get(&self.lock_key).await
            && owner == self.owner
        {
            let _ = kv.del(&self.lock_key).await;
        }
    }

    async fn tick(&self, now: DateTime<Utc>) -> Result<(), DbErr> {
        let entries = Entity::find()
            .filter(Column::Enabled.eq(true))
            .all(&self.state.db)
            .await?;
        for entry in entries {
            self.consider(entry, now).await?;
        }
        Ok(())
    }

    /// Sends `entry`'s job when it is due at `now` (FBA's `ModelEntry.is_due` and `__next__`).
    async fn consider(&self, entry: Model, now: DateTime<Utc>) -> Result<(), DbErr> {
        let tz = self.state.settings.time.timezone;
        let parsed = Schedule::of(&entry, tz).and_then(|s| {
            let args = parse_args(entry.args.as_deref()).map_err(|e| e.to_string())?;
            let kwargs = parse_kwargs(entry.kwargs.as_deref()).map_err(|e| e.to_string())?;
            Ok((s, args, kwargs))
        });
        let (schedule, args, kwargs) = match parsed {
            Ok(p) => p,
            Err(why) => {
                tracing::warn!(name = %entry.name, %why, "scheduler entry disabled");
                return self.disable(entry.id, false).await;
            }
        };
        if entry.start_time.is_some_and(|start| now < start) {
            return Ok(());
        }
        if entry.one_off && entry.total_run_count > 0 {
            return self.disable(entry.id, true).await;
        }
        let last = match entry.last_run_time {
            Some(last) => last,
            None => {
                // First sight: an entry with a start time is due at once, any other one a
                // period from now (FBA's initial `last_run_time`).
                let start = match entry.start_time {
                    Some(start) => start - TimeDelta::days(365),
                    None => now,
                };
                Entity::update_many()
                    .col_expr(Column::LastRunTime, Expr::value(start))
                    .filter(Column::Id.eq(entry.id))
                    .filter(Column::LastRunTime.is_null())
                    .exec(&self.state.db)
                    .await?;
                if entry.start_time.is_none() {
                    return Ok(());
                }
                start
            }
        };
        if schedule.next_after(last).is_none_or(|due| due > now) {
            return Ok(());
        }
        // Claim this firing: only one scheduler's UPDATE matches the count it read.
        let claimed = Entity::update_many()
            .col_expr(Column::LastRunTime, Expr::value(now))
            .col_expr(
                Column::TotalRunCount,
                Expr::col(Column::TotalRunCount).add(1),
            )
            .filter(Column::Id.eq(entry.id))
            .filter(Column::Enabled.eq(true))
            .filter(Column::TotalRunCount.eq(entry.total_run_count))
            .exec(&self.state.db)
            .await?;
        if claimed.rows_affected != 1 {
            return Ok(());
        }
        let mut message = TaskMessage::new(entry.task.clone(), args, kwargs);
        message.periodic_task_name = Some(entry.name.clone());
        message.expires = match (entry.expire_seconds, entry.expire_time) {
            (Some(secs), _) => now.checked_add_signed(TimeDelta::seconds(i64::from(secs))),
            (None, Some(at)) => Some(at),
            (None, None) => None,
        };
        match self.tasks.send_message(&message).await {
            Ok(()) => {
                tracing::debug!(name = %entry.name, task_id = %message.id, "scheduled job sent")
            }
            Err(e) => tracing::error!(name = %entry.name, error = %e, "scheduled job not sent"),
        }
        Ok(())
    }

    /// Disables an entry (an unusable one, or a one-off that ran; that one's count is reset,
    /// as FBA does).
    async fn disable(&self, id: i64, reset_count: bool) -> Result<(), DbErr> {
        let mut update = Entity::update_many()
            .col_expr(Column::Enabled, Expr::value(false))
            .filter(Column::Id.eq(id));
        if reset_count {
            update = update.col_expr(Column::TotalRunCount, Expr::value(0));
        }
        update.exec(&self.state.db).await.map(|_| ())
    }
}
