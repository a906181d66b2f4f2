//! The local sandbox the model's code runs in, with no Docker: bubblewrap namespaces (layer 0),
//! else Landlock + seccomp on the host (layer 1), else rlimits and a timeout only (layer 2,
//! development). Every layer runs the command through the `fba-sandbox-exec` helper, which sets
//! its own rlimits (and Landlock and seccomp) and then execs the command, so no `pre_exec` (and
//! no `unsafe`) is needed in the server.
//!
//! - [`config`]: the `sandbox:` section of `config.yaml` and the [`Limits`];
//! - [`local`]: [`LocalSandbox`] (create, open, exec, destroy) and [`ExecRequest`];
//! - [`isolation`]: the [`IsolationReport`], probed once;
//! - [`process`]: the process-group runner (timeouts, output caps) and [`ExecOutput`];
//! - [`bwrap`]: the bubblewrap command line;
//! - [`helper_cli`] and [`restrict`]: the helper's command line and what it applies to itself;
//! - [`paths`]: virtual paths for the host-side file tools.

pub mod bwrap;
pub mod config;
pub mod error;
pub mod helper_cli;
pub mod isolation;
pub mod local;
pub mod paths;
pub mod process;
pub mod restrict;

pub use config::{IsolationMode, Limits, SandboxConfig};
pub use error::SandboxError;
pub use isolation::{IsolationReport, Layer};
pub use local::{CodeFile, ExecRequest, LocalSandbox};
pub use process::{ExecOutput, TIMEOUT_EXIT_CODE};
