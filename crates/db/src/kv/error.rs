//! [`KvError`]: the two ways a [`Kv`](super::Kv) call fails, and how Redis errors map to them.

use redis::{ErrorKind, RedisError, ServerErrorKind};

/// Why a [`Kv`](super::Kv) operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// The backend could not be reached in time: connection refused or dropped, pool
    /// exhausted, timeout, server loading. The server answers such requests with HTTP 503.
    #[error("kv store unavailable: {0}")]
    Unavailable(String),
    /// The backend answered with an error: wrong value type, not an integer, bad argument.
    #[error("kv command failed: {0}")]
    Command(String),
}

impl KvError {
    /// `true` for [`KvError::Unavailable`].
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// Whether a Redis error means the server is out of reach (an I/O error, a time-out, a dropped
/// or refused connection, a server loading or failing over): what callers turn into a quick 503,
/// where any other error is a refused command.
pub fn redis_unavailable(e: &RedisError) -> bool {
    e.is_io_error()
        || e.is_timeout()
        || e.is_connection_dropped()
        || e.is_connection_refusal()
        || matches!(
            e.kind(),
            ErrorKind::AuthenticationFailed
                | ErrorKind::ClusterConnectionNotFound
                | ErrorKind::Server(
                    ServerErrorKind::BusyLoading
                        | ServerErrorKind::TryAgain
                        | ServerErrorKind::ClusterDown
                        | ServerErrorKind::MasterDown
                )
        )
}

/// Connection-level failures are [`KvError::Unavailable`], server replies
/// [`KvError::Command`].
pub(super) fn redis_error(e: RedisError) -> KvError {
    if redis_unavailable(&e) {
        KvError::Unavailable(e.to_string())
    } else {
        KvError::Command(e.to_string())
    }
}
