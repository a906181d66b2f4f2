//! The one error type of this crate: a setting that cannot be used, named with what is allowed.

/// A setting that stops start-up. Its `Display` is one line naming the variable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A value that does not parse or is out of range.
    #[error("invalid setting {var}={value:?}: expected {expected}")]
    Invalid {
        /// The environment variable.
        var: String,
        /// The offending value (`"***"` for secrets).
        value: String,
        /// What would have been accepted.
        expected: String,
    },
    /// A value that is required in this configuration but absent.
    #[error("missing setting {var}: {reason}")]
    Missing {
        /// The environment variable.
        var: String,
        /// Why it is required.
        reason: String,
    },
    /// A value refused for a reason other than its syntax (for example an example secret in prod).
    #[error("refused setting {var}: {reason}")]
    Refused {
        /// The environment variable.
        var: String,
        /// Why it was refused.
        reason: String,
    },
    /// The `.env` file exists but cannot be read.
    #[error("cannot read {path}: {reason}")]
    EnvFile {
        /// The file's path.
        path: String,
        /// The parser's message.
        reason: String,
    },
}

impl ConfigError {
    /// Shorthand for [`ConfigError::Invalid`].
    pub fn invalid(var: &str, value: &str, expected: &str) -> Self {
        Self::Invalid {
            var: var.to_owned(),
            value: value.to_owned(),
            expected: expected.to_owned(),
        }
    }

    /// Shorthand for [`ConfigError::Refused`].
    pub fn refused(var: &str, reason: &str) -> Self {
        Self::Refused {
            var: var.to_owned(),
            reason: reason.to_owned(),
        }
    }

    /// The environment variable this error is about.
    pub fn var(&self) -> &str {
        match self {
            Self::Invalid { var, .. } | Self::Missing { var, .. } | Self::Refused { var, .. } => {
                var
            }
            Self::EnvFile { path, .. } => path,
        }
    }
}
