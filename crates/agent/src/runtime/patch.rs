//! Dangling tool calls: an assistant message whose calls have no answers (after a cancel or a
//! crash) gets a synthetic "cancelled" answer per call, since every wire format refuses a call
//! without a result.

use std::collections::HashSet;

use crate::llm::{Message, Part, Role};

/// The answer put in for a call that never got one.
pub fn cancelled_text(name: &str, id: &str) -> String {
    format!("Tool call {name} with id {id} was cancelled before it completed.")
}

/// Inserts the missing answers right after each assistant message's answered calls.
pub fn patch_dangling(messages: &mut Vec<Message>) {
    let mut i = 0;
    while i < messages.len() {
        if messages[i].role != Role::Assistant || messages[i].tool_calls.is_empty() {
            i += 1;
            continue;
        }
        let mut end = i + 1;
        let mut answered = HashSet::new();
        while end < messages.len() && messages[end].role == Role::Tool {
            if let Some(id) = &messages[end].tool_call_id {
                answered.insert(id.clone());
            }
            end += 1;
        }
        let missing: Vec<Message> = messages[i]
            .tool_calls
            .iter()
            .filter(|c| !answered.contains(&c.id))
            .map(|c| {
                Message::tool(
                    c.id.clone(),
                    vec![Part::text(cancelled_text(&c.name, &c.id))],
                    true,
                )
            })
            .collect();
        let added = missing.len();
        messages.splice(end..end, missing);
        i = end + added;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::ToolCall;
    use serde_json::json;

    fn call(id: &str) -> ToolCall {
        ToolCall {
            id: id.into(),
            name: "Bash".into(),
            arguments: json!({}),
        }
    }

    #[test]
    fn unanswered_calls_get_a_cancelled_answer_in_place() {
        let mut messages = vec![
            Message::user("go"),
            Message::assistant(vec![], vec![call("a"), call("b")]),
            Message::tool("a", vec![Part::text("ok")], false),
            Message::user("next"),
        ];
        patch_dangling(&mut messages);
        assert_eq!(messages.len(), 5);
        assert_eq!(messages[3].tool_call_id.as_deref(), Some("b"));
        assert_eq!(
            messages[3].text(),
            "Tool call Bash with id b was cancelled before it completed."
        );
        assert_eq!(messages[4].text(), "next");
        let before = messages.clone();
        patch_dangling(&mut messages);
        assert_eq!(messages, before);
    }
}
