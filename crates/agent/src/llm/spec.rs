//! [`ModelSpec`]: which model to call, where, with which key and extra parameters, and how
//! patiently (retries, timeout). The config loader builds one from an `llms.json` entry.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The wire format a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wire {
    /// OpenAI Chat Completions (`POST {base_url}/chat/completions`), also spoken by Qwen
    /// (DashScope compatible mode), Doubao, Gemini's OpenAI endpoint, vLLM, Ollama…
    #[serde(rename = "openai")]
    OpenAi,
    /// Anthropic Messages (`POST {base_url}/v1/messages`), also spoken by the
    /// Anthropic-compatible endpoints of GLM (Z.AI), MiniMax, DeepSeek and Kimi.
    Anthropic,
}

impl Wire {
    /// The provider's own base URL, as the official SDKs use it.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Self::OpenAi => "https://api.openai.com/v1",
            Self::Anthropic => "https://api.anthropic.com",
        }
    }

    /// What is appended to the base URL to reach the streaming endpoint.
    pub fn endpoint_path(self) -> &'static str {
        match self {
            Self::OpenAi => "/chat/completions",
            Self::Anthropic => "/v1/messages",
        }
    }

    /// The name used in configuration files: `openai` or `anthropic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
        }
    }

    /// The wire format behind an upstream `llms.json` `sdk` string, so upstream files load
    /// unchanged: `langchain_anthropic.ChatAnthropic` is Anthropic; `langchain_openai.*` and the
    /// other OpenAI-compatible wrappers (`langchain_qwq.ChatQwen`, `langchain_deepseek.*`…) are
    /// OpenAI. `None` for an SDK with no wire format here (such as Google's native
    /// `langchain_google_genai`).
    pub fn from_upstream_sdk(sdk: &str) -> Option<Self> {
        let sdk = sdk.to_ascii_lowercase();
        if sdk.contains("anthropic") {
            Some(Self::Anthropic)
        } else if sdk.contains("google_genai") || sdk.contains("vertex") {
            None
        } else if sdk.contains("openai")
            || sdk.contains("qwq")
            || sdk.contains("qwen")
            || sdk.contains("deepseek")
            || sdk.contains("ollama")
        {
            Some(Self::OpenAi)
        } else {
            None
        }
    }
}

impl fmt::Display for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One model as the backends see it.
///
/// `parameters` are merged into the request body at the top level (`temperature`, `top_p`,
/// Anthropic `thinking`, Qwen `enable_thinking`, OpenAI `reasoning_effort`…), except:
/// - `max_tokens` is mapped: the request's own `max_tokens` wins, then this one, then (Anthropic
///   only, where it is required) 8192; an OpenAI `max_completion_tokens` is kept and receives the
///   request's limit instead;
/// - on the OpenAI wire, a Responses-API style `reasoning: {effort}` becomes
///   `reasoning_effort` (Chat Completions has no `reasoning` object);
/// - the keys the adapter writes itself (`model`, `messages`, `system`, `tools`, `stream`,
///   `stream_options`) cannot be overridden.
///
/// `Debug` never prints the API key.
#[derive(Clone, PartialEq)]
pub struct ModelSpec {
    /// The catalogue alias (the `llms.json` key), for logs and the UI.
    pub alias: String,
    /// The provider's model id, sent as `model`.
    pub model_id: String,
    /// The wire format.
    pub wire: Wire,
    /// The base URL; the provider's own ([`Wire::default_base_url`]) when `None`. The endpoint
    /// path is appended as the official SDKs do ([`Wire::endpoint_path`]).
    pub base_url: Option<String>,
    /// The API key (`Authorization: Bearer` on OpenAI, `x-api-key` on Anthropic); no auth header
    /// when `None` (local servers).
    pub api_key: Option<String>,
    /// Extra request-body keys (see the type's documentation).
    pub parameters: Map<String, Value>,
    /// How many times a failed call is tried again (429, 408, 5xx, 529, network errors), only
    /// before the first event has been streamed.
    pub max_retries: u32,
    /// The longest wait for the response headers, and for each next piece of the stream.
    pub request_timeout: Duration,
}

impl ModelSpec {
    /// The retries of a new spec.
    pub const DEFAULT_MAX_RETRIES: u32 = 3;
    /// The timeout of a new spec (what the official SDKs use: 10 minutes).
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(600);

    /// A spec with the provider's base URL, no key, no parameters and the default retries and
    /// timeout.
    pub fn new(alias: impl Into<String>, model_id: impl Into<String>, wire: Wire) -> Self {
        Self {
            alias: alias.into(),
            model_id: model_id.into(),
            wire,
            base_url: None,
            api_key: None,
            parameters: Map::new(),
            max_retries: Self::DEFAULT_MAX_RETRIES,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
        }
    }

    /// With this base URL.
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// With this API key.
    pub fn with_api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// With one more request-body parameter.
    pub fn with_parameter(mut self, key: impl Into<String>, value: Value) -> Self {
        self.parameters.insert(key.into(), value);
        self
    }

    /// With this many retries.
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// With this timeout.
    pub fn with_request_timeout(mut self, request_timeout: Duration) -> Self {
        self.request_timeout = request_timeout;
        self
    }

    /// The base URL in use: the configured one (trailing `/` removed) or the provider's.
    pub fn effective_base_url(&self) -> &str {
        match &self.base_url {
            Some(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/'),
            _ => self.wire.default_base_url(),
        }
    }

    /// The full URL of the streaming endpoint.
    pub fn endpoint(&self) -> String {
        format!("{}{}", self.effective_base_url(), self.wire.endpoint_path())
    }
}

impl fmt::Debug for ModelSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModelSpec")
            .field("alias", &self.alias)
            .field("model_id", &self.model_id)
            .field("wire", &self.wire)
            .field("base_url", &self.base_url)
            .field(
                "api_key",
                &self.api_key.as_ref().map(|_| Redacted("<redacted>")),
            )
            .field("parameters", &self.parameters)
            .field("max_retries", &self.max_retries)
            .field("request_timeout", &self.request_timeout)
            .finish()
    }
}

/// Prints its text without quotes.
struct Redacted(&'static str);

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_follow_the_official_sdks() {
        let openai = ModelSpec::new("a", "gpt", Wire::OpenAi);
        assert_eq!(
            openai.endpoint(),
            "https://api.openai.com/v1/chat/completions"
        );
        let anthropic = ModelSpec::new("a", "claude", Wire::Anthropic);
        assert_eq!(
            anthropic.endpoint(),
            "https://api.anthropic.com/v1/messages"
        );
        let minimax = ModelSpec::new("m", "minimax-m2.1", Wire::Anthropic)
            .with_base_url("https://api.minimax.io/anthropic/");
        assert_eq!(
            minimax.endpoint(),
            "https://api.minimax.io/anthropic/v1/messages"
        );
        let qwen = ModelSpec::new("q", "qwen3-max", Wire::OpenAi)
            .with_base_url("https://dashscope.aliyuncs.com/compatible-mode/v1");
        assert_eq!(
            qwen.endpoint(),
            "https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions"
        );
    }

    #[test]
    fn debug_hides_the_key() {
        let spec = ModelSpec::new("a", "m", Wire::OpenAi).with_api_key("sk-secret-123");
        let shown = format!("{spec:?}");
        assert!(!shown.contains("sk-secret-123"), "{shown}");
        assert!(shown.contains("<redacted>"), "{shown}");
    }

    #[test]
    fn wire_names_and_upstream_sdks() {
        assert_eq!(
            serde_json::to_value(Wire::OpenAi).ok(),
            Some(Value::from("openai"))
        );
        assert_eq!(
            serde_json::from_value::<Wire>(Value::from("anthropic")).ok(),
            Some(Wire::Anthropic)
        );
        assert_eq!(
            Wire::from_upstream_sdk("langchain_anthropic.ChatAnthropic"),
            Some(Wire::Anthropic)
        );
        assert_eq!(
            Wire::from_upstream_sdk("langchain_openai.ChatOpenAI"),
            Some(Wire::OpenAi)
        );
        assert_eq!(
            Wire::from_upstream_sdk("langchain_qwq.ChatQwen"),
            Some(Wire::OpenAi)
        );
        assert_eq!(
            Wire::from_upstream_sdk("langchain_google_genai.ChatGoogleGenerativeAI"),
            None
        );
    }
}
