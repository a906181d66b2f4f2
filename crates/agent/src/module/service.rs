//! The live sessions of this process and their runs.
//!
//! A session is loaded lazily from the database into a [`Live`] (its workspace, its
//! [`Session`] and its runs); a restarted server thus resumes a session where it stopped,
//! pending interrupt included. A run is a spawned task (a client that disconnects never stops
//! it) whose events go to a [`RunBuffer`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use chrono::Utc;
use fba_db::Db;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::error::ApiError;
use super::model::agent_session;
use super::runs::RunBuffer;
use super::settings::AgentSettings;
use super::store::{self, SqlCheckpointer};
use crate::host::{AgentHost, Workspace};
use crate::runtime::{
    AgentEvent, Checkpointer, EventKind, EventSink, RunInput, RunStop, Session, SessionState,
};

/// Runs kept per session for reattaching (the oldest is forgotten first).
const RUNS_KEPT: usize = 8;

/// The agent of this process: its host (when configured) and its live sessions.
pub struct AgentService {
    /// The module's settings.
    pub settings: AgentSettings,
    host: Result<Arc<AgentHost>, String>,
    db: Db,
    live: tokio::sync::Mutex<HashMap<String, Arc<Live>>>,
}

impl std::fmt::Debug for AgentService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentService").finish_non_exhaustive()
    }
}

/// One loaded session.
pub struct Live {
    /// The session's id.
    pub id: String,
    /// Its owner.
    pub user_id: i64,
    /// The agent.
    pub session: Session,
    /// Its sandbox.
    pub workspace: Workspace,
    store: Arc<SqlCheckpointer>,
    sink: EventSink,
    capacity: usize,
    runs: Mutex<Runs>,
}

#[derive(Default)]
struct Runs {
    /// The run in progress: its buffer and its cancel token.
    active: Option<(Arc<RunBuffer>, CancellationToken)>,
    /// Recent runs, oldest first.
    recent: Vec<Arc<RunBuffer>>,
}

impl Live {
    fn runs(&self) -> std::sync::MutexGuard<'_, Runs> {
        self.runs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The buffer of run `run_id`.
    pub fn run(&self, run_id: &str) -> Option<Arc<RunBuffer>> {
        self.runs()
            .recent
            .iter()
            .find(|r| r.run_id() == run_id)
            .cloned()
    }

    /// The run in progress.
    pub fn active_run(&self) -> Option<String> {
        self.runs()
            .active
            .as_ref()
            .map(|(b, _)| b.run_id().to_owned())
    }

    /// Routes one event to the run in progress (background events between runs are only
    /// recorded in the state).
    fn route(&self, event: &AgentEvent) {
        let runs = self.runs();
        if let Some((buffer, _)) = &runs.active {
            buffer.push(event);
        }
    }

    /// Saves the current state (after a change made outside a run).
    async fn save(&self) -> Result<(), ApiError> {
        let state = self.session.snapshot().await;
        self.store.save(&state).await?;
        Ok(())
    }
}

/// Forwards a session's events to its runs while the session lives.
async fn forward(live: Weak<Live>, mut rx: mpsc::UnboundedReceiver<AgentEvent>) {
    while let Some(event) = rx.recv().await {
        match live.upgrade() {
            Some(live) => live.route(&event),
            None => return,
        }
    }
}

impl AgentService {
    /// The service over `db`; `host` is the started host or why there is none.
    pub fn new(settings: AgentSettings, host: Result<Arc<AgentHost>, String>, db: Db) -> Self {
        Self {
            settings,
            host,
            db,
            live: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The host.
    ///
    /// # Errors
    /// [`ApiError::NotConfigured`] when no configuration was found.
    pub fn host(&self) -> Result<&Arc<AgentHost>, ApiError> {
        self.host
            .as_ref()
            .map_err(|why| ApiError::NotConfigured(why.clone()))
    }

    /// Why the agent is not configured, if it is not.
    pub fn unconfigured(&self) -> Option<&str> {
        self.host.as_ref().err().map(String::as_str)
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Creates a session for `user_id`.
    ///
    /// # Errors
    /// 409 over the per-user limit, 422 for an unknown model, 503 when not configured.
    pub async fn create(
        &self,
        user_id: i64,
        title: Option<String>,
        model: Option<String>,
        plan_mode: bool,
    ) -> Result<Arc<Live>, ApiError> {
        let host = self.host()?;
        if let Some(m) = &model
            && !host.models().iter().any(|(alias, _, _)| alias == m)
        {
            return Err(ApiError::UnknownModel(m.clone()));
        }
        let count = agent_session::Entity::find()
            .filter(agent_session::Column::UserId.eq(user_id))
            .count(&self.db)
            .await?;
        if count >= self.settings.max_sessions_per_user {
            return Err(ApiError::TooManySessions(
                self.settings.max_sessions_per_user,
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let now = Utc::now();
        agent_session::ActiveModel {
            id: Set(id.clone()),
            user_id: Set(user_id),
            title: Set(title.unwrap_or_else(|| "新会话".to_owned())),
            model: Set(model),
            // Short: the sandbox's bridge socket path must fit in `sun_path` (108 bytes).
            sandbox_id: Set(id.replace('-', "").chars().take(16).collect()),
            plan_mode: Set(plan_mode),
            status: Set("idle".to_owned()),
            created_time: Set(now),
            updated_time: Set(None),
        }
        .insert(&self.db)
        .await?;
        let live = match self.get(user_id, &id).await {
            Ok(live) => live,
            Err(e) => {
                let _ = store::delete(&self.db, &id).await;
                return Err(e);
            }
        };
        if plan_mode {
            live.session.set_plan_mode(true)?;
        }
        live.save().await?;
        Ok(live)
    }

    /// The session row of `id` when `user_id` owns it.
    ///
    /// # Errors
    /// 404 for an unknown id or another user's session.
    pub async fn row(&self, user_id: i64, id: &str) -> Result<agent_session::Model, ApiError> {
        agent_session::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
            .filter(|r| r.user_id == user_id)
            .ok_or(ApiError::SessionNotFound)
    }

    /// The sessions of `user_id`, newest first: a page and the total.
    ///
    /// # Errors
    /// A database failure.
    pub async fn list(
        &self,
        user_id: i64,
        offset: Option<u64>,
        limit: u64,
    ) -> Result<(Vec<agent_session::Model>, u64), ApiError> {
        let query = agent_session::Entity::find().filter(agent_session::Column::UserId.eq(user_id));
        let total = query.clone().count(&self.db).await?;
        let Some(offset) = offset else {
            return Ok((Vec::new(), total));
        };
        let rows = query
            .order_by_desc(agent_session::Column::CreatedTime)
            .order_by_asc(agent_session::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(&self.db)
            .await?;
        Ok((rows, total))
    }

    /// The live session `id` of `user_id`, loaded from the database when this process has not
    /// seen it yet.
    ///
    /// # Errors
    /// 404 for an unknown id or another user's session; 503 when not configured.
    pub async fn get(&self, user_id: i64, id: &str) -> Result<Arc<Live>, ApiError> {
        let mut live = self.live.lock().await;
        if let Some(found) = live.get(id) {
            return if found.user_id == user_id {
                Ok(Arc::clone(found))
            } else {
                Err(ApiError::SessionNotFound)
            };
        }
        let row = self.row(user_id, id).await?;
        let host = self.host()?;
        let state = store::load(&self.db, id).await?;
        let workspace = host.open_workspace(&row.sandbox_id)?;
        let llm = host.model(row.model.as_deref())?;
        let date = row.created_time.format("%Y-%m-%d").to_string();
        let spec = host.agent_spec(&workspace, llm, &date)?;
        let store = Arc::new(SqlCheckpointer::new(self.db.clone(), id, &state.messages));
        let (tx, rx) = mpsc::unbounded_channel();
        let sink = EventSink::new(tx);
        let checkpointer: Arc<dyn Checkpointer> = store.clone();
        let session = Session::new(spec, state, checkpointer, sink.clone());
        let entry = Arc::new(Live {
            id: id.to_owned(),
            user_id,
            session,
            workspace,
            store,
            sink,
            capacity: self.settings.run_event_buffer,
            runs: Mutex::new(Runs::default()),
        });
        tokio::spawn(forward(Arc::downgrade(&entry), rx));
        live.insert(id.to_owned(), Arc::clone(&entry));
        Ok(entry)
    }

    /// Starts a run of `live` on `input`; its events go to the returned buffer.
    ///
    /// # Errors
    /// 409 when a run is in progress; 404 when resuming an interrupt that is not the pending
    /// one.
    pub async fn start_run(
        &self,
        live: &Arc<Live>,
        input: RunInput,
    ) -> Result<Arc<RunBuffer>, ApiError> {
        let cancel = CancellationToken::new();
        let buffer = {
            let mut runs = live.runs();
            if runs.active.is_some() || live.session.is_running() {
                return Err(ApiError::Busy);
            }
            // The state is free (no run): its run counter gives the new run's id.
            let state = live
                .session
                .snapshot()
                .now_or_never_state()
                .ok_or(ApiError::Busy)?;
            if let RunInput::Resume { interrupt_id, .. } = &input
                && state.pending.as_ref().is_none_or(|p| &p.id != interrupt_id)
            {
                return Err(ApiError::InterruptNotFound);
            }
            let buffer = RunBuffer::new(&format!("run-{}", state.runs + 1), live.capacity);
            runs.active = Some((Arc::clone(&buffer), cancel.clone()));
            runs.recent.push(Arc::clone(&buffer));
            if runs.recent.len() > RUNS_KEPT {
                runs.recent.remove(0);
            }
            buffer
        };
        let live = Arc::clone(live);
        tokio::spawn(async move {
            let outcome = live.session.run(input, cancel).await;
            if let Err(e) = &outcome
                && matches!(e, crate::AgentError::Busy | crate::AgentError::Interrupt(_))
            {
                // Refused before it started: the stream still ends.
                live.sink.send(EventKind::Error {
                    message: e.to_string(),
                });
                live.sink.send(EventKind::RunFinished {
                    stop_reason: RunStop::Error,
                    usage: crate::llm::Usage::default(),
                });
            }
            if let Err(e) = outcome {
                tracing::warn!(session = %live.id, error = %e, "agent run failed");
            }
            // The forwarder may still hold the last events: wait for run_finished to arrive.
            let buffer = live.runs().active.as_ref().map(|(b, _)| Arc::clone(b));
            if let Some(buffer) = buffer {
                for _ in 0..200 {
                    if buffer.is_finished() {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            }
            live.runs().active = None;
        });
        Ok(buffer)
    }

    /// Cancels run `run_id` of `live`.
    ///
    /// # Errors
    /// 404 for an unknown run, 409 when it is over.
    pub fn cancel(&self, live: &Live, run_id: &str) -> Result<(), ApiError> {
        let runs = live.runs();
        match &runs.active {
            Some((buffer, cancel)) if buffer.run_id() == run_id => {
                cancel.cancel();
                Ok(())
            }
            _ if runs.recent.iter().any(|r| r.run_id() == run_id) => Err(ApiError::NotRunning),
            _ => Err(ApiError::RunNotFound),
        }
    }

    /// Sets plan mode and saves.
    ///
    /// # Errors
    /// 409 while a run is in progress.
    pub async fn set_plan_mode(&self, live: &Live, on: bool) -> Result<(), ApiError> {
        if live.runs().active.is_some() {
            return Err(ApiError::Busy);
        }
        live.session.set_plan_mode(on)?;
        live.save().await
    }

    /// `/clear`: a new conversation, and the workspace's `data/ results/ code/` wiped.
    ///
    /// # Errors
    /// 409 while a run is in progress.
    pub async fn clear(&self, live: &Live) -> Result<(), ApiError> {
        if live.runs().active.is_some() {
            return Err(ApiError::Busy);
        }
        live.session.clear()?;
        let root = live.workspace.sandbox.workspace_dir();
        for dir in ["data", "results", "code"] {
            let path = root.join(dir);
            if path.is_dir() {
                std::fs::remove_dir_all(&path).map_err(crate::AgentError::from)?;
                std::fs::create_dir_all(&path).map_err(crate::AgentError::from)?;
            }
        }
        live.save().await
    }

    /// Deletes a session: its run is cancelled, its background tasks stopped, its sandbox
    /// destroyed and its rows deleted.
    ///
    /// # Errors
    /// 404 for an unknown id or another user's session.
    pub async fn delete(&self, user_id: i64, id: &str) -> Result<(), ApiError> {
        let row = self.row(user_id, id).await?;
        let removed = self.live.lock().await.remove(id);
        if let Some(live) = removed {
            if let Some((_, cancel)) = &live.runs().active {
                cancel.cancel();
            }
            live.session.stop_background();
            // The cancelled run saves once more as it ends: let it, before the rows go.
            for _ in 0..200 {
                if live.runs().active.is_none() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            if let Err(e) = live.workspace.sandbox.destroy() {
                tracing::warn!(session = %id, error = %e, "sandbox not destroyed");
            }
        } else if let Ok(host) = self.host() {
            let dir = host.sandbox_config().root_dir.join(&row.sandbox_id);
            if let Err(e) = std::fs::remove_dir_all(&dir)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(session = %id, error = %e, "sandbox not destroyed");
            }
        }
        store::delete(&self.db, id).await?;
        Ok(())
    }

    /// Stops every run and background task and forgets the live sessions (the app stops).
    pub async fn shutdown(&self) {
        let lives: Vec<Arc<Live>> = self.live.lock().await.drain().map(|(_, l)| l).collect();
        for live in lives {
            if let Some((_, cancel)) = &live.runs().active {
                cancel.cancel();
            }
            live.session.stop_background();
        }
        if let Ok(host) = &self.host {
            host.shutdown().await;
        }
    }
}

/// The state of a session that no run holds, without waiting.
trait NowOrNever {
    fn now_or_never_state(self) -> Option<SessionState>;
}

impl<F: std::future::Future<Output = SessionState>> NowOrNever for F {
    fn now_or_never_state(self) -> Option<SessionState> {
        futures_util::FutureExt::now_or_never(self)
    }
}
