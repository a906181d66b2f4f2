//! LLM backends: the provider-neutral conversation types ([`types`]), and the OpenAI Chat
//! Completions ([`openai`]) and Anthropic Messages ([`anthropic`]) wire formats, streamed over
//! one `reqwest` client per backend with retries ([`retry`]) and cancellation.
//!
//! ```no_run
//! # async fn demo() -> Result<(), fba_agent::llm::LlmError> {
//! use fba_agent::llm::{ChatRequest, Message, ModelSpec, Wire, backend, collect};
//! let model = backend(ModelSpec::new("claude", "claude-sonnet-4-5", Wire::Anthropic)
//!     .with_api_key("sk-…"))?;
//! let req = ChatRequest { messages: vec![Message::user("hi")], ..ChatRequest::default() };
//! let stream = model.stream(&req, tokio_util::sync::CancellationToken::new()).await?;
//! let done = collect(stream, |event| println!("{event:?}")).await?;
//! println!("{} ({} tokens)", done.message.text(), done.usage.total());
//! # Ok(()) }
//! ```

pub mod anthropic;
mod collect;
mod error;
pub mod openai;
mod params;
pub mod retry;
mod spec;
mod transport;
pub mod types;

use std::pin::Pin;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::Stream;
use tokio_util::sync::CancellationToken;

pub use anthropic::AnthropicBackend;
pub use collect::{Completion, CompletionBuilder, collect, parse_arguments};
pub use error::LlmError;
pub use openai::OpenAiBackend;
pub use retry::RetryPolicy;
pub use spec::{ModelSpec, Wire};
pub use types::{
    ChatRequest, LlmEvent, Message, Part, Role, StopReason, ToolCall, ToolSpec, Usage,
};

/// The events of one model call, ending after `Done` or at the first error.
pub type LlmStream = Pin<Box<dyn Stream<Item = Result<LlmEvent, LlmError>> + Send>>;

/// A model that streams responses.
#[async_trait]
pub trait LlmBackend: Send + Sync {
    /// The provider's model id.
    fn model_id(&self) -> &str;

    /// Sends `req` and streams the response. Retryable failures are tried again (see
    /// [`ModelSpec::max_retries`]) until an answer starts streaming; `cancel` ends the call at
    /// once, with [`LlmError::Cancelled`] from here or from the stream.
    ///
    /// # Errors
    /// The last attempt's error ([`LlmError::Status`], [`LlmError::Network`]…) when no answer
    /// started streaming, or [`LlmError::Cancelled`].
    async fn stream(
        &self,
        req: &ChatRequest,
        cancel: CancellationToken,
    ) -> Result<LlmStream, LlmError>;
}

/// The backend for `spec`'s wire format.
///
/// # Errors
/// [`LlmError::Config`] when the HTTP client cannot be built.
pub fn backend(spec: ModelSpec) -> Result<Arc<dyn LlmBackend>, LlmError> {
    Ok(match spec.wire {
        Wire::OpenAi => Arc::new(OpenAiBackend::new(spec)?),
        Wire::Anthropic => Arc::new(AnthropicBackend::new(spec)?),
    })
}
