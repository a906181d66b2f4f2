//! # fba-core-conf
//!
//! The settings of an fba-rs process, read once at start-up from the process environment and an
//! optional `.env` file, using FBA's variable names and defaults (see `docs/configuration.md`).
//!
//! ```no_run
//! let settings = fba_core_conf::Settings::load().expect("valid settings");
//! println!("listening on {}", settings.server.bind_addr());
//! ```
//!
//! This crate owns parsing and validation only: it opens no connections and starts nothing.

mod error;
mod sections;
mod settings;
mod source;

pub use error::ConfigError;
pub use secrecy::{ExposeSecret, SecretString};
pub use sections::{Section, Sections};
pub use settings::*;
pub use source::Source;

/// FBA's example `TOKEN_SECRET_KEY` from its `.env.example`; refused when `ENVIRONMENT=prod`.
pub const EXAMPLE_TOKEN_SECRET_KEY: &str = "1VkVF75nsNABBjK_7-qz7GtzNy3AMvktc9TCPwKczCk";

/// The FBA version whose wire contract this project implements.
pub const FBA_COMPAT_VERSION: &str = "1.13.4";
