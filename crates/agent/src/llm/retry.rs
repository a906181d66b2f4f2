//! When and how long to wait before trying a failed model call again, and how an error answer
//! is read into an [`LlmError::Status`].

use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::error::{LlmError, MAX_MESSAGE_CHARS, truncate};

/// The retry schedule: doubling delays from `base_delay`, capped, or what the provider's
/// `retry-after` asks for (capped too).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a call is tried again.
    pub max_retries: u32,
    /// The wait before the first retry; it doubles each time.
    pub base_delay: Duration,
    /// The longest backoff wait.
    pub max_delay: Duration,
    /// The longest wait a `retry-after` header may ask for.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    /// The schedule used by the backends: 0.5 s, 1 s, 2 s… capped at 8 s; `retry-after` honoured
    /// up to 60 s.
    pub fn new(max_retries: u32) -> Self {
        Self {
            max_retries,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }

    /// The wait before retry number `retry` (0 for the first), given the failed attempt's error.
    pub fn delay(&self, retry: u32, error: &LlmError) -> Duration {
        if let LlmError::Status {
            retry_after: Some(wait),
            ..
        } = error
        {
            return (*wait).min(self.max_retry_after);
        }
        let factor = 1u32.checked_shl(retry.min(16)).unwrap_or(u32::MAX);
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// Sleeps `delay`, or ends early with [`LlmError::Cancelled`].
pub(crate) async fn sleep_or_cancel(
    delay: Duration,
    cancel: &CancellationToken,
) -> Result<(), LlmError> {
    tokio::select! {
        biased;
        () = cancel.cancelled() => Err(LlmError::Cancelled),
        () = tokio::time::sleep(delay) => Ok(()),
    }
}

/// The `retry-after-ms` or `retry-after` (seconds) header's wait. An HTTP-date is ignored (the
/// backoff applies).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = value("retry-after-ms").and_then(|v| v.parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    value("retry-after")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

/// The most of an error body that is read.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Reads an error answer into [`LlmError::Status`]: the provider's `error.message` (both wire
/// formats put it there), else the body's text, else the status's reason; truncated.
pub(crate) async fn status_error(
    response: reqwest::Response,
    cancel: &CancellationToken,
    timeout: Duration,
) -> LlmError {
    let status = response.status();
    let wait = retry_after(response.headers());
    let body = tokio::select! {
        biased;
        () = cancel.cancelled() => return LlmError::Cancelled,
        body = tokio::time::timeout(timeout, read_capped(response)) => body.unwrap_or_default(),
    };
    let message = provider_message(&body).unwrap_or_else(|| {
        let text = body.trim();
        if text.is_empty() {
            status.canonical_reason().unwrap_or("no message").to_owned()
        } else {
            text.to_owned()
        }
    });
    LlmError::Status {
        status: status.as_u16(),
        message: truncate(&message, MAX_MESSAGE_CHARS),
        retry_after: wait,
    }
}

/// Up to [`MAX_ERROR_BODY`] bytes of the body, as text (a read error ends it early).
async fn read_capped(mut response: reqwest::Response) -> String {
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        bytes.extend_from_slice(&chunk);
        if bytes.len() >= MAX_ERROR_BODY {
            bytes.truncate(MAX_ERROR_BODY);
            break;
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The message of an error body: `{"error": {"message": …}}` (OpenAI and Anthropic), or
/// `{"error": "…"}`, or `{"message": …}`; with Anthropic's error `type` in front when there is
/// one.
pub(crate) fn provider_message(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body.trim()).ok()?;
    error_message(&value)
}

/// [`provider_message`] for a parsed body or SSE error event.
pub(crate) fn error_message(value: &Value) -> Option<String> {
    let error = value.get("error").unwrap_or(value);
    if let Some(text) = error.as_str() {
        return Some(text.to_owned());
    }
    let message = error.get("message").and_then(Value::as_str)?;
    match error.get("type").and_then(Value::as_str) {
        Some(kind) if !kind.is_empty() && kind != "error" => Some(format!("{kind}: {message}")),
        _ => Some(message.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy::new(10);
        let network = LlmError::Network("x".into());
        let waits: Vec<u64> = (0..6)
            .map(|n| policy.delay(n, &network).as_millis() as u64)
            .collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000]);
        assert_eq!(policy.delay(40, &network), Duration::from_secs(8));
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let policy = RetryPolicy::new(3);
        let asked = |secs| LlmError::Status {
            status: 429,
            message: String::new(),
            retry_after: Some(Duration::from_secs(secs)),
        };
        assert_eq!(policy.delay(0, &asked(3)), Duration::from_secs(3));
        assert_eq!(policy.delay(0, &asked(3600)), Duration::from_secs(60));
    }

    #[test]
    fn retry_after_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        let mut date = HeaderMap::new();
        date.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&date), None);
    }

    #[test]
    fn provider_messages_of_both_formats() {
        assert_eq!(
            provider_message(r#"{"error":{"message":"Rate limit reached","type":"requests"}}"#)
                .as_deref(),
            Some("requests: Rate limit reached")
        );
        assert_eq!(
            provider_message(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            )
            .as_deref(),
            Some("overloaded_error: Overloaded")
        );
        assert_eq!(
            provider_message(r#"{"error":"bad key"}"#).as_deref(),
            Some("bad key")
        );
        assert_eq!(provider_message("<html>"), None);
    }
}
