//! [`FakeLlm`]: a scripted fake model server for offline tests. It serves an ordered list of
//! [`Turn`]s, one per request, in whichever wire format the request asks for: a path ending in
//! `/chat/completions` gets OpenAI Chat Completions SSE, one ending in `/messages` gets
//! Anthropic Messages SSE. Every request is recorded ([`FakeLlm::requests`]).
//!
//! A turn is a reply (text, thinking, tool calls, usage), an error status, or a malformed
//! stream; it can be cut after some chunks, slowed down, and can check the request first (a
//! failed check answers 400 with the reason, which the test then sees in the error). Running
//! out of turns answers 500 "script exhausted". The server runs on its own thread (its own
//! actix runtime) on `127.0.0.1:0`, so it works from any test, and stops when dropped.
//!
//! ```no_run
//! # fn demo() -> std::io::Result<()> {
//! use fba_agent::llm::Wire;
//! use fba_agent::testkit::llm::{FakeLlm, Turn};
//! let fake = FakeLlm::start([
//!     Turn::tool_call("execute_code", serde_json::json!({ "code": "print(1)" })),
//!     Turn::text("The answer is 1."),
//! ])?;
//! let spec = fake.model_spec(Wire::Anthropic); // base_url, key and retries set
//! # Ok(()) }
//! ```

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::server::ThreadServer;
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::llm::{ModelSpec, StopReason, Usage, Wire};

/// The API key [`FakeLlm::model_spec`] puts in its specs.
pub const FAKE_API_KEY: &str = "fake-llm-test-key";

/// A check of a request body: `Err(reason)` makes the server answer 400 with the reason.
pub type RequestCheck = Arc<dyn Fn(&Value) -> Result<(), String> + Send + Sync>;

/// One scripted answer.
#[derive(Clone)]
pub struct Turn {
    answer: Answer,
    check: Option<RequestCheck>,
    disconnect_after: Option<usize>,
    chunk_delay: Duration,
}

/// What a turn answers.
#[derive(Debug, Clone)]
enum Answer {
    Reply(Reply),
    Status {
        status: u16,
        retry_after: Option<u64>,
        message: Option<String>,
    },
    Malformed,
}

/// A successful response.
#[derive(Debug, Clone)]
struct Reply {
    blocks: Vec<Block>,
    usage: Usage,
    stop: Option<StopReason>,
}

/// One piece of a reply.
#[derive(Debug, Clone)]
enum Block {
    Thinking {
        text: String,
        signature: String,
    },
    Text(String),
    ToolCall {
        id: String,
        name: String,
        arguments: Value,
    },
}

/// The usage a reply reports unless told otherwise.
pub const DEFAULT_USAGE: Usage = Usage {
    input_tokens: 10,
    output_tokens: 5,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
};

/// Numbers the generated tool-call ids of the process.
static NEXT_CALL: AtomicU64 = AtomicU64::new(1);

impl Turn {
    fn reply(blocks: Vec<Block>) -> Self {
        Self {
            answer: Answer::Reply(Reply {
                blocks,
                usage: DEFAULT_USAGE,
                stop: None,
            }),
            check: None,
            disconnect_after: None,
            chunk_delay: Duration::ZERO,
        }
    }

    /// A text answer (streamed a word at a time).
    pub fn text(text: impl Into<String>) -> Self {
        Self::reply(vec![Block::Text(text.into())])
    }

    /// A tool call (its arguments are streamed in several fragments); the id is generated
    /// (`call_fake_<n>`, unique in the process). More calls: [`Turn::with_tool_call`].
    pub fn tool_call(name: impl Into<String>, arguments: Value) -> Self {
        Self::reply(Vec::new()).with_tool_call(name, arguments)
    }

    /// An error answer with this status and a JSON error body in the wire's format.
    pub fn status(status: u16) -> Self {
        Self {
            answer: Answer::Status {
                status,
                retry_after: None,
                message: None,
            },
            check: None,
            disconnect_after: None,
            chunk_delay: Duration::ZERO,
        }
    }

    /// A stream that starts well, then sends an event whose JSON is cut off.
    pub fn malformed() -> Self {
        Self {
            answer: Answer::Malformed,
            ..Self::status(200)
        }
    }

    /// Adds text after what the reply has.
    pub fn with_text(mut self, text: impl Into<String>) -> Self {
        if let Answer::Reply(reply) = &mut self.answer {
            reply.blocks.push(Block::Text(text.into()));
        }
        self
    }

    /// Adds a tool call after what the reply has (generated id).
    pub fn with_tool_call(self, name: impl Into<String>, arguments: Value) -> Self {
        let id = format!("call_fake_{}", NEXT_CALL.fetch_add(1, Ordering::Relaxed));
        self.with_tool_call_id(id, name, arguments)
    }

    /// Adds a tool call with this id after what the reply has.
    pub fn with_tool_call_id(
        mut self,
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: Value,
    ) -> Self {
        if let Answer::Reply(reply) = &mut self.answer {
            reply.blocks.push(Block::ToolCall {
                id: id.into(),
                name: name.into(),
                arguments,
            });
        }
        self
    }

    /// Adds reasoning before the reply's text and calls (after earlier reasoning), signed with
    /// [`Turn::signature_of`] (the signature only goes out on the Anthropic wire).
    pub fn thinking(self, text: impl Into<String>) -> Self {
        let text = text.into();
        let signature = Self::signature_of(&text);
        self.thinking_signed(text, signature)
    }

    /// [`Turn::thinking`] with this signature.
    pub fn thinking_signed(
        mut self,
        text: impl Into<String>,
        signature: impl Into<String>,
    ) -> Self {
        if let Answer::Reply(reply) = &mut self.answer {
            let at = reply
                .blocks
                .iter()
                .take_while(|b| matches!(b, Block::Thinking { .. }))
                .count();
            reply.blocks.insert(
                at,
                Block::Thinking {
                    text: text.into(),
                    signature: signature.into(),
                },
            );
        }
        self
    }

    /// The signature [`Turn::thinking`] gives a text: `sig-` and 16 hex digits of its SHA-256.
    pub fn signature_of(text: &str) -> String {
        let digest = Sha256::digest(text.as_bytes());
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        format!("sig-{hex}")
    }

    /// The usage the reply reports (default [`DEFAULT_USAGE`]). On the OpenAI wire,
    /// `cache_write_tokens` count as ordinary prompt tokens (the format has no field for them).
    pub fn usage(mut self, usage: Usage) -> Self {
        if let Answer::Reply(reply) = &mut self.answer {
            reply.usage = usage;
        }
        self
    }

    /// The stop reason the reply gives (default: tool use when it calls tools, else end turn).
    pub fn stop(mut self, stop: StopReason) -> Self {
        if let Answer::Reply(reply) = &mut self.answer {
            reply.stop = Some(stop);
        }
        self
    }

    /// For an error answer: a `retry-after` header of this many seconds.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        if let Answer::Status { retry_after, .. } = &mut self.answer {
            *retry_after = Some(seconds);
        }
        self
    }

    /// For an error answer: the error message of the body.
    pub fn message(mut self, text: impl Into<String>) -> Self {
        if let Answer::Status { message, .. } = &mut self.answer {
            *message = Some(text.into());
        }
        self
    }

    /// Sends this many chunks (SSE events), then drops the connection.
    pub fn disconnect_after(mut self, chunks: usize) -> Self {
        self.disconnect_after = Some(chunks);
        self
    }

    /// Waits this long between chunks.
    pub fn chunk_delay(mut self, delay: Duration) -> Self {
        self.chunk_delay = delay;
        self
    }

    /// Checks the request body before answering: `Err(reason)` answers 400 with
    /// "request check failed: <reason>" (the turn is used up either way).
    pub fn expect(
        mut self,
        check: impl Fn(&Value) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.check = Some(Arc::new(check));
        self
    }
}

impl fmt::Debug for Turn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Turn")
            .field("answer", &self.answer)
            .field("check", &self.check.is_some())
            .field("disconnect_after", &self.disconnect_after)
            .field("chunk_delay", &self.chunk_delay)
            .finish()
    }
}

/// A request the server received.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// The path, such as `/v1/chat/completions`.
    pub path: String,
    /// The headers, names in lower case (repeated headers joined with `, `).
    pub headers: BTreeMap<String, String>,
    /// The JSON body (the raw text as a string when it was not JSON).
    pub body: Value,
}

impl RecordedRequest {
    /// A header's value (`name` in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The wire format the path asked for.
    pub fn wire(&self) -> Option<Wire> {
        wire_of(&self.path)
    }
}

/// The script and what was received.
#[derive(Default)]
struct Script {
    turns: VecDeque<Turn>,
    requests: Vec<RecordedRequest>,
}

type Shared = Arc<Mutex<Script>>;

fn lock(shared: &Shared) -> MutexGuard<'_, Script> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake model server; it stops when dropped.
pub struct FakeLlm {
    server: ThreadServer,
    shared: Shared,
}

impl FakeLlm {
    /// Starts a server on `127.0.0.1:0` serving `turns` in order.
    ///
    /// # Errors
    /// When the socket or the server thread cannot be set up.
    pub fn start(turns: impl IntoIterator<Item = Turn>) -> std::io::Result<Self> {
        let shared: Shared = Arc::new(Mutex::new(Script {
            turns: turns.into_iter().collect(),
            requests: Vec::new(),
        }));
        let data = web::Data::new(Arc::clone(&shared));
        let server = ThreadServer::start("fake LLM", move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(data.clone())
                .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                .default_service(web::to(answer));
        })?;
        Ok(Self { server, shared })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The OpenAI-style base URL, `http://127.0.0.1:<port>/v1` (the backend appends
    /// `/chat/completions`).
    pub fn base_url(&self) -> String {
        self.openai_base_url()
    }

    /// The OpenAI-style base URL (same as [`FakeLlm::base_url`]).
    pub fn openai_base_url(&self) -> String {
        format!("{}/v1", self.url())
    }

    /// The Anthropic-style base URL, `http://127.0.0.1:<port>` (the backend appends
    /// `/v1/messages`).
    pub fn anthropic_base_url(&self) -> String {
        self.url()
    }

    /// The base URL for `wire`.
    pub fn base_url_for(&self, wire: Wire) -> String {
        match wire {
            Wire::OpenAi => self.openai_base_url(),
            Wire::Anthropic => self.anthropic_base_url(),
        }
    }

    /// A spec pointed at this server: model `fake-model`, key [`FAKE_API_KEY`], default
    /// retries, a 30 s timeout.
    pub fn model_spec(&self, wire: Wire) -> ModelSpec {
        ModelSpec::new(format!("fake-{wire}"), "fake-model", wire)
            .with_base_url(self.base_url_for(wire))
            .with_api_key(FAKE_API_KEY)
            .with_request_timeout(Duration::from_secs(30))
    }

    /// Adds turns at the end of the script.
    pub fn push(&self, turns: impl IntoIterator<Item = Turn>) {
        lock(&self.shared).turns.extend(turns);
    }

    /// The turns not served yet.
    pub fn remaining(&self) -> usize {
        lock(&self.shared).turns.len()
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared).requests.clone()
    }
}

impl fmt::Debug for FakeLlm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeLlm")
            .field("url", &self.server.url())
            .finish_non_exhaustive()
    }
}

/// The wire format of a request path.
fn wire_of(path: &str) -> Option<Wire> {
    let path = path.trim_end_matches('/');
    if path.ends_with("/chat/completions") {
        Some(Wire::OpenAi)
    } else if path.ends_with("/messages") {
        Some(Wire::Anthropic)
    } else {
        None
    }
}

/// Serves one request.
async fn answer(request: HttpRequest, body: Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let path = request.path().to_owned();
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in request.headers() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_ascii_lowercase())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let Some(wire) = wire_of(&path) else {
        return error_response(
            Wire::OpenAi,
            404,
            &format!("no model endpoint at {path}"),
            None,
        );
    };
    let turn = {
        let mut script = lock(&shared);
        script.requests.push(RecordedRequest {
            path,
            headers,
            body: body.clone(),
        });
        script.turns.pop_front()
    };
    let Some(turn) = turn else {
        return error_response(wire, 500, "script exhausted", None);
    };
    if let Some(check) = &turn.check
        && let Err(reason) = check(&body)
    {
        return error_response(wire, 400, &format!("request check failed: {reason}"), None);
    }
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("fake-model")
        .to_owned();
    let chunks = match &turn.answer {
        Answer::Status {
            status,
            retry_after,
            message,
        } => {
            let text = message
                .clone()
                .unwrap_or_else(|| format!("scripted error {status}"));
            return error_response(wire, *status, &text, *retry_after);
        }
        Answer::Reply(reply) => match wire {
            Wire::OpenAi => openai_chunks(reply, &model),
            Wire::Anthropic => anthropic_chunks(reply, &model),
        },
        Answer::Malformed => malformed_chunks(wire, &model),
    };
    stream_response(chunks, turn.disconnect_after, turn.chunk_delay)
}

/// An error answer with the wire's JSON error body.
fn error_response(
    wire: Wire,
    status: u16,
    message: &str,
    retry_after: Option<u64>,
) -> HttpResponse {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match wire {
        Wire::OpenAi => json!({
            "error": { "message": message, "type": "fake_error", "code": status },
        }),
        Wire::Anthropic => {
            let kind = match status {
                400 => "invalid_request_error",
                401 => "authentication_error",
                429 => "rate_limit_error",
                529 => "overloaded_error",
                _ => "api_error",
            };
            json!({ "type": "error", "error": { "type": kind, "message": message } })
        }
    };
    let mut response = HttpResponse::build(code);
    if let Some(seconds) = retry_after {
        response.insert_header(("retry-after", seconds.to_string()));
    }
    response.json(body)
}

/// One streamed piece.
enum Step {
    Chunk(String),
    Cut,
}

/// The SSE answer: the chunks, each after `delay` (but the first), cut where told.
fn stream_response(chunks: Vec<String>, cut: Option<usize>, delay: Duration) -> HttpResponse {
    let mut steps: Vec<Step> = chunks.into_iter().map(Step::Chunk).collect();
    if let Some(at) = cut {
        steps.truncate(at);
        steps.push(Step::Cut);
    }
    let body = futures_util::stream::iter(steps.into_iter().enumerate()).then(
        move |(n, step)| async move {
            if n > 0 && !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            match step {
                Step::Chunk(text) => Ok(Bytes::from(text)),
                Step::Cut => {
                    // Let what was sent reach the client before the connection drops.
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    Err(std::io::Error::other("scripted disconnect"))
                }
            }
        },
    );
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        .streaming(body)
}

/// An unnamed SSE event.
fn data(value: &Value) -> String {
    format!("data: {value}\n\n")
}

/// A named SSE event (Anthropic style).
fn event(value: &Value) -> String {
    let name = value
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("message");
    format!("event: {name}\ndata: {value}\n\n")
}

/// `text` in pieces of about one word each (the spaces kept).
fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in text.chars() {
        current.push(c);
        if c.is_whitespace() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `text` in three pieces of about the same size (at char boundaries; fewer when short).
fn thirds(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(3).max(1);
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// The stop a reply gives.
fn stop_of(reply: &Reply) -> StopReason {
    reply.stop.unwrap_or_else(|| {
        if reply
            .blocks
            .iter()
            .any(|b| matches!(b, Block::ToolCall { .. }))
        {
            StopReason::ToolUse
        } else {
            StopReason::EndTurn
        }
    })
}

/// A reply as Chat Completions chunks.
fn openai_chunks(reply: &Reply, model: &str) -> Vec<String> {
    let chunk = |delta: Value, finish: Value| {
        data(&json!({
            "id": "chatcmpl-fake",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{ "index": 0, "delta": delta, "finish_reason": finish }],
        }))
    };
    let mut out = vec![chunk(
        json!({ "role": "assistant", "content": "" }),
        Value::Null,
    )];
    let mut call_index = 0;
    for block in &reply.blocks {
        match block {
            Block::Thinking { text, .. } => {
                for piece in words(text) {
                    out.push(chunk(json!({ "reasoning_content": piece }), Value::Null));
                }
            }
            Block::Text(text) => {
                for piece in words(text) {
                    out.push(chunk(json!({ "content": piece }), Value::Null));
                }
            }
            Block::ToolCall {
                id,
                name,
                arguments,
            } => {
                for (n, piece) in thirds(&arguments.to_string()).into_iter().enumerate() {
                    let fragment = if n == 0 {
                        json!({
                            "index": call_index,
                            "id": id,
                            "type": "function",
                            "function": { "name": name, "arguments": piece },
                        })
                    } else {
                        json!({ "index": call_index, "function": { "arguments": piece } })
                    };
                    out.push(chunk(json!({ "tool_calls": [fragment] }), Value::Null));
                }
                call_index += 1;
            }
        }
    }
    let finish = match stop_of(reply) {
        StopReason::EndTurn => "stop",
        StopReason::ToolUse => "tool_calls",
        StopReason::MaxTokens => "length",
        StopReason::Other => "content_filter",
    };
    out.push(chunk(json!({}), Value::from(finish)));
    let u = reply.usage;
    let prompt = u.input_tokens + u.cache_read_tokens + u.cache_write_tokens;
    out.push(data(&json!({
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": u.output_tokens,
            "total_tokens": prompt + u.output_tokens,
            "prompt_tokens_details": { "cached_tokens": u.cache_read_tokens },
            "completion_tokens_details": { "reasoning_tokens": u.reasoning_tokens },
        },
    })));
    out.push("data: [DONE]\n\n".to_owned());
    out
}

/// The `message_start` event.
fn message_start(model: &str, usage: Usage) -> String {
    event(&json!({
        "type": "message_start",
        "message": {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "stop_reason": null,
            "stop_sequence": null,
            "usage": {
                "input_tokens": usage.input_tokens,
                "cache_read_input_tokens": usage.cache_read_tokens,
                "cache_creation_input_tokens": usage.cache_write_tokens,
                "output_tokens": 1,
            },
        },
    }))
}

/// A reply as Messages events.
fn anthropic_chunks(reply: &Reply, model: &str) -> Vec<String> {
    let mut out = vec![
        message_start(model, reply.usage),
        event(&json!({ "type": "ping" })),
    ];
    for (index, block) in reply.blocks.iter().enumerate() {
        let delta = |delta: Value| {
            event(&json!({ "type": "content_block_delta", "index": index, "delta": delta }))
        };
        let start = |block: Value| {
            event(&json!({ "type": "content_block_start", "index": index, "content_block": block }))
        };
        match block {
            Block::Thinking { text, signature } => {
                out.push(start(
                    json!({ "type": "thinking", "thinking": "", "signature": "" }),
                ));
                for piece in words(text) {
                    out.push(delta(
                        json!({ "type": "thinking_delta", "thinking": piece }),
                    ));
                }
                out.push(delta(
                    json!({ "type": "signature_delta", "signature": signature }),
                ));
            }
            Block::Text(text) => {
                out.push(start(json!({ "type": "text", "text": "" })));
                for piece in words(text) {
                    out.push(delta(json!({ "type": "text_delta", "text": piece })));
                }
            }
            Block::ToolCall {
                id,
                name,
                arguments,
            } => {
                out.push(start(
                    json!({ "type": "tool_use", "id": id, "name": name, "input": {} }),
                ));
                for piece in thirds(&arguments.to_string()) {
                    out.push(delta(
                        json!({ "type": "input_json_delta", "partial_json": piece }),
                    ));
                }
            }
        }
        out.push(event(
            &json!({ "type": "content_block_stop", "index": index }),
        ));
    }
    let stop = match stop_of(reply) {
        StopReason::EndTurn => "end_turn",
        StopReason::ToolUse => "tool_use",
        StopReason::MaxTokens => "max_tokens",
        StopReason::Other => "refusal",
    };
    out.push(event(&json!({
        "type": "message_delta",
        "delta": { "stop_reason": stop, "stop_sequence": null },
        "usage": { "output_tokens": reply.usage.output_tokens },
    })));
    out.push(event(&json!({ "type": "message_stop" })));
    out
}

/// A stream that starts well, then sends an event with cut-off JSON.
fn malformed_chunks(wire: Wire, model: &str) -> Vec<String> {
    match wire {
        Wire::OpenAi => vec![
            data(&json!({
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [{ "index": 0, "delta": { "content": "Hel" }, "finish_reason": null }],
            })),
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\n\n".to_owned(),
        ],
        Wire::Anthropic => vec![
            message_start(model, DEFAULT_USAGE),
            "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\"\n\n"
                .to_owned(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_thirds_keep_the_text() {
        assert_eq!(words("a bc  d").concat(), "a bc  d");
        assert_eq!(words("a bc d").len(), 3);
        let json = r#"{"code":"print('é')"}"#;
        assert_eq!(thirds(json).concat(), json);
        assert_eq!(thirds(json).len(), 3);
        assert_eq!(thirds("").concat(), "");
    }

    #[test]
    fn thinking_goes_before_text_and_calls() {
        let turn = Turn::text("answer").thinking("one").thinking("two");
        let Answer::Reply(reply) = turn.answer else {
            panic!("a reply");
        };
        assert!(matches!(&reply.blocks[0], Block::Thinking { text, .. } if text == "one"));
        assert!(matches!(&reply.blocks[1], Block::Thinking { text, .. } if text == "two"));
        assert!(matches!(&reply.blocks[2], Block::Text(t) if t == "answer"));
    }
}
