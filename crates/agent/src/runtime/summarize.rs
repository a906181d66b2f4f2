//! Conversation summarisation: once a model call's input reaches the threshold, the older
//! messages are replaced by a summary written by the model, keeping the last few verbatim.

use tokio_util::sync::CancellationToken;

use crate::llm::{self, ChatRequest, LlmBackend, LlmError, Message, Role, Usage};

/// The instruction of the summary call.
const INSTRUCTION: &str = "You are summarising the earlier part of a working session between a user and an AI agent, so the agent can continue without it. Write a concise summary that keeps: the user's requests and constraints, decisions made, files created or changed (with their paths), key findings and numbers, errors met and how they were solved, and what remains to be done. Output only the summary.";

/// Where to cut: everything before the returned index is summarised. The kept part never
/// starts with tool results (their calls would be gone). `None` when there is too little.
pub fn cut_point(messages: &[Message], keep: usize) -> Option<usize> {
    if messages.len() <= keep + 1 {
        return None;
    }
    let mut cut = messages.len() - keep;
    while cut > 0 && messages[cut].role == Role::Tool {
        cut -= 1;
    }
    (cut > 0).then_some(cut)
}

/// The transcript of the messages to summarise, as plain text.
fn transcript(messages: &[Message]) -> String {
    let mut out = String::new();
    for m in messages {
        let who = match m.role {
            Role::User => "USER",
            Role::Assistant => "ASSISTANT",
            Role::Tool => "TOOL RESULT",
        };
        out.push_str(&format!("[{who}]\n{}\n", m.text()));
        for call in &m.tool_calls {
            out.push_str(&format!("(calls {} with {})\n", call.name, call.arguments));
        }
        out.push('\n');
    }
    out
}

/// Summarises `messages[..cut]` in place; returns the summary call's tokens.
pub async fn summarize(
    llm: &dyn LlmBackend,
    messages: &mut Vec<Message>,
    cut: usize,
    cancel: CancellationToken,
) -> Result<Usage, LlmError> {
    let request = ChatRequest {
        system: INSTRUCTION.into(),
        messages: vec![Message::user(transcript(&messages[..cut]))],
        tools: Vec::new(),
        max_tokens: Some(4096),
        prompt_cache: false,
    };
    let stream = llm.stream(&request, cancel).await?;
    let completion = llm::collect(stream, |_| {}).await?;
    let summary = Message::user(format!(
        "<summary>\nThe earlier part of this conversation was summarised to save context:\n\n{}\n</summary>",
        completion.message.text().trim()
    ));
    messages.splice(..cut, [summary]);
    Ok(completion.usage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{Part, ToolCall};
    use serde_json::json;

    #[test]
    fn the_kept_part_never_starts_with_tool_results() {
        let call = ToolCall {
            id: "1".into(),
            name: "glob".into(),
            arguments: json!({}),
        };
        let messages = vec![
            Message::user("a"),
            Message::assistant(vec![], vec![call]),
            Message::tool("1", vec![Part::text("r")], false),
            Message::assistant(vec![Part::text("done")], vec![]),
        ];
        assert_eq!(cut_point(&messages, 2), Some(1));
        assert_eq!(cut_point(&messages, 3), None);
        assert_eq!(cut_point(&messages, 1), Some(3));
    }
}
