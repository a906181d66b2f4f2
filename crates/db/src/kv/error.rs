//! [`KvError`]: the two ways a [`Kv`](super::Kv) call fails.

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
