//! Per-request values every layer may read without threading them through calls: trace id,
//! language and whether error bodies are masked (production).
//!
//! The request-context middleware runs the rest of the request inside [`RequestScope::run`];
//! outside a request (CLI, background tasks) the defaults apply.

use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    static SCOPE: Arc<RequestScope>;
}

/// What the current request carries.
#[derive(Debug, Clone)]
pub struct RequestScope {
    /// The request id (`X-Request-ID`), FBA's `trace_id`.
    pub trace_id: String,
    /// The chosen language (`zh-CN` / `en-US`).
    pub language: &'static str,
    /// `true` in production: HTTP-level error bodies are masked as FBA masks them.
    pub production: bool,
}

impl RequestScope {
    /// Runs `fut` with this scope current.
    pub async fn run<F: Future>(self: Arc<Self>, fut: F) -> F::Output {
        SCOPE.scope(self, fut).await
    }
}

/// The current trace id, or `-` outside a request (FBA's `TRACE_ID_LOG_DEFAULT_VALUE`).
pub fn trace_id() -> String {
    SCOPE
        .try_with(|s| s.trace_id.clone())
        .unwrap_or_else(|_| "-".to_owned())
}

/// The current language, `zh-CN` outside a request.
pub fn language() -> &'static str {
    SCOPE.try_with(|s| s.language).unwrap_or("zh-CN")
}

/// Whether the current request is served in production mode.
pub fn production() -> bool {
    SCOPE.try_with(|s| s.production).unwrap_or(false)
}
