//! What can go wrong when creating a sandbox or running code in it.

use std::path::PathBuf;

/// A sandbox failure (the code's own failures are an [`super::ExecOutput`], not an error).
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The sandbox id is empty or could leave the root directory.
    #[error("invalid sandbox id {0:?}: use letters, digits, '-', '_' and '.' (not '..' or '/')")]
    InvalidId(String),
    /// `open` found no sandbox with that id.
    #[error("sandbox {0:?} does not exist")]
    NotFound(String),
    /// The configured isolation is not available on this machine.
    #[error("sandbox isolation unavailable: {0}")]
    IsolationUnavailable(String),
    /// The `fba-sandbox-exec` helper is missing.
    #[error("sandbox exec helper not found at {0}")]
    HelperMissing(PathBuf),
    /// The bridge socket to bind into the sandbox does not exist.
    #[error("bridge socket {0} does not exist")]
    BridgeMissing(PathBuf),
    /// A working directory outside the sandbox's virtual root.
    #[error("working directory {0:?} is outside the sandbox workspace")]
    InvalidCwd(String),
    /// An environment variable name or value the process cannot be given.
    #[error("invalid environment variable {0:?}: names need no '=' or NUL, values no NUL")]
    InvalidEnv(String),
    /// The request has no command.
    #[error("empty command")]
    EmptyCommand,
    /// Spawning or talking to the sandboxed process failed.
    #[error("sandbox I/O error: {0}")]
    Io(#[from] std::io::Error),
}
