//! [`LlmError`]: what can go wrong calling a model.

use std::time::Duration;

/// The longest provider message kept in an error.
pub(crate) const MAX_MESSAGE_CHARS: usize = 500;

/// A failed model call.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LlmError {
    /// The provider answered with an error status (after the retries, for retryable ones).
    #[error("the model provider answered {status}: {message}")]
    Status {
        /// The HTTP status.
        status: u16,
        /// The provider's message (`error.message` of the body), truncated.
        message: String,
        /// What the provider's `retry-after` (or `retry-after-ms`) header asked for.
        retry_after: Option<Duration>,
    },
    /// The request did not get an answer: connection refused or reset, TLS failure, or no
    /// response headers within the timeout.
    #[error("could not reach the model provider: {0}")]
    Network(String),
    /// The provider's answer could not be read (malformed JSON or SSE, not an event stream).
    #[error("could not decode the model provider's answer: {0}")]
    Decode(String),
    /// The event stream broke after it had started, or the provider sent an error event.
    #[error("the model's response stream broke: {0}")]
    Stream(String),
    /// The call was cancelled.
    #[error("the model call was cancelled")]
    Cancelled,
    /// The model's configuration cannot be used (a header value, the HTTP client).
    #[error("unusable model configuration: {0}")]
    Config(String),
}

impl LlmError {
    /// Whether trying the same request again may succeed: 408, 429, 500, 502, 503, 504 and 529
    /// statuses, and network errors.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Status { status, .. } => {
                matches!(status, 408 | 429 | 500 | 502 | 503 | 504 | 529)
            }
            Self::Network(_) => true,
            Self::Decode(_) | Self::Stream(_) | Self::Cancelled | Self::Config(_) => false,
        }
    }

    /// The HTTP status of a [`LlmError::Status`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// `text` cut to at most `max` characters (an ellipsis marks the cut).
pub(crate) fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// An error and its sources, joined with `: ` (reqwest's own message is often only the outer
/// layer, such as "error sending request").
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = inner.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        for status in [408, 429, 500, 502, 503, 504, 529] {
            let e = LlmError::Status {
                status,
                message: String::new(),
                retry_after: None,
            };
            assert!(e.is_retryable(), "{status}");
        }
        for status in [400, 401, 403, 404, 422] {
            let e = LlmError::Status {
                status,
                message: String::new(),
                retry_after: None,
            };
            assert!(!e.is_retryable(), "{status}");
        }
        assert!(LlmError::Network("reset".into()).is_retryable());
        assert!(!LlmError::Stream("cut".into()).is_retryable());
        assert!(!LlmError::Cancelled.is_retryable());
    }

    #[test]
    fn truncation_keeps_char_boundaries() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo", 2), "hé…");
    }
}
