//! The HTTP side shared by both wire formats: one `reqwest` client per backend, the POST with
//! its retries, and the SSE body decoded (`sse-stream`) into [`LlmEvent`]s by a wire-specific
//! [`WireDecoder`].
//!
//! Retries happen only before the first event has been handed out: a failed request, a
//! retryable status, or a body that breaks before producing anything. Once an event is out, a
//! broken stream is [`LlmError::Stream`]. Cancellation ends everything at once, backoff waits
//! included.

use std::collections::VecDeque;
use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use sse_stream::{Sse, SseStream};
use tokio_util::sync::CancellationToken;

use super::LlmStream;
use super::error::{LlmError, error_chain, truncate};
use super::retry::{RetryPolicy, sleep_or_cancel, status_error};
use super::types::LlmEvent;

/// Turns one wire format's SSE events into [`LlmEvent`]s. A fresh decoder serves each attempt.
pub(crate) trait WireDecoder: Send {
    /// The events one SSE event carries (often none).
    fn event(&mut self, sse: Sse) -> Result<Vec<LlmEvent>, LlmError>;

    /// Whether the response is complete (its `Done` has been produced).
    fn is_done(&self) -> bool;

    /// The body ended: the closing events of a response whose end marker was left out but that
    /// had said why it stopped, else the error of a cut stream.
    fn end_of_body(&mut self) -> Result<Vec<LlmEvent>, LlmError>;
}

/// One streamed call, ready to be sent (and sent again).
pub(crate) struct HttpCall {
    /// The backend's client.
    pub client: reqwest::Client,
    /// The endpoint.
    pub url: String,
    /// The wire format's headers (auth, version).
    pub headers: HeaderMap,
    /// The JSON body.
    pub body: Vec<u8>,
    /// The wait for headers, and for each next piece of the body.
    pub timeout: Duration,
    /// The retry schedule.
    pub retry: RetryPolicy,
    /// Makes the decoder of an attempt.
    pub decoder: fn() -> Box<dyn WireDecoder>,
}

/// The client every backend uses: rustls with the `ring` provider (installed as the process
/// default when nothing is installed yet, which is what rustls itself does with one provider
/// feature), and the connect timeout bounded by the spec's.
pub(crate) fn http_client(timeout: Duration) -> Result<reqwest::Client, LlmError> {
    crate::tls::install_default_provider();
    reqwest::Client::builder()
        .user_agent(concat!("fba-agent/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(timeout.min(Duration::from_secs(30)))
        .build()
        .map_err(|e| LlmError::Config(format!("the HTTP client: {}", error_chain(&e))))
}

/// The JSON content-type and SSE accept headers, plus the wire's own.
pub(crate) fn json_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
    headers
}

/// A secret header value (kept out of reqwest's debug output).
pub(crate) fn secret_header(value: &str) -> Result<HeaderValue, LlmError> {
    let mut header = HeaderValue::from_str(value)
        .map_err(|_| LlmError::Config("the API key has characters a header cannot hold".into()))?;
    header.set_sensitive(true);
    Ok(header)
}

/// Sends `call` (with retries) and streams its events.
///
/// # Errors
/// The last attempt's error when no attempt got a streaming answer, or
/// [`LlmError::Cancelled`].
pub(crate) async fn open(call: HttpCall, cancel: CancellationToken) -> Result<LlmStream, LlmError> {
    let mut events = EventStream {
        decoder: (call.decoder)(),
        call,
        cancel,
        body: None,
        pending: VecDeque::new(),
        retries: 0,
        yielded: false,
        finished: false,
    };
    events.connect(None).await?;
    Ok(Box::pin(futures_util::stream::unfold(
        events,
        |mut events| async move {
            let item = events.next_event().await?;
            Some((item, events))
        },
    )))
}

/// The SSE events of one answer.
type SseBody = Pin<Box<dyn Stream<Item = Result<Sse, sse_stream::Error>> + Send>>;

/// The state of a streamed call.
struct EventStream {
    call: HttpCall,
    cancel: CancellationToken,
    body: Option<SseBody>,
    decoder: Box<dyn WireDecoder>,
    pending: VecDeque<LlmEvent>,
    /// Retries used so far.
    retries: u32,
    /// Whether an event has been handed out (no retry after that).
    yielded: bool,
    finished: bool,
}

impl EventStream {
    /// Gets a streaming answer, retrying retryable failures. `failed` is the error that makes
    /// this a retry (a body that broke before its first event).
    async fn connect(&mut self, mut failed: Option<LlmError>) -> Result<(), LlmError> {
        loop {
            if let Some(error) = failed.take() {
                if !error.is_retryable() || self.retries >= self.call.retry.max_retries {
                    return Err(error);
                }
                let wait = self.call.retry.delay(self.retries, &error);
                self.retries += 1;
                tracing::warn!(
                    url = %self.call.url,
                    retry = self.retries,
                    wait_ms = wait.as_millis() as u64,
                    error = %error,
                    "model call failed, trying again"
                );
                sleep_or_cancel(wait, &self.cancel).await?;
            }
            match attempt(&self.call, &self.cancel).await {
                Ok(body) => {
                    self.body = Some(body);
                    self.decoder = (self.call.decoder)();
                    return Ok(());
                }
                Err(LlmError::Cancelled) => return Err(LlmError::Cancelled),
                Err(error) => failed = Some(error),
            }
        }
    }

    /// The next item of the stream, `None` once it is over.
    async fn next_event(&mut self) -> Option<Result<LlmEvent, LlmError>> {
        loop {
            if self.finished {
                return None;
            }
            if self.cancel.is_cancelled() {
                return self.fail(LlmError::Cancelled);
            }
            if let Some(event) = self.pending.pop_front() {
                self.yielded = true;
                return Some(Ok(event));
            }
            if self.decoder.is_done() {
                self.finished = true;
                return None;
            }
            let Some(body) = self.body.as_mut() else {
                return self.fail(LlmError::Stream("the stream is gone".into()));
            };
            let next = tokio::select! {
                biased;
                () = self.cancel.cancelled() => return self.fail(LlmError::Cancelled),
                next = tokio::time::timeout(self.call.timeout, body.next()) => next,
            };
            let outcome = match next {
                Err(_) => Err(Broken::Retryable(LlmError::Stream(format!(
                    "nothing received for {} s",
                    self.call.timeout.as_secs_f64()
                )))),
                Ok(None) => self.decoder.end_of_body().map_err(Broken::Retryable),
                Ok(Some(Err(sse_stream::Error::Body(e)))) => {
                    Err(Broken::Retryable(LlmError::Stream(error_chain(e.as_ref()))))
                }
                Ok(Some(Err(e))) => Err(Broken::Final(LlmError::Decode(format!(
                    "invalid event stream: {e}"
                )))),
                Ok(Some(Ok(sse))) => self.decoder.event(sse).map_err(Broken::Final),
            };
            match outcome {
                Ok(events) => self.pending.extend(events),
                Err(Broken::Final(error)) => return self.fail(error),
                Err(Broken::Retryable(error)) => {
                    self.body = None;
                    if self.yielded {
                        return self.fail(error);
                    }
                    // Nothing was handed out yet: the call can start over, as a network error.
                    let as_network = match error {
                        LlmError::Stream(message) => LlmError::Network(message),
                        other => other,
                    };
                    if let Err(error) = self.connect(Some(as_network)).await {
                        return self.fail(error);
                    }
                }
            }
        }
    }

    /// Ends the stream with `error`.
    fn fail(&mut self, error: LlmError) -> Option<Result<LlmEvent, LlmError>> {
        self.finished = true;
        self.body = None;
        Some(Err(error))
    }
}

/// One POST: the SSE body of a successful streaming answer.
async fn attempt(call: &HttpCall, cancel: &CancellationToken) -> Result<SseBody, LlmError> {
    let request = call
        .client
        .post(&call.url)
        .headers(call.headers.clone())
        .body(call.body.clone());
    let response = tokio::select! {
        biased;
        () = cancel.cancelled() => return Err(LlmError::Cancelled),
        sent = tokio::time::timeout(call.timeout, request.send()) => match sent {
            Err(_) => {
                return Err(LlmError::Network(format!(
                    "no answer within {} s",
                    call.timeout.as_secs_f64()
                )));
            }
            Ok(Err(e)) => return Err(LlmError::Network(error_chain(&e))),
            Ok(Ok(response)) => response,
        },
    };
    if !response.status().is_success() {
        return Err(status_error(response, cancel, call.timeout).await);
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/json") {
        let text = tokio::time::timeout(call.timeout, response.text())
            .await
            .ok()
            .and_then(Result::ok)
            .unwrap_or_default();
        return Err(LlmError::Decode(format!(
            "expected an event stream, got JSON: {}",
            truncate(text.trim(), 300)
        )));
    }
    Ok(Box::pin(SseStream::from_bytes_stream(
        response.bytes_stream(),
    )))
}

/// How a read of the body went wrong.
enum Broken {
    /// The connection broke (a retry is possible while nothing was handed out).
    Retryable(LlmError),
    /// The answer itself is bad.
    Final(LlmError),
}

/// The JSON of an SSE event's data, or a [`LlmError::Decode`] quoting it.
pub(crate) fn parse_data(data: &str) -> Result<serde_json::Value, LlmError> {
    serde_json::from_str(data)
        .map_err(|e| LlmError::Decode(format!("{e} in event data {}", truncate(data, 200))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_https_client_builds() {
        assert!(http_client(Duration::from_secs(5)).is_ok());
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
    }

    #[test]
    fn bad_keys_are_config_errors() {
        assert!(matches!(secret_header("a\nb"), Err(LlmError::Config(_))));
        assert!(secret_header("sk-abc").is_ok_and(|h| h.is_sensitive()));
    }
}
