//! Writing `task_result` rows as jobs move through their states (Celery's extended database
//! result backend with `task_track_started`): one row per job id, updated in place.

use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use serde_json::Value;

use crate::message::{TaskMessage, TaskStatus};
use crate::model::task_result::{ActiveModel, Column, Entity};

/// What a state change records besides the state.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// The return value or failure dict.
    pub result: Option<Value>,
    /// The failure's details.
    pub traceback: Option<String>,
}

/// Records `status` for `message` as run by `worker`: inserts the job's row or updates it.
/// `date_done` is set for every state (Celery sets it on each update too).
///
/// # Errors
/// The database failed.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    message: &TaskMessage,
    status: TaskStatus,
    worker: &str,
    outcome: Outcome,
) -> Result<(), DbErr> {
    let row = ActiveModel {
        task_id: Set(Some(message.id.clone())),
        status: Set(Some(status.as_str().to_owned())),
        result: Set(outcome.result.map(|v| v.to_string().into_bytes())),
        date_done: Set(Some(Utc::now())),
        traceback: Set(outcome.traceback),
        name: Set(Some(message.name.clone())),
        args: Set(Some(
            Value::from(message.args.clone()).to_string().into_bytes(),
        )),
        kwargs: Set(Some(
            Value::Object(message.kwargs.clone())
                .to_string()
                .into_bytes(),
        )),
        worker: Set(Some(worker.to_owned())),
        retries: Set(Some(i32::try_from(message.retries).unwrap_or(i32::MAX))),
        queue: Set(Some(message.queue.clone())),
        ..Default::default()
    };
    Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::TaskId)
                .update_columns([
                    Column::Status,
                    Column::Result,
                    Column::DateDone,
                    Column::Traceback,
                    Column::Name,
                    Column::Args,
                    Column::Kwargs,
                    Column::Worker,
                    Column::Retries,
                    Column::Queue,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Decodes a JSON-bytes column (`result`, `args`, `kwargs`); bytes that are not JSON (a row
/// FBA's Celery pickled) read as their UTF-8 text, or `null`.
pub fn decode(bytes: Option<&[u8]>) -> Value {
    match bytes {
        None => Value::Null,
        Some(b) => serde_json::from_slice(b).unwrap_or_else(|_| {
            std::str::from_utf8(b)
                .map(|s| Value::String(s.to_owned()))
                .unwrap_or(Value::Null)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_decode_to_json_values() {
        assert_eq!(decode(None), Value::Null);
        assert_eq!(decode(Some(br#""test async""#)), Value::from("test async"));
        assert_eq!(decode(Some(b"[1,2]")), serde_json::json!([1, 2]));
        assert_eq!(decode(Some(b"not json")), Value::from("not json"));
        assert_eq!(decode(Some(&[0xff, 0xfe])), Value::Null);
    }
}
