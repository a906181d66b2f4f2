//! The Anthropic Messages wire format (`POST {base_url}/v1/messages`, streamed): request
//! translation, and the SSE events decoded into [`LlmEvent`]s. Also serves the
//! Anthropic-compatible endpoints (GLM, MiniMax, DeepSeek, Kimi) through `base_url`.
//!
//! Translation: consecutive user-side messages (tool results, then maybe an injected user
//! message) become one user message, tool results as `tool_result` blocks with `is_error`;
//! thinking parts go back as `thinking` blocks with their signature (unsigned ones are left out:
//! the API would refuse them); images are base64 `image` blocks. With `prompt_cache`, the system
//! block, the last tool and the last message's last block get `cache_control: ephemeral`.

use std::collections::HashMap;

use async_trait::async_trait;
use reqwest::header::HeaderValue;
use serde_json::{Map, Value, json};
use sse_stream::Sse;
use tokio_util::sync::CancellationToken;

use super::error::LlmError;
use super::params::base_body;
use super::retry::{RetryPolicy, error_message};
use super::spec::ModelSpec;
use super::transport::{
    HttpCall, WireDecoder, http_client, json_headers, open, parse_data, secret_header,
};
use super::types::{ChatRequest, LlmEvent, Message, Part, Role, StopReason, Usage};
use super::{LlmBackend, LlmStream};

/// The `anthropic-version` header sent.
pub const API_VERSION: &str = "2023-06-01";

/// The `max_tokens` sent when neither the request nor the spec gives one (the field is
/// required).
pub const DEFAULT_MAX_TOKENS: u64 = 8192;

/// A model behind an Anthropic Messages endpoint.
pub struct AnthropicBackend {
    spec: ModelSpec,
    url: String,
    client: reqwest::Client,
}

impl AnthropicBackend {
    /// A backend for `spec` (its wire is not checked: [`super::backend`] chooses).
    ///
    /// # Errors
    /// [`LlmError::Config`] when the HTTP client cannot be built.
    pub fn new(spec: ModelSpec) -> Result<Self, LlmError> {
        let client = http_client(spec.request_timeout)?;
        Ok(Self {
            url: spec.endpoint(),
            spec,
            client,
        })
    }

    /// The spec it was made from.
    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }
}

#[async_trait]
impl LlmBackend for AnthropicBackend {
    fn model_id(&self) -> &str {
        &self.spec.model_id
    }

    async fn stream(
        &self,
        req: &ChatRequest,
        cancel: CancellationToken,
    ) -> Result<LlmStream, LlmError> {
        let body = serde_json::to_vec(&request_body(&self.spec, req))
            .map_err(|e| LlmError::Config(format!("the request body: {e}")))?;
        let mut headers = json_headers();
        headers.insert("anthropic-version", HeaderValue::from_static(API_VERSION));
        if let Some(key) = &self.spec.api_key {
            headers.insert("x-api-key", secret_header(key)?);
        }
        let call = HttpCall {
            client: self.client.clone(),
            url: self.url.clone(),
            headers,
            body,
            timeout: self.spec.request_timeout,
            retry: RetryPolicy::new(self.spec.max_retries),
            decoder: || Box::new(AnthropicDecoder::default()),
        };
        open(call, cancel).await
    }
}

/// The Messages request body for `req`.
pub fn request_body(spec: &ModelSpec, req: &ChatRequest) -> Value {
    let (mut body, spec_max_tokens) = base_body(spec);
    let max_tokens = req
        .max_tokens
        .map(u64::from)
        .or(spec_max_tokens)
        .unwrap_or(DEFAULT_MAX_TOKENS);
    body.insert("model".into(), Value::from(spec.model_id.clone()));
    body.insert("max_tokens".into(), Value::from(max_tokens));
    if !req.system.is_empty() {
        let system = if req.prompt_cache {
            json!([{ "type": "text", "text": req.system, "cache_control": ephemeral() }])
        } else {
            Value::from(req.system.clone())
        };
        body.insert("system".into(), system);
    }
    body.insert("messages".into(), Value::Array(messages(req)));
    if !req.tools.is_empty() {
        let mut tools: Vec<Value> = req
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "name": tool.name,
                    "description": tool.description,
                    "input_schema": tool.parameters,
                })
            })
            .collect();
        if req.prompt_cache
            && let Some(Value::Object(last)) = tools.last_mut()
        {
            last.insert("cache_control".into(), ephemeral());
        }
        body.insert("tools".into(), Value::Array(tools));
    }
    body.insert("stream".into(), Value::Bool(true));
    Value::Object(body)
}

/// The prompt-cache marker.
fn ephemeral() -> Value {
    json!({ "type": "ephemeral" })
}

/// The `messages` array: consecutive messages of one side merged.
fn messages(req: &ChatRequest) -> Vec<Value> {
    let mut out: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for message in &req.messages {
        let (role, blocks) = match message.role {
            Role::User => ("user", content_blocks(&message.content)),
            Role::Tool => ("user", vec![tool_result(message)]),
            Role::Assistant => ("assistant", assistant_blocks(message)),
        };
        if blocks.is_empty() {
            continue;
        }
        match out.last_mut() {
            Some((last_role, content)) if *last_role == role => content.extend(blocks),
            _ => out.push((role, blocks)),
        }
    }
    if req.prompt_cache
        && let Some((_, blocks)) = out.last_mut()
        && let Some(Value::Object(block)) = blocks.iter_mut().rev().find(|b| {
            !matches!(
                b.get("type").and_then(Value::as_str),
                Some("thinking" | "redacted_thinking")
            )
        })
    {
        block.insert("cache_control".into(), ephemeral());
    }
    out.into_iter()
        .map(|(role, content)| json!({ "role": role, "content": content }))
        .collect()
}

/// Text and image blocks (empty texts and thinking left out).
fn content_blocks(parts: &[Part]) -> Vec<Value> {
    parts
        .iter()
        .filter_map(|part| match part {
            Part::Text { text } if !text.is_empty() => {
                Some(json!({ "type": "text", "text": text }))
            }
            Part::Image { media_type, data } => Some(json!({
                "type": "image",
                "source": { "type": "base64", "media_type": media_type, "data": data },
            })),
            _ => None,
        })
        .collect()
}

/// A tool result block.
fn tool_result(message: &Message) -> Value {
    let mut block = Map::new();
    block.insert("type".into(), Value::from("tool_result"));
    block.insert(
        "tool_use_id".into(),
        Value::from(message.tool_call_id.clone().unwrap_or_default()),
    );
    let content = content_blocks(&message.content);
    if !content.is_empty() {
        block.insert("content".into(), Value::Array(content));
    }
    if message.is_error {
        block.insert("is_error".into(), Value::Bool(true));
    }
    Value::Object(block)
}

/// An assistant message's blocks: its parts in order (signed thinking, text), then its tool
/// calls.
fn assistant_blocks(message: &Message) -> Vec<Value> {
    let mut blocks: Vec<Value> = Vec::new();
    for part in &message.content {
        match part {
            Part::Thinking {
                text,
                signature: Some(signature),
            } => blocks.push(json!({
                "type": "thinking",
                "thinking": text,
                "signature": signature,
            })),
            Part::Text { text } if !text.is_empty() => {
                blocks.push(json!({ "type": "text", "text": text }));
            }
            _ => {}
        }
    }
    for call in &message.tool_calls {
        let input = match &call.arguments {
            Value::Object(_) => call.arguments.clone(),
            // The model wrote something that is not an object: the API only takes objects.
            _ => json!({}),
        };
        blocks
            .push(json!({ "type": "tool_use", "id": call.id, "name": call.name, "input": input }));
    }
    blocks
}

/// The stop reason of a `stop_reason`.
fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "end_turn" | "stop_sequence" => StopReason::EndTurn,
        "tool_use" => StopReason::ToolUse,
        "max_tokens" | "model_context_window_exceeded" => StopReason::MaxTokens,
        _ => StopReason::Other,
    }
}

/// What a content block is.
enum Block {
    Text,
    Thinking,
    /// A tool call: our index, whether argument deltas came, and the input the start gave.
    Tool {
        index: u32,
        got_delta: bool,
        start_input: Option<String>,
    },
    /// Anything else (redacted thinking, server tools): ignored.
    Other,
}

/// Decodes Messages events.
#[derive(Default)]
struct AnthropicDecoder {
    blocks: HashMap<u64, Block>,
    next_tool: u32,
    usage: Usage,
    stop: Option<StopReason>,
    done: bool,
}

impl AnthropicDecoder {
    /// Takes the counts a `usage` object gives (cumulative: each replaces the one before).
    fn take_usage(&mut self, value: &Value) {
        let set = |key: &str, field: &mut u64| {
            if let Some(n) = value.get(key).and_then(Value::as_u64) {
                *field = n;
            }
        };
        set("input_tokens", &mut self.usage.input_tokens);
        set("output_tokens", &mut self.usage.output_tokens);
        set("cache_read_input_tokens", &mut self.usage.cache_read_tokens);
        set(
            "cache_creation_input_tokens",
            &mut self.usage.cache_write_tokens,
        );
    }

    fn block_start(&mut self, index: u64, block: &Value, out: &mut Vec<LlmEvent>) {
        let text_of = |key: &str| block.get(key).and_then(Value::as_str).unwrap_or_default();
        let kind = match block.get("type").and_then(Value::as_str) {
            Some("text") => {
                if !text_of("text").is_empty() {
                    out.push(LlmEvent::TextDelta(text_of("text").to_owned()));
                }
                Block::Text
            }
            Some("thinking") => {
                let signature = Some(text_of("signature")).filter(|s| !s.is_empty());
                if !text_of("thinking").is_empty() || signature.is_some() {
                    out.push(LlmEvent::ThinkingDelta {
                        text: text_of("thinking").to_owned(),
                        signature: signature.map(str::to_owned),
                    });
                }
                Block::Thinking
            }
            Some("tool_use") => {
                let tool = self.next_tool;
                self.next_tool += 1;
                out.push(LlmEvent::ToolCallStart {
                    index: tool,
                    id: text_of("id").to_owned(),
                    name: text_of("name").to_owned(),
                });
                let start_input = block
                    .get("input")
                    .filter(|input| input.as_object().is_some_and(|o| !o.is_empty()))
                    .map(Value::to_string);
                Block::Tool {
                    index: tool,
                    got_delta: false,
                    start_input,
                }
            }
            _ => Block::Other,
        };
        self.blocks.insert(index, kind);
    }

    fn block_delta(&mut self, index: u64, delta: &Value, out: &mut Vec<LlmEvent>) {
        let text_of = |key: &str| delta.get(key).and_then(Value::as_str).unwrap_or_default();
        match (
            delta.get("type").and_then(Value::as_str),
            self.blocks.get_mut(&index),
        ) {
            (Some("text_delta"), _) if !text_of("text").is_empty() => {
                out.push(LlmEvent::TextDelta(text_of("text").to_owned()));
            }
            (Some("thinking_delta"), _) if !text_of("thinking").is_empty() => {
                out.push(LlmEvent::ThinkingDelta {
                    text: text_of("thinking").to_owned(),
                    signature: None,
                });
            }
            (Some("signature_delta"), _) if !text_of("signature").is_empty() => {
                out.push(LlmEvent::ThinkingDelta {
                    text: String::new(),
                    signature: Some(text_of("signature").to_owned()),
                });
            }
            (
                Some("input_json_delta"),
                Some(Block::Tool {
                    index, got_delta, ..
                }),
            ) => {
                let fragment = text_of("partial_json");
                if !fragment.is_empty() {
                    *got_delta = true;
                    out.push(LlmEvent::ToolCallArgs {
                        index: *index,
                        fragment: fragment.to_owned(),
                    });
                }
            }
            _ => {}
        }
    }

    fn block_stop(&mut self, index: u64, out: &mut Vec<LlmEvent>) {
        // A compatible server that gave the whole input in the start and no deltas.
        if let Some(Block::Tool {
            index,
            got_delta: false,
            start_input: Some(input),
        }) = self.blocks.remove(&index)
        {
            out.push(LlmEvent::ToolCallArgs {
                index,
                fragment: input,
            });
        }
    }
}

impl WireDecoder for AnthropicDecoder {
    fn event(&mut self, sse: Sse) -> Result<Vec<LlmEvent>, LlmError> {
        let Some(data) = sse.data.as_deref().map(str::trim).filter(|d| !d.is_empty()) else {
            return Ok(Vec::new());
        };
        let event = parse_data(data)?;
        let kind = event
            .get("type")
            .and_then(Value::as_str)
            .or(sse.event.as_deref())
            .unwrap_or_default()
            .to_owned();
        let index = event.get("index").and_then(Value::as_u64).unwrap_or(0);
        let mut out = Vec::new();
        match kind.as_str() {
            "message_start" => {
                if let Some(usage) = event.get("message").and_then(|m| m.get("usage")) {
                    self.take_usage(usage);
                }
                out.push(LlmEvent::Usage(self.usage));
            }
            "content_block_start" => {
                let block = event.get("content_block").cloned().unwrap_or(Value::Null);
                self.block_start(index, &block, &mut out);
            }
            "content_block_delta" => {
                let delta = event.get("delta").cloned().unwrap_or(Value::Null);
                self.block_delta(index, &delta, &mut out);
            }
            "content_block_stop" => self.block_stop(index, &mut out),
            "message_delta" => {
                if let Some(reason) = event
                    .get("delta")
                    .and_then(|d| d.get("stop_reason"))
                    .and_then(Value::as_str)
                {
                    self.stop = Some(stop_reason(reason));
                }
                if let Some(usage) = event.get("usage").filter(|u| u.is_object()) {
                    self.take_usage(usage);
                    out.push(LlmEvent::Usage(self.usage));
                }
            }
            "message_stop" => {
                self.done = true;
                out.push(LlmEvent::Done {
                    stop: self.stop.unwrap_or(StopReason::EndTurn),
                });
            }
            "error" => {
                let message = error_message(&event).unwrap_or_else(|| event.to_string());
                return Err(LlmError::Stream(message));
            }
            // "ping" and anything newer.
            _ => {}
        }
        Ok(out)
    }

    fn is_done(&self) -> bool {
        self.done
    }

    fn end_of_body(&mut self) -> Result<Vec<LlmEvent>, LlmError> {
        match self.stop {
            Some(stop) if !self.done => {
                self.done = true;
                Ok(vec![LlmEvent::Done { stop }])
            }
            _ if self.done => Ok(Vec::new()),
            _ => Err(LlmError::Stream(
                "the stream ended before the response was complete".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::spec::Wire;
    use crate::llm::types::{ToolCall, ToolSpec};

    fn event(data: Value) -> Sse {
        Sse::default().data(data.to_string())
    }

    #[test]
    fn request_translation_with_cache_markers() {
        let spec = ModelSpec::new("c", "claude", Wire::Anthropic)
            .with_parameter(
                "thinking",
                json!({ "type": "enabled", "budget_tokens": 1024 }),
            )
            .with_parameter("stream", Value::Bool(false));
        let req = ChatRequest {
            system: "sys".into(),
            messages: vec![
                Message::user("go"),
                Message::assistant(
                    vec![
                        Part::Thinking {
                            text: "plan".into(),
                            signature: Some("sig".into()),
                        },
                        Part::Thinking {
                            text: "unsigned".into(),
                            signature: None,
                        },
                    ],
                    vec![
                        ToolCall {
                            id: "t1".into(),
                            name: "a".into(),
                            arguments: json!({}),
                        },
                        ToolCall {
                            id: "t2".into(),
                            name: "b".into(),
                            arguments: json!("{bad"),
                        },
                    ],
                ),
                Message::tool("t1", vec![Part::text("ok")], false),
                Message::tool("t2", vec![Part::text("ERROR: no")], true),
            ],
            tools: vec![
                ToolSpec {
                    name: "a".into(),
                    description: "A".into(),
                    parameters: json!({}),
                },
                ToolSpec {
                    name: "b".into(),
                    description: "B".into(),
                    parameters: json!({}),
                },
            ],
            max_tokens: None,
            prompt_cache: true,
        };
        let body = request_body(&spec, &req);
        assert_eq!(body["max_tokens"], DEFAULT_MAX_TOKENS);
        assert_eq!(body["stream"], true);
        assert_eq!(body["thinking"]["budget_tokens"], 1024);
        assert_eq!(body["system"][0]["cache_control"]["type"], "ephemeral");
        assert!(body["tools"][0].get("cache_control").is_none());
        assert_eq!(body["tools"][1]["cache_control"]["type"], "ephemeral");
        assert_eq!(body["tools"][1]["input_schema"], json!({}));
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        assert_eq!(messages.len(), 3);
        let assistant = &messages[1]["content"];
        assert_eq!(
            assistant[0],
            json!({ "type": "thinking", "thinking": "plan", "signature": "sig" })
        );
        assert_eq!(assistant[1]["type"], "tool_use");
        assert_eq!(assistant[2]["input"], json!({}));
        let results = &messages[2]["content"];
        assert_eq!(results[0]["tool_use_id"], "t1");
        assert!(results[0].get("is_error").is_none());
        assert!(results[0].get("cache_control").is_none());
        assert_eq!(results[1]["is_error"], true);
        assert_eq!(results[1]["cache_control"]["type"], "ephemeral");
    }

    #[test]
    fn decoding_a_tool_call_and_usage() -> Result<(), LlmError> {
        let mut d = AnthropicDecoder::default();
        let mut all = Vec::new();
        for e in [
            json!({"type":"message_start","message":{"usage":{"input_tokens":5,"cache_read_input_tokens":7,"cache_creation_input_tokens":3,"output_tokens":1}}}),
            json!({"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}),
            json!({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}),
            json!({"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"1}"}}),
            json!({"type":"content_block_stop","index":0}),
            json!({"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}),
            json!({"type":"message_stop"}),
        ] {
            all.extend(d.event(event(e))?);
        }
        assert!(d.is_done());
        assert_eq!(
            all.last(),
            Some(&LlmEvent::Done {
                stop: StopReason::ToolUse
            })
        );
        assert!(all.contains(&LlmEvent::Usage(Usage {
            input_tokens: 5,
            output_tokens: 9,
            cache_read_tokens: 7,
            cache_write_tokens: 3,
            reasoning_tokens: 0,
        })));
        assert!(all.contains(&LlmEvent::ToolCallArgs {
            index: 0,
            fragment: "1}".into()
        }));
        Ok(())
    }

    #[test]
    fn whole_input_in_the_start_block_is_kept() -> Result<(), LlmError> {
        let mut d = AnthropicDecoder::default();
        d.event(event(json!({"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"x","name":"f","input":{"a":1}}})))?;
        let out = d.event(event(json!({"type":"content_block_stop","index":2})))?;
        assert_eq!(
            out,
            vec![LlmEvent::ToolCallArgs {
                index: 0,
                fragment: r#"{"a":1}"#.into()
            }]
        );
        Ok(())
    }

    #[test]
    fn error_events_are_stream_errors() {
        let mut d = AnthropicDecoder::default();
        let result = d.event(event(
            json!({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}),
        ));
        assert_eq!(
            result,
            Err(LlmError::Stream("overloaded_error: Overloaded".into()))
        );
    }
}
