//! LLM backends: the provider-neutral conversation types ([`types`]) and, being built, the
//! OpenAI Chat Completions and Anthropic Messages wire formats, streamed.

pub mod types;

pub use types::{
    ChatRequest, LlmEvent, Message, Part, Role, StopReason, ToolCall, ToolSpec, Usage,
};
