//! The LLM backends against the scripted fake server, for both wire formats: every scenario is
//! an `async fn(Wire)`, and `both_wires!` makes one test per wire of it.

// A failed expect is a failed test (main.rs, shared, has no crate-wide allow).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fba_agent::llm::{
    ChatRequest, Completion, LlmBackend, LlmError, LlmEvent, Message, ModelSpec, Part, StopReason,
    ToolCall, ToolSpec, Usage, Wire, backend, collect,
};
use fba_agent::testkit::llm::{FAKE_API_KEY, FakeLlm, Turn};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// One test per wire format of each scenario.
macro_rules! both_wires {
    ($($scenario:ident),* $(,)?) => {
        mod openai {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(fba_agent::llm::Wire::OpenAi).await;
                }
            )*
        }
        mod anthropic {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(fba_agent::llm::Wire::Anthropic).await;
                }
            )*
        }
    };
}

both_wires!(
    text_streams_deltas_in_order,
    thinking_comes_back_with_its_signature,
    tool_calls_are_assembled_from_fragments,
    usage_counts_cache_tokens_and_sums,
    rate_limit_with_retry_after_then_success,
    server_error_then_success,
    retries_exhausted_is_a_status_error,
    client_errors_are_not_retried,
    disconnect_mid_stream_is_a_stream_error,
    cancel_during_slow_chunks_is_quick,
    cancel_during_backoff_is_quick,
    malformed_json_is_a_decode_error,
    api_key_goes_in_the_right_header_and_never_in_debug,
    request_translation_of_tool_results_images_and_cache,
    parameters_are_merged_into_the_body,
    failed_request_check_and_exhausted_script_are_visible,
);

fn start(turns: impl IntoIterator<Item = Turn>) -> FakeLlm {
    FakeLlm::start(turns).expect("the fake LLM server starts")
}

fn model(fake: &FakeLlm, wire: Wire) -> Arc<dyn LlmBackend> {
    backend(fake.model_spec(wire)).expect("a backend")
}

fn hello() -> ChatRequest {
    ChatRequest {
        system: "You are terse.".into(),
        messages: vec![Message::user("hello")],
        ..ChatRequest::default()
    }
}

/// Streams `req` and collects it, recording every event.
async fn run(
    model: &dyn LlmBackend,
    req: &ChatRequest,
    cancel: CancellationToken,
) -> (Result<Completion, LlmError>, Vec<LlmEvent>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let result = match model.stream(req, cancel).await {
        Ok(stream) => collect(stream, |e| seen.lock().expect("events").push(e.clone())).await,
        Err(e) => Err(e),
    };
    let events = events.lock().expect("events").clone();
    (result, events)
}

async fn text_streams_deltas_in_order(wire: Wire) {
    let fake = start([Turn::text("Hello brave new world")]);
    let model = model(&fake, wire);
    assert_eq!(model.model_id(), "fake-model");
    let (done, events) = run(model.as_ref(), &hello(), CancellationToken::new()).await;
    let done = done.expect("a completion");
    let deltas: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            LlmEvent::TextDelta(t) => Some(t.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deltas, ["Hello ", "brave ", "new ", "world"]);
    assert_eq!(done.message.text(), "Hello brave new world");
    assert_eq!(
        done.message.content,
        vec![Part::text("Hello brave new world")]
    );
    assert!(done.message.tool_calls.is_empty());
    assert_eq!(done.stop, StopReason::EndTurn);
    assert_eq!(
        events.last(),
        Some(&LlmEvent::Done {
            stop: StopReason::EndTurn
        })
    );
    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let expected_path = match wire {
        Wire::OpenAi => "/v1/chat/completions",
        Wire::Anthropic => "/v1/messages",
    };
    assert_eq!(requests[0].path, expected_path);
    assert_eq!(requests[0].body["stream"], true);
    assert_eq!(requests[0].body["model"], "fake-model");
}

async fn thinking_comes_back_with_its_signature(wire: Wire) {
    let signature = Turn::signature_of("let me think");
    let expected = signature.clone();
    let fake = start([
        Turn::text("It is 4.").thinking("let me think"),
        Turn::text("ok").expect(move |body: &Value| {
            let assistant = &body["messages"][1];
            match wire {
                Wire::Anthropic => {
                    let block = &assistant["content"][0];
                    if block["type"] != "thinking"
                        || block["thinking"] != "let me think"
                        || block["signature"] != expected.as_str()
                    {
                        return Err(format!("thinking block not sent back: {assistant}"));
                    }
                }
                Wire::OpenAi => {
                    if assistant.to_string().contains("let me think") {
                        return Err(format!("thinking sent back on OpenAI: {assistant}"));
                    }
                }
            }
            Ok(())
        }),
    ]);
    let model = model(&fake, wire);
    let mut req = hello();
    let (first, events) = run(model.as_ref(), &req, CancellationToken::new()).await;
    let first = first.expect("first completion");
    assert!(
        events
            .iter()
            .filter(|e| matches!(e, LlmEvent::ThinkingDelta { .. }))
            .count()
            >= 3,
        "{events:?}"
    );
    let thinking_signature = match wire {
        Wire::Anthropic => Some(signature),
        Wire::OpenAi => None,
    };
    assert_eq!(
        first.message.content,
        vec![
            Part::Thinking {
                text: "let me think".into(),
                signature: thinking_signature
            },
            Part::text("It is 4."),
        ]
    );
    req.messages.push(first.message);
    req.messages.push(Message::user("thanks"));
    let (second, _) = run(model.as_ref(), &req, CancellationToken::new()).await;
    assert_eq!(second.expect("second completion").message.text(), "ok");
    assert_eq!(fake.requests().len(), 2);
}

async fn tool_calls_are_assembled_from_fragments(wire: Wire) {
    let code = json!({ "code": "import json\nprint(json.dumps({'a': 1}))" });
    let fake = start([
        Turn::tool_call("execute_code", code.clone()).with_tool_call(
            "read_file",
            json!({ "file_path": "/home/daytona/results/x.md" }),
        ),
    ]);
    let model = model(&fake, wire);
    let (done, events) = run(model.as_ref(), &hello(), CancellationToken::new()).await;
    let done = done.expect("a completion");
    let fragments = events
        .iter()
        .filter(|e| matches!(e, LlmEvent::ToolCallArgs { index: 0, .. }))
        .count();
    assert!(
        fragments >= 3,
        "the arguments came in {fragments} fragment(s)"
    );
    assert_eq!(done.stop, StopReason::ToolUse);
    let calls = &done.message.tool_calls;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].name, "execute_code");
    assert_eq!(calls[0].arguments, code);
    assert!(calls[0].id.starts_with("call_fake_"), "{}", calls[0].id);
    assert_eq!(calls[1].name, "read_file");
    assert_eq!(
        calls[1].arguments["file_path"],
        "/home/daytona/results/x.md"
    );
    assert_ne!(calls[0].id, calls[1].id);
}

async fn usage_counts_cache_tokens_and_sums(wire: Wire) {
    let scripted = Usage {
        input_tokens: 100,
        output_tokens: 20,
        cache_read_tokens: 300,
        cache_write_tokens: 50,
        reasoning_tokens: 7,
    };
    let fake = start([
        Turn::text("one").usage(scripted),
        Turn::tool_call("f", json!({})).usage(Usage {
            input_tokens: 1,
            output_tokens: 2,
            cache_read_tokens: 3,
            cache_write_tokens: 0,
            reasoning_tokens: 0,
        }),
    ]);
    let model = model(&fake, wire);
    let (first, _) = run(model.as_ref(), &hello(), CancellationToken::new()).await;
    let first = first.expect("first").usage;
    let expected = match wire {
        // Anthropic reports cache writes but no reasoning count.
        Wire::Anthropic => Usage {
            reasoning_tokens: 0,
            ..scripted
        },
        // Chat Completions has no cache-write field: those tokens are ordinary input.
        Wire::OpenAi => Usage {
            input_tokens: 150,
            cache_write_tokens: 0,
            ..scripted
        },
    };
    assert_eq!(first, expected);
    let (second, _) = run(model.as_ref(), &hello(), CancellationToken::new()).await;
    let total = first + second.expect("second").usage;
    assert_eq!(total.cache_read_tokens, 303);
    assert_eq!(total.output_tokens, 22);
    assert_eq!(total.total_input(), 100 + 300 + 50 + 1 + 3);
}

async fn rate_limit_with_retry_after_then_success(wire: Wire) {
    let fake = start([
        Turn::status(429).retry_after(1).message("slow down"),
        Turn::text("fine"),
    ]);
    let model = model(&fake, wire);
    let started = Instant::now();
    let (done, _) = run(model.as_ref(), &hello(), CancellationToken::new()).await;
    assert_eq!(
        done.expect("success after the retry").message.text(),
        "fine"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.requests().len(), 2);
}

async fn server_error_then_success(wire: Wire) {
    let fake = start([Turn::status(500), Turn::text("recovered")]);
    let model = model(&fake, wire);
    let started = Instant::now();
    let (done, _) = run(model.as_ref(), &hello(), CancellationToken::new()).await;
    assert_eq!(
        done.expect("success after the retry").message.text(),
        "recovered"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "backoff {:?}",
        started.elapsed()
    );
    assert_eq!(fake.requests().len(), 2);
}

async fn retries_exhausted_is_a_status_error(wire: Wire) {
    let fake = start([
        Turn::status(503).message("busy now"),
        Turn::status(503).message("busy now"),
        Turn::text("never reached"),
    ]);
    let model = backend(fake.model_spec(wire).with_max_retries(1)).expect("backend");
    let error = model
        .stream(&hello(), CancellationToken::new())
        .await
        .err()
        .expect("the retries run out");
    match &error {
        LlmError::Status {
            status: 503,
            message,
            ..
        } => {
            assert!(message.contains("busy now"), "{message}");
        }
        other => panic!("expected a 503 status error, got {other:?}"),
    }
    assert!(error.is_retryable());
    assert_eq!(fake.requests().len(), 2);
    assert_eq!(fake.remaining(), 1);
}

async fn client_errors_are_not_retried(wire: Wire) {
    let fake = start([
        Turn::status(401).message("invalid x-api-key"),
        Turn::text("no"),
    ]);
    let model = model(&fake, wire);
    let error = model
        .stream(&hello(), CancellationToken::new())
        .await
        .err()
        .expect("an error");
    assert_eq!(error.status(), Some(401));
    assert!(error.to_string().contains("invalid x-api-key"), "{error}");
    assert_eq!(fake.requests().len(), 1);
}

async fn disconnect_mid_stream_is_a_stream_error(wire: Wire) {
    let fake = start([
        Turn::text("one two three four five six").disconnect_after(4),
        Turn::text("must not be used"),
    ]);
    let model = model(&fake, wire);
    let (done, events) = run(model.as_ref(), &hello(), CancellationToken::new()).await;
    assert!(matches!(done, Err(LlmError::Stream(_))), "{done:?}");
    assert!(
        events.iter().any(|e| matches!(e, LlmEvent::TextDelta(_))),
        "{events:?}"
    );
    assert_eq!(
        fake.requests().len(),
        1,
        "a started stream is never retried"
    );
}

async fn cancel_during_slow_chunks_is_quick(wire: Wire) {
    let fake = start([Turn::text("a b c d e f g h i j").chunk_delay(Duration::from_millis(400))]);
    let model = model(&fake, wire);
    let cancel = CancellationToken::new();
    let mut stream = model
        .stream(&hello(), cancel.clone())
        .await
        .expect("a stream");
    let first = stream.next().await;
    assert!(matches!(first, Some(Ok(_))), "{first:?}");
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        canceller.cancel();
    });
    let started = Instant::now();
    let mut last = None;
    while let Some(item) = stream.next().await {
        if item.is_err() {
            last = Some(item);
            break;
        }
    }
    assert!(matches!(last, Some(Err(LlmError::Cancelled))), "{last:?}");
    assert!(
        started.elapsed() < Duration::from_millis(700),
        "{:?}",
        started.elapsed()
    );
    assert!(
        stream.next().await.is_none(),
        "the stream ends after the error"
    );
}

async fn cancel_during_backoff_is_quick(wire: Wire) {
    let fake = start([Turn::status(503).retry_after(30), Turn::text("too late")]);
    let model = model(&fake, wire);
    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        canceller.cancel();
    });
    let started = Instant::now();
    let result = model.stream(&hello(), cancel).await;
    assert!(
        matches!(result, Err(LlmError::Cancelled)),
        "{:?}",
        result.err()
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.requests().len(), 1);
}

async fn malformed_json_is_a_decode_error(wire: Wire) {
    let fake = start([Turn::malformed(), Turn::text("must not be used")]);
    let model = model(&fake, wire);
    let (done, _) = run(model.as_ref(), &hello(), CancellationToken::new()).await;
    assert!(matches!(done, Err(LlmError::Decode(_))), "{done:?}");
    assert_eq!(fake.requests().len(), 1);
}

async fn api_key_goes_in_the_right_header_and_never_in_debug(wire: Wire) {
    let fake = start([Turn::text("hi")]);
    let spec = fake.model_spec(wire);
    let shown = format!("{spec:?}");
    assert!(!shown.contains(FAKE_API_KEY), "{shown}");
    let model = backend(spec).expect("backend");
    let (done, _) = run(model.as_ref(), &hello(), CancellationToken::new()).await;
    done.expect("a completion");
    let request = &fake.requests()[0];
    match wire {
        Wire::OpenAi => {
            assert_eq!(
                request.header("Authorization"),
                Some(format!("Bearer {FAKE_API_KEY}").as_str())
            );
            assert_eq!(request.header("x-api-key"), None);
        }
        Wire::Anthropic => {
            assert_eq!(request.header("x-api-key"), Some(FAKE_API_KEY));
            assert_eq!(request.header("anthropic-version"), Some("2023-06-01"));
            assert_eq!(request.header("authorization"), None);
        }
    }
    assert_eq!(request.header("content-type"), Some("application/json"));
}

fn conversation() -> ChatRequest {
    ChatRequest {
        system: "SYSTEM PROMPT".into(),
        messages: vec![
            Message {
                content: vec![
                    Part::text("what is in this chart?"),
                    Part::Image {
                        media_type: "image/png".into(),
                        data: "iVBORw0KGgo=".into(),
                    },
                ],
                ..Message::user("")
            },
            Message::assistant(
                vec![Part::text("Let me look.")],
                vec![
                    ToolCall {
                        id: "call_a".into(),
                        name: "execute_code".into(),
                        arguments: json!({ "code": "print(1)" }),
                    },
                    ToolCall {
                        id: "call_b".into(),
                        name: "view_image".into(),
                        arguments: json!({ "sandbox_paths": ["/results/c.png"] }),
                    },
                ],
            ),
            Message::tool("call_a", vec![Part::text("ERROR\nboom")], true),
            Message::tool(
                "call_b",
                vec![
                    Part::text("Loading 1 image(s)"),
                    Part::Image {
                        media_type: "image/jpeg".into(),
                        data: "/9j/4AAQ".into(),
                    },
                ],
                false,
            ),
        ],
        tools: vec![
            ToolSpec {
                name: "execute_code".into(),
                description: "Run Python".into(),
                parameters: json!({ "type": "object", "properties": { "code": { "type": "string" } } }),
            },
            ToolSpec {
                name: "view_image".into(),
                description: "Look at images".into(),
                parameters: json!({ "type": "object" }),
            },
        ],
        max_tokens: Some(1000),
        prompt_cache: true,
    }
}

async fn request_translation_of_tool_results_images_and_cache(wire: Wire) {
    let fake = start([Turn::text("It shows growth.")]);
    let model = model(&fake, wire);
    let (done, _) = run(model.as_ref(), &conversation(), CancellationToken::new()).await;
    done.expect("a completion");
    let body = fake.requests()[0].body.clone();
    assert_eq!(body["max_tokens"], 1000);
    match wire {
        Wire::OpenAi => check_openai_body(&body),
        Wire::Anthropic => check_anthropic_body(&body),
    }
}

fn check_openai_body(body: &Value) {
    assert!(
        !body.to_string().contains("cache_control"),
        "no cache markers on OpenAI"
    );
    assert_eq!(body["stream_options"], json!({ "include_usage": true }));
    let m = body["messages"].as_array().expect("messages");
    assert_eq!(m.len(), 6, "{m:#?}");
    assert_eq!(
        m[0],
        json!({ "role": "system", "content": "SYSTEM PROMPT" })
    );
    assert_eq!(
        m[1]["content"][0],
        json!({ "type": "text", "text": "what is in this chart?" })
    );
    assert_eq!(
        m[1]["content"][1]["image_url"]["url"],
        "data:image/png;base64,iVBORw0KGgo="
    );
    assert_eq!(m[2]["role"], "assistant");
    assert_eq!(m[2]["content"], "Let me look.");
    assert_eq!(m[2]["tool_calls"][0]["id"], "call_a");
    assert_eq!(m[2]["tool_calls"][0]["type"], "function");
    let arguments = m[2]["tool_calls"][0]["function"]["arguments"]
        .as_str()
        .expect("a string");
    assert_eq!(
        serde_json::from_str::<Value>(arguments).ok(),
        Some(json!({ "code": "print(1)" }))
    );
    assert_eq!(
        m[3],
        json!({ "role": "tool", "tool_call_id": "call_a", "content": "ERROR\nboom" })
    );
    assert_eq!(
        m[4],
        json!({ "role": "tool", "tool_call_id": "call_b", "content": "Loading 1 image(s)" })
    );
    assert_eq!(m[5]["role"], "user");
    assert_eq!(
        m[5]["content"][1]["image_url"]["url"],
        "data:image/jpeg;base64,/9j/4AAQ"
    );
    assert_eq!(body["tools"][0]["function"]["name"], "execute_code");
    assert_eq!(
        body["tools"][0]["function"]["parameters"]["properties"]["code"]["type"],
        "string"
    );
}

fn check_anthropic_body(body: &Value) {
    assert_eq!(
        body["system"],
        json!([{ "type": "text", "text": "SYSTEM PROMPT", "cache_control": { "type": "ephemeral" } }])
    );
    assert!(body["tools"][0].get("cache_control").is_none());
    assert_eq!(
        body["tools"][1]["cache_control"],
        json!({ "type": "ephemeral" })
    );
    assert_eq!(
        body["tools"][0]["input_schema"]["properties"]["code"]["type"],
        "string"
    );
    let m = body["messages"].as_array().expect("messages");
    assert_eq!(m.len(), 3, "{m:#?}");
    assert_eq!(m[0]["role"], "user");
    assert_eq!(
        m[0]["content"][1],
        json!({
            "type": "image",
            "source": { "type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo=" },
        })
    );
    assert_eq!(m[1]["role"], "assistant");
    assert_eq!(
        m[1]["content"][0],
        json!({ "type": "text", "text": "Let me look." })
    );
    assert_eq!(
        m[1]["content"][1],
        json!({ "type": "tool_use", "id": "call_a", "name": "execute_code", "input": { "code": "print(1)" } })
    );
    assert_eq!(m[2]["role"], "user");
    let results = m[2]["content"].as_array().expect("tool results");
    assert_eq!(results.len(), 2, "both results in one user message");
    assert_eq!(results[0]["type"], "tool_result");
    assert_eq!(results[0]["tool_use_id"], "call_a");
    assert_eq!(results[0]["is_error"], true);
    assert_eq!(
        results[0]["content"],
        json!([{ "type": "text", "text": "ERROR\nboom" }])
    );
    assert!(results[0].get("cache_control").is_none());
    assert_eq!(results[1]["tool_use_id"], "call_b");
    assert!(results[1].get("is_error").is_none());
    assert_eq!(
        results[1]["content"][1]["source"]["media_type"],
        "image/jpeg"
    );
    assert_eq!(results[1]["cache_control"], json!({ "type": "ephemeral" }));
}

async fn parameters_are_merged_into_the_body(wire: Wire) {
    let fake = start([Turn::text("ok")]);
    let spec = fake
        .model_spec(wire)
        .with_parameter("temperature", json!(0.2))
        .with_parameter("enable_thinking", json!(true))
        .with_parameter("max_tokens", json!(321))
        .with_parameter("messages", json!("ignored"));
    let model = backend(spec).expect("backend");
    let (done, _) = run(model.as_ref(), &hello(), CancellationToken::new()).await;
    done.expect("a completion");
    let body = &fake.requests()[0].body;
    assert_eq!(body["temperature"], 0.2);
    assert_eq!(body["enable_thinking"], true);
    assert_eq!(body["max_tokens"], 321);
    assert!(body["messages"].is_array());
}

async fn failed_request_check_and_exhausted_script_are_visible(wire: Wire) {
    let fake =
        start([Turn::text("x").expect(|_| Err("the system prompt lacks tools/docs".into()))]);
    let model = backend(fake.model_spec(wire).with_max_retries(0)).expect("backend");
    let error = model
        .stream(&hello(), CancellationToken::new())
        .await
        .err()
        .expect("an error");
    assert_eq!(error.status(), Some(400));
    assert!(
        error
            .to_string()
            .contains("the system prompt lacks tools/docs"),
        "{error}"
    );
    let error = model
        .stream(&hello(), CancellationToken::new())
        .await
        .err()
        .expect("an error");
    assert_eq!(error.status(), Some(500));
    assert!(error.to_string().contains("script exhausted"), "{error}");
}

#[tokio::test]
async fn a_backend_for_a_real_https_endpoint_builds() {
    for wire in [Wire::OpenAi, Wire::Anthropic] {
        let spec = ModelSpec::new("real", "some-model", wire).with_api_key("sk-x");
        assert!(spec.endpoint().starts_with("https://"));
        assert!(backend(spec).is_ok());
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_network_error_after_retries() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        listener.local_addr().expect("addr").port()
    };
    let spec = ModelSpec::new("gone", "m", Wire::OpenAi)
        .with_base_url(format!("http://127.0.0.1:{port}/v1"))
        .with_max_retries(1);
    let model = backend(spec).expect("backend");
    let started = Instant::now();
    let error = model
        .stream(&hello(), CancellationToken::new())
        .await
        .err()
        .expect("an error");
    assert!(matches!(error, LlmError::Network(_)), "{error:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(450),
        "one backoff wait"
    );
}
