//! `think_tool`: the research subagent's deliberate pause. It does nothing but echo the
//! reflection back (`Reflection recorded: <reflection>`, upstream's exact answer); its purpose is
//! to make the model write down what a search found, what is missing and whether to go on,
//! before the next step.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Tool, ToolCx, ToolOutput};
use crate::llm::ToolSpec;

/// The tool's name, as upstream.
pub const NAME: &str = "think_tool";

/// Upstream's description (the docstring without its `Args`/`Returns` sections, which the
/// schema carries).
const DESCRIPTION: &str = "Tool for strategic reflection on research progress and decision-making.

Use this tool after each search to analyze results and plan next steps systematically.
This creates a deliberate pause in the research workflow for quality decision-making.

When to use:
- After receiving search results: What key information did I find?
- Before deciding next steps: Do I have enough to answer comprehensively?
- When assessing research gaps: What specific information am I still missing?
- Before concluding research: Can I provide a complete answer now?

Reflection should address:
1. Analysis of current findings - What concrete information have I gathered?
2. Gap assessment - What crucial information is still missing?
3. Quality evaluation - Do I have sufficient evidence/examples for a good answer?
4. Strategic decision - Should I continue searching or provide my answer?";

/// Records a reflection (a no-op that answers with it).
#[derive(Debug, Clone, Copy, Default)]
pub struct ThinkTool;

impl ThinkTool {
    /// The tool.
    pub fn new() -> Self {
        Self
    }
}

/// Upstream's answer to a reflection.
pub fn recorded(reflection: &str) -> String {
    format!("Reflection recorded: {reflection}")
}

#[async_trait]
impl Tool for ThinkTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME.to_owned(),
            description: DESCRIPTION.to_owned(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "reflection": {
                        "type": "string",
                        "description": "Your detailed reflection on research progress, findings, gaps, and next steps"
                    }
                },
                "required": ["reflection"]
            }),
        }
    }

    async fn call(&self, args: Value, _cx: &ToolCx) -> ToolOutput {
        match args.get("reflection").and_then(Value::as_str) {
            Some(reflection) => ToolOutput::ok(recorded(reflection)),
            None => ToolOutput::error("ERROR: missing required argument 'reflection' (a string)"),
        }
    }
}
