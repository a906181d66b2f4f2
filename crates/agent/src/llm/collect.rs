//! Assembling a streamed response into one assistant [`Message`]: [`collect`] for a whole
//! stream, [`CompletionBuilder`] for a caller that handles the events itself.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use serde_json::{Map, Value};

use super::LlmStream;
use super::error::LlmError;
use super::types::{LlmEvent, Message, Part, StopReason, ToolCall, Usage};

/// A finished model response.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The assistant message: text and thinking parts in the order they came, tool calls in
    /// index order.
    pub message: Message,
    /// The call's token counts.
    pub usage: Usage,
    /// Why the model stopped.
    pub stop: StopReason,
}

/// Reads `stream` to its end, calling `on_event` for each event (to forward deltas), and
/// assembles the response.
///
/// # Errors
/// The stream's error, or [`LlmError::Stream`] when it ended without a `Done` event.
pub async fn collect(
    mut stream: LlmStream,
    mut on_event: impl FnMut(&LlmEvent),
) -> Result<Completion, LlmError> {
    let mut builder = CompletionBuilder::default();
    while let Some(event) = stream.next().await {
        let event = event?;
        on_event(&event);
        builder.push(&event);
    }
    builder.finish()
}

/// Assembles events into a [`Completion`].
#[derive(Debug, Default)]
pub struct CompletionBuilder {
    content: Vec<Part>,
    calls: BTreeMap<u32, PendingCall>,
    usage: Usage,
    stop: Option<StopReason>,
}

/// A tool call being streamed.
#[derive(Debug, Default)]
struct PendingCall {
    id: String,
    name: String,
    arguments: String,
}

impl CompletionBuilder {
    /// Takes one event.
    pub fn push(&mut self, event: &LlmEvent) {
        match event {
            LlmEvent::TextDelta(text) => match self.content.last_mut() {
                Some(Part::Text { text: last }) => last.push_str(text),
                _ => self.content.push(Part::text(text.clone())),
            },
            LlmEvent::ThinkingDelta { text, signature } => match self.content.last_mut() {
                // A signature closes its block: what follows is a new block.
                Some(Part::Thinking {
                    text: last,
                    signature: last_signature @ None,
                }) => {
                    last.push_str(text);
                    last_signature.clone_from(signature);
                }
                _ => self.content.push(Part::Thinking {
                    text: text.clone(),
                    signature: signature.clone(),
                }),
            },
            LlmEvent::ToolCallStart { index, id, name } => {
                let call = self.calls.entry(*index).or_default();
                call.id.clone_from(id);
                call.name.clone_from(name);
            }
            LlmEvent::ToolCallArgs { index, fragment } => {
                self.calls
                    .entry(*index)
                    .or_default()
                    .arguments
                    .push_str(fragment);
            }
            LlmEvent::Usage(usage) => {
                let merge = |field: &mut u64, new: u64| {
                    if new != 0 {
                        *field = new;
                    }
                };
                merge(&mut self.usage.input_tokens, usage.input_tokens);
                merge(&mut self.usage.output_tokens, usage.output_tokens);
                merge(&mut self.usage.cache_read_tokens, usage.cache_read_tokens);
                merge(&mut self.usage.cache_write_tokens, usage.cache_write_tokens);
                merge(&mut self.usage.reasoning_tokens, usage.reasoning_tokens);
            }
            LlmEvent::Done { stop } => self.stop = Some(*stop),
        }
    }

    /// Whether a `Done` event has been taken.
    pub fn is_done(&self) -> bool {
        self.stop.is_some()
    }

    /// The token counts so far.
    pub fn usage(&self) -> Usage {
        self.usage
    }

    /// The assembled response.
    ///
    /// # Errors
    /// [`LlmError::Stream`] when no `Done` event was taken.
    pub fn finish(self) -> Result<Completion, LlmError> {
        let Some(stop) = self.stop else {
            return Err(LlmError::Stream(
                "the response ended without a stop reason".into(),
            ));
        };
        let tool_calls = self
            .calls
            .into_iter()
            .map(|(index, call)| ToolCall {
                id: if call.id.is_empty() {
                    format!("call_{index}")
                } else {
                    call.id
                },
                name: call.name,
                arguments: parse_arguments(&call.arguments),
            })
            .collect();
        Ok(Completion {
            message: Message::assistant(self.content, tool_calls),
            usage: self.usage,
            stop,
        })
    }
}

/// A call's arguments: `{}` when empty, the JSON when valid, else the raw text as a string.
pub fn parse_arguments(raw: &str) -> Value {
    if raw.trim().is_empty() {
        return Value::Object(Map::new());
    }
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parts_and_calls_are_assembled_in_order() -> Result<(), LlmError> {
        let mut b = CompletionBuilder::default();
        for event in [
            LlmEvent::ThinkingDelta {
                text: "a".into(),
                signature: None,
            },
            LlmEvent::ThinkingDelta {
                text: "b".into(),
                signature: None,
            },
            LlmEvent::ThinkingDelta {
                text: String::new(),
                signature: Some("s1".into()),
            },
            LlmEvent::ThinkingDelta {
                text: "c".into(),
                signature: None,
            },
            LlmEvent::TextDelta("x".into()),
            LlmEvent::TextDelta("y".into()),
            LlmEvent::ToolCallStart {
                index: 1,
                id: "b".into(),
                name: "g".into(),
            },
            LlmEvent::ToolCallStart {
                index: 0,
                id: "a".into(),
                name: "f".into(),
            },
            LlmEvent::ToolCallArgs {
                index: 0,
                fragment: "{\"k\":".into(),
            },
            LlmEvent::ToolCallArgs {
                index: 1,
                fragment: "not json".into(),
            },
            LlmEvent::ToolCallArgs {
                index: 0,
                fragment: "1}".into(),
            },
            LlmEvent::ToolCallStart {
                index: 2,
                id: "c".into(),
                name: "h".into(),
            },
            LlmEvent::Usage(Usage {
                input_tokens: 3,
                output_tokens: 1,
                ..Usage::default()
            }),
            LlmEvent::Usage(Usage {
                output_tokens: 8,
                ..Usage::default()
            }),
            LlmEvent::Done {
                stop: StopReason::ToolUse,
            },
        ] {
            b.push(&event);
        }
        let done = b.finish()?;
        assert_eq!(
            done.message.content,
            vec![
                Part::Thinking {
                    text: "ab".into(),
                    signature: Some("s1".into())
                },
                Part::Thinking {
                    text: "c".into(),
                    signature: None
                },
                Part::text("xy"),
            ]
        );
        let calls = &done.message.tool_calls;
        assert_eq!(calls[0].arguments, json!({ "k": 1 }));
        assert_eq!(calls[1].arguments, json!("not json"));
        assert_eq!(calls[2].arguments, json!({}));
        assert_eq!(done.usage.input_tokens, 3);
        assert_eq!(done.usage.output_tokens, 8);
        assert_eq!(done.stop, StopReason::ToolUse);
        Ok(())
    }

    #[test]
    fn no_done_is_an_error() {
        let mut b = CompletionBuilder::default();
        b.push(&LlmEvent::TextDelta("partial".into()));
        assert!(matches!(b.finish(), Err(LlmError::Stream(_))));
    }
}
