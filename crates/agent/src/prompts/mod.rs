//! The prompts: the main agent's system prompt and the subagents', rendered with minijinja
//! (Jinja2 syntax, as upstream). The date is fixed when a session starts, so the prompt prefix
//! stays cacheable.

use minijinja::{Environment, context};

use crate::AgentError;

/// What the prompts are rendered with.
#[derive(Debug, Clone)]
pub struct PromptContext {
    /// Today, fixed for the session (`2026-12-06`).
    pub date: String,
    /// The virtual workspace root (`/home/daytona`).
    pub workspace_root: String,
    /// The MCP servers' summary (see `crate::mcp`).
    pub tool_summary: String,
    /// The subagents: `(name, description, tool names)`.
    pub subagents: Vec<(String, String, Vec<String>)>,
    /// Subagents started at once at most.
    pub max_concurrent_task_units: u32,
    /// Rounds of delegation at most.
    pub max_task_iterations: u32,
}

/// `- **name**: description` and its tools, per subagent, as upstream lists them.
pub fn format_subagent_summary(subagents: &[(String, String, Vec<String>)]) -> String {
    if subagents.is_empty() {
        return "No sub-agents configured.".into();
    }
    subagents
        .iter()
        .map(|(name, description, tools)| {
            format!("- **{name}**: {description}\n  Tools: {}", tools.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn environment() -> Result<Environment<'static>, AgentError> {
    let mut env = Environment::new();
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .map_err(|e| AgentError::Config(format!("prompt syntax: {e}")))?;
    env.set_syntax(syntax);
    for (name, source) in [
        ("system.md.j2", include_str!("templates/system.md.j2")),
        ("general.md.j2", include_str!("templates/general.md.j2")),
        (
            "researcher.md.j2",
            include_str!("templates/researcher.md.j2"),
        ),
    ] {
        env.add_template(name, source)
            .map_err(|e| AgentError::Config(format!("prompt template {name}: {e}")))?;
    }
    Ok(env)
}

fn render(name: &str, cx: minijinja::Value) -> Result<String, AgentError> {
    let env = environment()?;
    let template = env
        .get_template(name)
        .map_err(|e| AgentError::Config(format!("prompt template {name}: {e}")))?;
    template
        .render(cx)
        .map_err(|e| AgentError::Config(format!("prompt template {name}: {e}")))
}

/// The main agent's system prompt.
pub fn system_prompt(p: &PromptContext) -> Result<String, AgentError> {
    render(
        "system.md.j2",
        context! {
            date => &p.date,
            workspace_root => &p.workspace_root,
            tool_summary => &p.tool_summary,
            subagent_summary => format_subagent_summary(&p.subagents),
            has_subagents => !p.subagents.is_empty(),
            max_concurrent_task_units => p.max_concurrent_task_units,
            max_task_iterations => p.max_task_iterations,
        },
    )
}

/// The general-purpose subagent's system prompt.
pub fn general_prompt(p: &PromptContext, max_iterations: u32) -> Result<String, AgentError> {
    render(
        "general.md.j2",
        context! {
            date => &p.date,
            workspace_root => &p.workspace_root,
            tool_summary => &p.tool_summary,
            max_iterations => max_iterations,
        },
    )
}

/// The research subagent's system prompt: a loop of searches with `tavily_search`, each
/// followed by a reflection with `think_tool`, at most `max_searches` searches for a complex
/// question, and numbered citations.
pub fn research_prompt(p: &PromptContext, max_searches: u32) -> Result<String, AgentError> {
    render(
        "researcher.md.j2",
        context! {
            date => &p.date,
            search_tool => crate::tools::web_search::NAME,
            think_tool => crate::tools::think::NAME,
            max_searches => max_searches,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx(subagents: Vec<(String, String, Vec<String>)>) -> PromptContext {
        PromptContext {
            date: "2026-12-06".into(),
            workspace_root: "/home/daytona".into(),
            tool_summary: "SUMMARY-MARKER".into(),
            subagents,
            max_concurrent_task_units: 3,
            max_task_iterations: 3,
        }
    }

    #[test]
    fn the_system_prompt_carries_the_summaries() {
        let text = system_prompt(&cx(vec![(
            "general-purpose".into(),
            "Does a self-contained task".into(),
            vec!["execute_code".into(), "read_file".into()],
        )]))
        .unwrap();
        assert!(text.starts_with("You are a capable research and engineering agent"));
        assert!(text.contains("Today is 2026-12-06."));
        assert!(text.contains("SUMMARY-MARKER"));
        assert!(text.contains(
            "- **general-purpose**: Does a self-contained task\n  Tools: execute_code, read_file"
        ));
        assert!(text.contains("Start at most 3 subagents at a time"));
        let none = system_prompt(&cx(Vec::new())).unwrap();
        assert!(none.contains("No sub-agents configured."));
        assert!(!none.contains("Start at most"));
        let general = general_prompt(&cx(Vec::new()), 10).unwrap();
        assert!(general.contains("in at most 10 rounds"));
        assert!(general.contains("SUMMARY-MARKER"));
    }
}
