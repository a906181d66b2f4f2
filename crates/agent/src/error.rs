//! The crate's error type.

/// What can go wrong in the agent library.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// A configuration file or value is unusable; the message names the file and the key.
    #[error("{0}")]
    Config(String),
    /// A run of this session is in progress; one run at a time.
    #[error("a run of this session is in progress")]
    Busy,
    /// The resume does not match the session's pending interrupt.
    #[error("{0}")]
    Interrupt(String),
    /// Saving or loading a session failed.
    #[error("session store: {0}")]
    Store(String),
    /// An I/O failure outside the sandbox's own reporting.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
