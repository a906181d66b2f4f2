//! Provider-neutral conversation types: what the agent loop stores in a session and what each
//! wire format is translated from and to.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The user (also used for injected notices, such as a finished background task).
    User,
    /// The model.
    Assistant,
    /// A tool's result, answering one of the previous assistant message's tool calls.
    Tool,
}

/// One piece of a message's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Part {
    /// Plain text.
    Text {
        /// The text.
        text: String,
    },
    /// The model's visible reasoning (Anthropic `thinking` blocks, OpenAI-compatible
    /// `reasoning_content`). The signature must be sent back unchanged on Anthropic.
    Thinking {
        /// The reasoning text.
        text: String,
        /// Anthropic's signature of the block, when the provider gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
    /// An image, inline as base64.
    Image {
        /// The MIME type, such as `image/png`.
        media_type: String,
        /// The image bytes, base64-encoded (no `data:` prefix).
        data: String,
    },
}

impl Part {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text { text: text.into() }
    }
}

/// The text parts of `parts` joined (thinking and images left out).
pub fn parts_text(parts: &[Part]) -> String {
    let mut out = String::new();
    for part in parts {
        if let Part::Text { text } = part {
            out.push_str(text);
        }
    }
    out
}

/// A tool call the model made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's call id; the tool's result message refers to it.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The arguments: a JSON object when the model wrote valid JSON, else the raw text as a
    /// JSON string (the tool then answers with an error the model can read).
    pub arguments: Value,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// Its content.
    #[serde(default)]
    pub content: Vec<Part>,
    /// The tool calls of an assistant message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// For a tool message: the id of the call it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    /// For a tool message: whether the tool failed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
}

impl Message {
    /// A user message holding one text part.
    pub fn user(text: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: vec![Part::text(text)],
            tool_calls: Vec::new(),
            tool_call_id: None,
            is_error: false,
        }
    }

    /// An assistant message with text and tool calls.
    pub fn assistant(content: Vec<Part>, tool_calls: Vec<ToolCall>) -> Self {
        Self {
            role: Role::Assistant,
            content,
            tool_calls,
            tool_call_id: None,
            is_error: false,
        }
    }

    /// A tool result answering `call_id`.
    pub fn tool(call_id: impl Into<String>, content: Vec<Part>, is_error: bool) -> Self {
        Self {
            role: Role::Tool,
            content,
            tool_calls: Vec::new(),
            tool_call_id: Some(call_id.into()),
            is_error,
        }
    }

    /// The message's text parts joined (thinking and images left out).
    pub fn text(&self) -> String {
        parts_text(&self.content)
    }
}

/// A tool as the model sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolSpec {
    /// The name the model calls it by.
    pub name: String,
    /// What it does, for the model.
    pub description: String,
    /// The JSON schema of its arguments (an object schema).
    pub parameters: Value,
}

/// One request to a model.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ChatRequest {
    /// The system prompt.
    pub system: String,
    /// The conversation so far.
    pub messages: Vec<Message>,
    /// The tools the model may call.
    pub tools: Vec<ToolSpec>,
    /// The most tokens to generate (the backend's default when `None`).
    pub max_tokens: Option<u32>,
    /// Mark the stable prefix (system prompt, tools, last message) for prompt caching where the
    /// wire format supports it (Anthropic `cache_control`).
    pub prompt_cache: bool,
}

/// Token counts of one model call, or a sum of several.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens that were neither read from nor written to the prompt cache.
    pub input_tokens: u64,
    /// Generated tokens (reasoning included).
    pub output_tokens: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read_tokens: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write_tokens: u64,
    /// Of the output, the reasoning tokens, when the provider reports them.
    pub reasoning_tokens: u64,
}

impl Usage {
    /// Every input token: fresh, cache read and cache written.
    pub fn total_input(&self) -> u64 {
        self.input_tokens + self.cache_read_tokens + self.cache_write_tokens
    }

    /// Input plus output.
    pub fn total(&self) -> u64 {
        self.total_input() + self.output_tokens
    }
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, rhs: Self) {
        self.input_tokens += rhs.input_tokens;
        self.output_tokens += rhs.output_tokens;
        self.cache_read_tokens += rhs.cache_read_tokens;
        self.cache_write_tokens += rhs.cache_write_tokens;
        self.reasoning_tokens += rhs.reasoning_tokens;
    }
}

impl std::ops::Add for Usage {
    type Output = Self;

    fn add(mut self, rhs: Self) -> Self {
        self += rhs;
        self
    }
}

/// Why the model stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// It finished its answer.
    EndTurn,
    /// It wants its tool calls run.
    ToolUse,
    /// It hit the token limit.
    MaxTokens,
    /// Anything else the provider said (content filter, refusal…).
    Other,
}

/// One streamed event of a model call.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmEvent {
    /// More answer text.
    TextDelta(String),
    /// More reasoning text; the signature arrives with the block's last delta (Anthropic).
    ThinkingDelta {
        /// The text.
        text: String,
        /// The block's signature, once known.
        signature: Option<String>,
    },
    /// A tool call starts (`index` orders the calls of this response).
    ToolCallStart {
        /// Position of the call in the response.
        index: u32,
        /// The provider's call id.
        id: String,
        /// The tool's name.
        name: String,
    },
    /// A fragment of a started call's JSON arguments.
    ToolCallArgs {
        /// Position of the call in the response.
        index: u32,
        /// The next piece of the JSON text.
        fragment: String,
    },
    /// Token counts (may come more than once; later values replace earlier ones per field).
    Usage(Usage),
    /// The response is complete.
    Done {
        /// Why it stopped.
        stop: StopReason,
    },
}
