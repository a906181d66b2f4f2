//! The OpenAI Chat Completions wire format (`POST {base_url}/chat/completions`, streamed):
//! request translation, and the SSE chunks decoded into [`LlmEvent`]s.
//!
//! Translation: the system prompt is the first message; assistant tool calls carry their
//! arguments as a JSON string; tool results are `role: tool` messages with `tool_call_id` (their
//! images, which a tool message cannot hold, follow in a user message); user images are
//! `image_url` data URLs; thinking parts are not sent back. `prompt_cache` has no marker on this
//! wire (OpenAI caches prefixes by itself).

use std::collections::HashMap;

use async_trait::async_trait;
use reqwest::header::AUTHORIZATION;
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
use super::types::{ChatRequest, LlmEvent, Message, Part, Role, StopReason, ToolCall, Usage};
use super::{LlmBackend, LlmStream};

/// A model behind an OpenAI-compatible Chat Completions endpoint.
pub struct OpenAiBackend {
    spec: ModelSpec,
    url: String,
    client: reqwest::Client,
}

impl OpenAiBackend {
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
impl LlmBackend for OpenAiBackend {
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
        if let Some(key) = &self.spec.api_key {
            headers.insert(AUTHORIZATION, secret_header(&format!("Bearer {key}"))?);
        }
        let call = HttpCall {
            client: self.client.clone(),
            url: self.url.clone(),
            headers,
            body,
            timeout: self.spec.request_timeout,
            retry: RetryPolicy::new(self.spec.max_retries),
            decoder: || Box::new(OpenAiDecoder::default()),
        };
        open(call, cancel).await
    }
}

/// The Chat Completions request body for `req`.
pub fn request_body(spec: &ModelSpec, req: &ChatRequest) -> Value {
    let (mut body, spec_max_tokens) = base_body(spec);
    // Chat Completions has no `reasoning` object: a Responses-style one becomes reasoning_effort.
    if !body.contains_key("reasoning_effort")
        && let Some(effort) = body
            .get("reasoning")
            .and_then(|r| r.get("effort"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    {
        body.remove("reasoning");
        body.insert("reasoning_effort".into(), Value::from(effort));
    }
    if let Some(limit) = req.max_tokens.map(u64::from).or(spec_max_tokens) {
        let key = if body.contains_key("max_completion_tokens") {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body.insert(key.into(), Value::from(limit));
    }
    body.insert("model".into(), Value::from(spec.model_id.clone()));
    body.insert("messages".into(), Value::Array(messages(req)));
    if !req.tools.is_empty() {
        let tools = req
            .tools
            .iter()
            .map(|tool| {
                json!({
                    "type": "function",
                    "function": {
                        "name": tool.name,
                        "description": tool.description,
                        "parameters": tool.parameters,
                    }
                })
            })
            .collect();
        body.insert("tools".into(), Value::Array(tools));
    }
    body.insert("stream".into(), Value::Bool(true));
    body.insert("stream_options".into(), json!({ "include_usage": true }));
    Value::Object(body)
}

/// The `messages` array.
fn messages(req: &ChatRequest) -> Vec<Value> {
    let mut out = Vec::with_capacity(req.messages.len() + 1);
    if !req.system.is_empty() {
        out.push(json!({ "role": "system", "content": req.system }));
    }
    // Images of tool results, sent as a user message after the run of tool messages.
    let mut tool_images: Vec<Value> = Vec::new();
    for message in &req.messages {
        if message.role != Role::Tool {
            flush_tool_images(&mut out, &mut tool_images);
        }
        match message.role {
            Role::User => out.push(json!({ "role": "user", "content": user_content(message) })),
            Role::Assistant => out.push(assistant_message(message)),
            Role::Tool => {
                let id = message.tool_call_id.clone().unwrap_or_default();
                let images: Vec<Value> = message.content.iter().filter_map(image_part).collect();
                if !images.is_empty() {
                    tool_images.push(json!({
                        "type": "text",
                        "text": format!("Images returned by tool call {id}:"),
                    }));
                    tool_images.extend(images);
                }
                out.push(json!({
                    "role": "tool",
                    "tool_call_id": id,
                    "content": message.text(),
                }));
            }
        }
    }
    flush_tool_images(&mut out, &mut tool_images);
    out
}

/// Adds the pending tool-result images as one user message.
fn flush_tool_images(out: &mut Vec<Value>, images: &mut Vec<Value>) {
    if !images.is_empty() {
        out.push(json!({ "role": "user", "content": std::mem::take(images) }));
    }
}

/// A user message's content: a string for plain text, else an array of parts.
fn user_content(message: &Message) -> Value {
    let only_text = message
        .content
        .iter()
        .all(|part| matches!(part, Part::Text { .. }));
    if only_text {
        return Value::from(message.text());
    }
    let parts = message
        .content
        .iter()
        .filter_map(|part| match part {
            Part::Text { text } => Some(json!({ "type": "text", "text": text })),
            Part::Image { .. } => image_part(part),
            Part::Thinking { .. } => None,
        })
        .collect();
    Value::Array(parts)
}

/// An image as an `image_url` part with a data URL.
fn image_part(part: &Part) -> Option<Value> {
    match part {
        Part::Image { media_type, data } => Some(json!({
            "type": "image_url",
            "image_url": { "url": format!("data:{media_type};base64,{data}") },
        })),
        _ => None,
    }
}

/// An assistant message: its text (null when it only calls tools) and its tool calls.
fn assistant_message(message: &Message) -> Value {
    let text = message.text();
    let mut out = Map::new();
    out.insert("role".into(), Value::from("assistant"));
    let content = if text.is_empty() && !message.tool_calls.is_empty() {
        Value::Null
    } else {
        Value::from(text)
    };
    out.insert("content".into(), content);
    if !message.tool_calls.is_empty() {
        let calls = message.tool_calls.iter().map(tool_call).collect();
        out.insert("tool_calls".into(), Value::Array(calls));
    }
    Value::Object(out)
}

/// A tool call with its arguments as a JSON string (the raw text when it was not JSON).
fn tool_call(call: &ToolCall) -> Value {
    let arguments = match &call.arguments {
        Value::String(raw) => raw.clone(),
        other => other.to_string(),
    };
    json!({
        "id": call.id,
        "type": "function",
        "function": { "name": call.name, "arguments": arguments },
    })
}

/// The stop reason of a `finish_reason`.
fn stop_reason(reason: &str) -> StopReason {
    match reason {
        "stop" | "end_turn" => StopReason::EndTurn,
        "tool_calls" | "function_call" | "tool_use" => StopReason::ToolUse,
        "length" | "max_tokens" => StopReason::MaxTokens,
        _ => StopReason::Other,
    }
}

/// The usage of a chunk's `usage` object: cached prompt tokens (`prompt_tokens_details.
/// cached_tokens`, or DeepSeek's `prompt_cache_hit_tokens`) are taken out of the input.
fn usage(value: &Value) -> Usage {
    let count = |v: Option<&Value>| v.and_then(Value::as_u64).unwrap_or(0);
    let prompt = count(value.get("prompt_tokens"));
    let cached = value
        .get("prompt_tokens_details")
        .and_then(|d| d.get("cached_tokens"))
        .or_else(|| value.get("prompt_cache_hit_tokens"));
    let cached = count(cached).min(prompt);
    Usage {
        input_tokens: prompt - cached,
        output_tokens: count(value.get("completion_tokens")),
        cache_read_tokens: cached,
        cache_write_tokens: 0,
        reasoning_tokens: count(
            value
                .get("completion_tokens_details")
                .and_then(|d| d.get("reasoning_tokens")),
        ),
    }
}

/// Decodes Chat Completions chunks.
#[derive(Default)]
struct OpenAiDecoder {
    /// Per wire `index`: our index and the call's id.
    calls: HashMap<u64, (u32, String)>,
    next_index: u32,
    stop: Option<StopReason>,
    done: bool,
}

impl OpenAiDecoder {
    /// The events of one `tool_calls` fragment.
    fn tool_fragment(&mut self, position: usize, fragment: &Value, out: &mut Vec<LlmEvent>) {
        let wire_index = fragment
            .get("index")
            .and_then(Value::as_u64)
            .unwrap_or(position as u64);
        let id = fragment
            .get("id")
            .and_then(Value::as_str)
            .filter(|id| !id.is_empty());
        let function = fragment.get("function");
        let name = function.and_then(|f| f.get("name")).and_then(Value::as_str);
        let arguments = function
            .and_then(|f| f.get("arguments"))
            .and_then(Value::as_str);
        let known = self.calls.get(&wire_index);
        // A new id on a known index is a new call (some compatible servers reuse index 0).
        let is_new = match (known, id) {
            (None, _) => true,
            (Some((_, known_id)), Some(id)) => known_id != id,
            (Some(_), None) => false,
        };
        let index = if is_new {
            let index = self.next_index;
            self.next_index += 1;
            let id = id.map_or_else(|| format!("call_{index}"), str::to_owned);
            self.calls.insert(wire_index, (index, id.clone()));
            out.push(LlmEvent::ToolCallStart {
                index,
                id,
                name: name.unwrap_or_default().to_owned(),
            });
            index
        } else {
            known.map_or(0, |(index, _)| *index)
        };
        if let Some(arguments) = arguments.filter(|a| !a.is_empty()) {
            out.push(LlmEvent::ToolCallArgs {
                index,
                fragment: arguments.to_owned(),
            });
        }
    }
}

impl WireDecoder for OpenAiDecoder {
    fn event(&mut self, sse: Sse) -> Result<Vec<LlmEvent>, LlmError> {
        let Some(data) = sse.data else {
            return Ok(Vec::new());
        };
        let data = data.trim();
        if data.is_empty() {
            return Ok(Vec::new());
        }
        if data == "[DONE]" {
            self.done = true;
            return Ok(vec![LlmEvent::Done {
                stop: self.stop.unwrap_or(StopReason::EndTurn),
            }]);
        }
        let chunk = parse_data(data)?;
        if chunk.get("error").is_some_and(|e| !e.is_null()) {
            let message = error_message(&chunk).unwrap_or_else(|| chunk.to_string());
            return Err(LlmError::Stream(message));
        }
        let mut out = Vec::new();
        let choices = chunk.get("choices").and_then(Value::as_array);
        for choice in choices.into_iter().flatten() {
            if choice.get("index").and_then(Value::as_u64).unwrap_or(0) != 0 {
                continue;
            }
            if let Some(delta) = choice.get("delta") {
                for key in ["reasoning_content", "reasoning"] {
                    if let Some(text) = delta.get(key).and_then(Value::as_str)
                        && !text.is_empty()
                    {
                        out.push(LlmEvent::ThinkingDelta {
                            text: text.to_owned(),
                            signature: None,
                        });
                    }
                }
                if let Some(text) = delta.get("content").and_then(Value::as_str)
                    && !text.is_empty()
                {
                    out.push(LlmEvent::TextDelta(text.to_owned()));
                }
                let calls = delta.get("tool_calls").and_then(Value::as_array);
                for (position, fragment) in calls.into_iter().flatten().enumerate() {
                    self.tool_fragment(position, fragment, &mut out);
                }
            }
            if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str)
                && !reason.is_empty()
            {
                self.stop = Some(stop_reason(reason));
            }
        }
        if let Some(counts) = chunk.get("usage").filter(|u| u.is_object()) {
            out.push(LlmEvent::Usage(usage(counts)));
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
    use crate::llm::types::ToolSpec;

    fn sse(data: &str) -> Sse {
        Sse::default().data(data)
    }

    #[test]
    fn request_translation() {
        let spec = ModelSpec::new("q", "qwen3-max", Wire::OpenAi)
            .with_parameter("enable_thinking", Value::Bool(true))
            .with_parameter("max_tokens", Value::from(100))
            .with_parameter("model", Value::from("not-this"))
            .with_parameter("reasoning", json!({ "effort": "low", "summary": "auto" }));
        let req = ChatRequest {
            system: "be brief".into(),
            messages: vec![
                Message::user("hi"),
                Message::assistant(
                    vec![
                        Part::Thinking {
                            text: "hmm".into(),
                            signature: None,
                        },
                        Part::text("calling"),
                    ],
                    vec![ToolCall {
                        id: "c1".into(),
                        name: "execute_code".into(),
                        arguments: json!({ "code": "print(1)" }),
                    }],
                ),
                Message::tool(
                    "c1",
                    vec![
                        Part::text("SUCCESS\n1"),
                        Part::Image {
                            media_type: "image/png".into(),
                            data: "AAAA".into(),
                        },
                    ],
                    false,
                ),
            ],
            tools: vec![ToolSpec {
                name: "execute_code".into(),
                description: "run".into(),
                parameters: json!({ "type": "object" }),
            }],
            max_tokens: None,
            prompt_cache: true,
        };
        let body = request_body(&spec, &req);
        assert_eq!(body["model"], "qwen3-max");
        assert_eq!(body["enable_thinking"], true);
        assert_eq!(body["max_tokens"], 100);
        assert_eq!(body["reasoning_effort"], "low");
        assert!(body.get("reasoning").is_none());
        assert_eq!(body["stream"], true);
        assert_eq!(body["stream_options"]["include_usage"], true);
        let messages = body["messages"].as_array().cloned().unwrap_or_default();
        assert_eq!(messages.len(), 5, "{messages:#?}");
        assert_eq!(
            messages[0],
            json!({ "role": "system", "content": "be brief" })
        );
        assert_eq!(messages[1], json!({ "role": "user", "content": "hi" }));
        assert_eq!(messages[2]["content"], "calling");
        assert_eq!(
            messages[2]["tool_calls"][0]["function"]["arguments"],
            r#"{"code":"print(1)"}"#
        );
        assert_eq!(
            messages[3],
            json!({ "role": "tool", "tool_call_id": "c1", "content": "SUCCESS\n1" })
        );
        assert_eq!(messages[4]["role"], "user");
        assert_eq!(
            messages[4]["content"][1]["image_url"]["url"],
            "data:image/png;base64,AAAA"
        );
        assert_eq!(body["tools"][0]["type"], "function");
        assert_eq!(body["tools"][0]["function"]["name"], "execute_code");
    }

    #[test]
    fn request_max_tokens_wins_and_completion_tokens_key_is_kept() {
        let spec = ModelSpec::new("o", "o4", Wire::OpenAi)
            .with_parameter("max_completion_tokens", Value::from(10));
        let req = ChatRequest {
            max_tokens: Some(77),
            ..ChatRequest::default()
        };
        let body = request_body(&spec, &req);
        assert_eq!(body["max_completion_tokens"], 77);
        assert!(body.get("max_tokens").is_none());
    }

    #[test]
    fn decoding_reuses_index_zero_for_new_ids() -> Result<(), LlmError> {
        let mut decoder = OpenAiDecoder::default();
        let events = decoder.event(sse(
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{}"}}]}}]}"#,
        ))?;
        assert_eq!(events.len(), 2);
        let events = decoder.event(sse(
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"b","function":{"name":"g","arguments":"{}"}}]}}]}"#,
        ))?;
        assert_eq!(
            events[0],
            LlmEvent::ToolCallStart {
                index: 1,
                id: "b".into(),
                name: "g".into()
            }
        );
        Ok(())
    }

    #[test]
    fn usage_takes_cached_tokens_out_of_the_input() {
        let counts = usage(&json!({
            "prompt_tokens": 100,
            "completion_tokens": 30,
            "prompt_tokens_details": { "cached_tokens": 60 },
            "completion_tokens_details": { "reasoning_tokens": 12 },
        }));
        assert_eq!(
            counts,
            Usage {
                input_tokens: 40,
                output_tokens: 30,
                cache_read_tokens: 60,
                cache_write_tokens: 0,
                reasoning_tokens: 12,
            }
        );
    }

    #[test]
    fn stream_cut_before_finish_is_an_error() {
        let mut decoder = OpenAiDecoder::default();
        assert!(matches!(decoder.end_of_body(), Err(LlmError::Stream(_))));
        let mut decoder = OpenAiDecoder::default();
        let _ = decoder.event(sse(
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"#,
        ));
        assert_eq!(
            decoder.end_of_body().ok(),
            Some(vec![LlmEvent::Done {
                stop: StopReason::MaxTokens
            }])
        );
    }

    #[test]
    fn error_chunks_are_stream_errors() {
        let mut decoder = OpenAiDecoder::default();
        let result = decoder.event(sse(r#"{"error":{"message":"overloaded"}}"#));
        assert_eq!(result, Err(LlmError::Stream("overloaded".into())));
    }
}
