//! `llms.json`: the model catalogue, and `llm:` in `config.yaml` choosing one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::AgentError;

/// One model of the catalogue, with upstream's keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LlmDefinition {
    /// The provider's model id.
    pub model_id: String,
    /// The provider's name (informative; `sdk` and `wire` choose the wire format).
    #[serde(default)]
    pub provider: String,
    /// Upstream's LangChain class, such as `langchain_anthropic.ChatAnthropic`: mapped to a wire
    /// format (Anthropic Messages for `*anthropic*`, OpenAI Chat Completions otherwise).
    #[serde(default)]
    pub sdk: String,
    /// The environment variable holding the API key.
    #[serde(default)]
    pub api_key_env: String,
    /// The endpoint, for compatible vendors.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Upstream's `responses/v1` selects OpenAI's Responses API; the Chat Completions format is
    /// used here (accepted, see docs/agent.md).
    #[serde(default)]
    pub output_version: Option<String>,
    /// Upstream's Responses API switch (accepted, unused).
    #[serde(default)]
    pub use_previous_response_id: Option<bool>,
    /// Extra request parameters, merged into the request body.
    #[serde(default)]
    pub parameters: Map<String, Value>,
    /// Ours: `openai` or `anthropic`, overriding what `sdk` implies.
    #[serde(default)]
    pub wire: Option<String>,
}

impl LlmDefinition {
    /// The wire format's name: `anthropic` or `openai`.
    pub fn wire_name(&self) -> &'static str {
        match self.wire.as_deref() {
            Some(w) if w.eq_ignore_ascii_case("anthropic") => "anthropic",
            Some(_) => "openai",
            None if self.sdk.to_ascii_lowercase().contains("anthropic") => "anthropic",
            None if self.sdk.is_empty() && self.provider.eq_ignore_ascii_case("anthropic") => {
                "anthropic"
            }
            None => "openai",
        }
    }

    /// The endpoint to use: the definition's, else the provider's OpenAI-compatible one for
    /// Google (Gemini), else `None` (the wire format's default).
    pub fn effective_base_url(&self) -> Option<String> {
        if let Some(url) = &self.base_url {
            return Some(url.clone());
        }
        let google =
            self.provider.eq_ignore_ascii_case("google") || self.sdk.contains("google_genai");
        google.then(|| "https://generativelanguage.googleapis.com/v1beta/openai".to_owned())
    }
}

/// The `llms.json` catalogue: aliases to definitions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LlmCatalog {
    /// The models by alias.
    #[serde(default)]
    pub llms: BTreeMap<String, LlmDefinition>,
}

impl LlmCatalog {
    /// Parses `llms.json`'s text.
    pub fn parse(text: &str, origin: &str) -> Result<Self, AgentError> {
        serde_json::from_str(text).map_err(|e| AgentError::Config(format!("{origin}: {e}")))
    }
}

/// `llm:` in `config.yaml`: a catalogue alias (`name`), or an inline definition.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmSelection {
    /// `llm: {name: alias}`.
    Alias(String),
    /// `llm: {name, model_id, provider, sdk, api_key_env, base_url, …}` (inline; upstream's
    /// defaults: provider anthropic, ChatAnthropic, `LLM_API_KEY`).
    Inline(String, Box<LlmDefinition>),
}

impl LlmSelection {
    /// Reads the `llm:` section (upstream's default alias is `claude-sonnet-4-5`).
    pub fn from_section(section: Option<&Value>) -> Result<Self, AgentError> {
        let Some(section) = section else {
            return Ok(Self::Alias("claude-sonnet-4-5".into()));
        };
        let name = section
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("claude-sonnet-4-5")
            .to_owned();
        if section.get("model_id").is_none() {
            return Ok(Self::Alias(name));
        }
        let mut inline = section.clone();
        if let Some(obj) = inline.as_object_mut() {
            obj.remove("name");
            obj.entry("provider").or_insert_with(|| "anthropic".into());
            obj.entry("sdk")
                .or_insert_with(|| "langchain_anthropic.ChatAnthropic".into());
            obj.entry("api_key_env")
                .or_insert_with(|| "LLM_API_KEY".into());
        }
        let def: LlmDefinition = serde_json::from_value(inline)
            .map_err(|e| AgentError::Config(format!("config.yaml llm: {e}")))?;
        Ok(Self::Inline(name, Box::new(def)))
    }

    /// The alias and definition, looked up in the catalogue for an alias.
    pub fn resolve(&self, catalog: &LlmCatalog) -> Result<(String, LlmDefinition), AgentError> {
        match self {
            Self::Inline(name, def) => Ok((name.clone(), (**def).clone())),
            Self::Alias(name) => catalog
                .llms
                .get(name)
                .map(|def| (name.clone(), def.clone()))
                .ok_or_else(|| {
                    let known: Vec<&str> = catalog.llms.keys().map(String::as_str).collect();
                    AgentError::Config(format!(
                        "llm.name {name:?} is not in llms.json (known: {})",
                        if known.is_empty() {
                            "none".to_owned()
                        } else {
                            known.join(", ")
                        }
                    ))
                }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn upstream_entries_map_to_a_wire_format() {
        let catalog = LlmCatalog::parse(
            &json!({"llms": {
                "claude": {"model_id": "claude-sonnet-4-5-20250929", "provider": "anthropic",
                           "sdk": "langchain_anthropic.ChatAnthropic", "api_key_env": "ANTHROPIC_API_KEY"},
                "glm": {"model_id": "glm-4.7", "provider": "Z.AI", "sdk": "langchain_anthropic.ChatAnthropic",
                        "base_url": "https://api.z.ai/api/anthropic", "api_key_env": "ZAI_API_KEY"},
                "qwen": {"model_id": "qwen3-max", "provider": "dashscope", "sdk": "langchain_openai.ChatOpenAI",
                         "api_key_env": "DASHSCOPE_API_KEY", "parameters": {"extra_body": {"enable_thinking": true}}},
                "gemini": {"model_id": "gemini-3-pro-preview", "provider": "google",
                           "sdk": "langchain_google_genai.ChatGoogleGenerativeAI", "api_key_env": "GEMINI_API_KEY",
                           "env_key": "ignored"}
            }})
            .to_string(),
            "llms.json",
        )
        .unwrap();
        assert_eq!(catalog.llms["claude"].wire_name(), "anthropic");
        assert_eq!(catalog.llms["glm"].wire_name(), "anthropic");
        assert_eq!(catalog.llms["qwen"].wire_name(), "openai");
        assert_eq!(catalog.llms["gemini"].wire_name(), "openai");
        assert_eq!(
            catalog.llms["gemini"].effective_base_url().as_deref(),
            Some("https://generativelanguage.googleapis.com/v1beta/openai")
        );
        assert_eq!(catalog.llms["claude"].effective_base_url(), None);
    }

    #[test]
    fn selection_by_alias_or_inline() {
        let catalog = LlmCatalog::default();
        let alias = LlmSelection::from_section(Some(&json!({"name": "nope"}))).unwrap();
        let err = alias.resolve(&catalog).unwrap_err().to_string();
        assert_eq!(err, "llm.name \"nope\" is not in llms.json (known: none)");
        let inline =
            LlmSelection::from_section(Some(&json!({"name": "mine", "model_id": "m1"}))).unwrap();
        let (name, def) = inline.resolve(&catalog).unwrap();
        assert_eq!(name, "mine");
        assert_eq!(def.api_key_env, "LLM_API_KEY");
        assert_eq!(def.wire_name(), "anthropic");
        assert_eq!(
            LlmSelection::from_section(None).unwrap(),
            LlmSelection::Alias("claude-sonnet-4-5".into())
        );
    }
}
