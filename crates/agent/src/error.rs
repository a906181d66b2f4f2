//! The crate's error type.

/// What can go wrong in the agent library.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// A configuration file or value is unusable; the message names the file and the key.
    #[error("{0}")]
    Config(String),
    /// An I/O failure outside the sandbox's own reporting.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}
