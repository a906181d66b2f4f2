//! Sessions in the database: [`SqlCheckpointer`] saves a session's state after every step
//! (only the new messages, the rest as one checkpoint row, in one transaction) and [`load`]
//! reads it back.

use async_trait::async_trait;
use chrono::Utc;
use fba_db::Db;
use sea_orm::{
    ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};
use tokio::sync::Mutex;

use super::model::{agent_checkpoint, agent_message, agent_session};
use crate::AgentError;
use crate::llm::Message;
use crate::runtime::{Checkpointer, SessionState};

/// What the table holds of the conversation: how many messages, and the last one as stored.
#[derive(Debug, Default)]
struct Stored {
    count: usize,
    last: Option<String>,
}

/// Saves one session's state in `agent_message` and `agent_checkpoint`.
#[derive(Debug)]
pub struct SqlCheckpointer {
    db: Db,
    session_id: String,
    stored: Mutex<Stored>,
}

impl SqlCheckpointer {
    /// The checkpointer of `session_id`, whose stored conversation is `messages`.
    pub fn new(db: Db, session_id: &str, messages: &[Message]) -> Self {
        Self {
            db,
            session_id: session_id.to_owned(),
            stored: Mutex::new(Stored {
                count: messages.len(),
                last: messages.last().and_then(|m| serde_json::to_string(m).ok()),
            }),
        }
    }
}

fn store_err(e: impl std::fmt::Display) -> AgentError {
    AgentError::Store(e.to_string())
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, AgentError> {
    serde_json::to_string(value).map_err(store_err)
}

/// The session's status as the list shows it.
pub fn status_of(state: &SessionState) -> &'static str {
    if state.pending.is_some() {
        "interrupted"
    } else {
        "idle"
    }
}

#[async_trait]
impl Checkpointer for SqlCheckpointer {
    async fn save(&self, state: &SessionState) -> Result<(), AgentError> {
        let mut stored = self.stored.lock().await;
        let encoded: Vec<String> = state.messages.iter().map(json).collect::<Result<_, _>>()?;
        // Appending is right only when the stored prefix is unchanged; a shorter conversation
        // (a summary, a clear) or a changed last message is rewritten.
        let append = encoded.len() >= stored.count
            && (stored.count == 0 || encoded.get(stored.count - 1) == stored.last.as_ref());
        let txn = fba_db::begin_write(&self.db).await.map_err(store_err)?;
        let from = if append {
            stored.count
        } else {
            agent_message::Entity::delete_many()
                .filter(agent_message::Column::SessionId.eq(&self.session_id))
                .exec(&txn)
                .await
                .map_err(store_err)?;
            0
        };
        for (seq, message) in encoded.iter().enumerate().skip(from) {
            agent_message::ActiveModel {
                id: NotSet,
                session_id: Set(self.session_id.clone()),
                seq: Set(i32::try_from(seq).map_err(store_err)?),
                message: Set(message.clone()),
            }
            .insert(&txn)
            .await
            .map_err(store_err)?;
        }
        let now = Utc::now();
        let row = agent_checkpoint::ActiveModel {
            session_id: Set(self.session_id.clone()),
            todos: Set(json(&state.todos)?),
            plan: Set(state.plan.clone()),
            plan_mode: Set(state.plan_mode),
            usage: Set(json(&state.usage)?),
            tasks: Set(json(&state.tasks)?),
            pending: Set(state.pending.as_ref().map(json).transpose()?),
            runs: Set(i64::try_from(state.runs).map_err(store_err)?),
            updated_time: Set(now),
        };
        let exists = agent_checkpoint::Entity::find_by_id(self.session_id.clone())
            .one(&txn)
            .await
            .map_err(store_err)?
            .is_some();
        if exists {
            row.update(&txn).await.map_err(store_err)?;
        } else {
            row.insert(&txn).await.map_err(store_err)?;
        }
        agent_session::Entity::update_many()
            .col_expr(
                agent_session::Column::PlanMode,
                sea_orm::sea_query::Expr::value(state.plan_mode),
            )
            .col_expr(
                agent_session::Column::Status,
                sea_orm::sea_query::Expr::value(status_of(state)),
            )
            .col_expr(
                agent_session::Column::UpdatedTime,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(agent_session::Column::Id.eq(&self.session_id))
            .exec(&txn)
            .await
            .map_err(store_err)?;
        txn.commit().await.map_err(store_err)?;
        stored.count = encoded.len();
        stored.last = encoded.last().cloned();
        Ok(())
    }
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, DbErr> {
    serde_json::from_str(text)
        .map_err(|e| DbErr::Custom(format!("agent checkpoint {what} unreadable: {e}")))
}

/// The stored state of `session_id` (the default state when nothing was saved yet).
///
/// # Errors
/// A database failure, or a stored value that does not parse.
pub async fn load<C: ConnectionTrait>(db: &C, session_id: &str) -> Result<SessionState, DbErr> {
    let rows = agent_message::Entity::find()
        .filter(agent_message::Column::SessionId.eq(session_id))
        .order_by_asc(agent_message::Column::Seq)
        .all(db)
        .await?;
    let mut state = SessionState {
        messages: rows
            .iter()
            .map(|r| parse("message", &r.message))
            .collect::<Result<_, _>>()?,
        ..SessionState::default()
    };
    if let Some(cp) = agent_checkpoint::Entity::find_by_id(session_id.to_owned())
        .one(db)
        .await?
    {
        state.todos = parse("todos", &cp.todos)?;
        state.plan = cp.plan;
        state.plan_mode = cp.plan_mode;
        state.usage = parse("usage", &cp.usage)?;
        state.tasks = parse("tasks", &cp.tasks)?;
        state.pending = cp
            .pending
            .as_deref()
            .map(|p| parse("pending", p))
            .transpose()?;
        state.runs = u64::try_from(cp.runs).unwrap_or(0);
    }
    Ok(state)
}

/// Deletes every row of `session_id`.
///
/// # Errors
/// A database failure.
pub async fn delete<C>(db: &C, session_id: &str) -> Result<(), DbErr>
where
    C: TransactionTrait<Transaction = sea_orm::DatabaseTransaction>,
{
    let txn = fba_db::begin_write(db).await?;
    agent_message::Entity::delete_many()
        .filter(agent_message::Column::SessionId.eq(session_id))
        .exec(&txn)
        .await?;
    agent_checkpoint::Entity::delete_by_id(session_id.to_owned())
        .exec(&txn)
        .await?;
    agent_session::Entity::delete_by_id(session_id.to_owned())
        .exec(&txn)
        .await?;
    txn.commit().await
}
