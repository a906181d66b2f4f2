//! [`SocketError`]: what the Socket.IO hub's callers can meet.

/// A failure of the Socket.IO hub.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// The Kv store (broadcast channel, online set) failed.
    #[error("kv store: {0}")]
    Kv(#[from] fba_db::KvError),
    /// The payload could not be serialised.
    #[error("cannot encode the event: {0}")]
    Encode(#[from] serde_json::Error),
    /// An event name Socket.IO reserves (`connect`, `disconnect`, …) or an empty one.
    #[error("event name {0:?} is reserved")]
    ReservedEvent(String),
    /// The socket closed, or is too slow to take more.
    #[error("the socket is gone")]
    Gone,
}
