//! How the chat shows a run: streamed text, one line per tool call and result, the todo list,
//! background tasks and a usage line; written to any [`Write`] so it can be tested.

use std::io::{self, IsTerminal, Write};

use fba_agent::llm::Usage;
use fba_agent::runtime::{AgentEvent, EventKind, RunStop, TaskStatus, Todo, TodoStatus};
use serde_json::Value;

/// Characters of a tool line (arguments or result) before it is cut.
const LINE_WIDTH: usize = 100;

/// Terminal colours, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    color: bool,
}

impl Style {
    /// Colours when stdout is a terminal and `NO_COLOR` is unset.
    pub fn detect() -> Self {
        Self {
            color: io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        }
    }

    /// No colours.
    #[cfg(test)]
    pub fn plain() -> Self {
        Self { color: false }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// Dimmed text.
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }

    /// Bold text.
    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// Red text (errors).
    pub fn red(self, text: &str) -> String {
        self.paint("31", text)
    }

    /// Green text (success).
    pub fn green(self, text: &str) -> String {
        self.paint("32", text)
    }

    /// Yellow text (questions, warnings).
    pub fn yellow(self, text: &str) -> String {
        self.paint("33", text)
    }

    /// Cyan text (tool calls).
    pub fn cyan(self, text: &str) -> String {
        self.paint("36", text)
    }
}

/// What the stream is in the middle of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    /// At the start of a line.
    LineStart,
    /// Inside streamed answer text.
    Text,
    /// Inside streamed reasoning.
    Thinking,
    /// After a prompt, waiting for input.
    Prompt,
}

/// Writes the chat's output.
#[derive(Debug)]
pub struct Renderer<W: Write> {
    out: W,
    style: Style,
    flow: Flow,
    session: Usage,
    wrote: bool,
}

impl<W: Write> Renderer<W> {
    /// A renderer writing to `out`.
    pub fn new(out: W, style: Style) -> Self {
        Self {
            out,
            style,
            flow: Flow::LineStart,
            session: Usage::default(),
            wrote: false,
        }
    }

    /// The colours in use.
    pub fn style(&self) -> Style {
        self.style
    }

    /// The writer (tests read what was written).
    #[cfg(test)]
    pub fn into_inner(self) -> W {
        self.out
    }

    /// Whether anything was written since the last call (the chat then repeats its prompt).
    pub fn take_wrote(&mut self) -> bool {
        std::mem::take(&mut self.wrote)
    }

    /// The user ended a line of input (the cursor is at the start of a line again).
    pub fn input_done(&mut self) {
        self.flow = Flow::LineStart;
    }

    /// Ends a streamed line (or a prompt), if one is open.
    fn break_line(&mut self) -> io::Result<()> {
        self.wrote = true;
        if self.flow != Flow::LineStart {
            writeln!(self.out)?;
            self.flow = Flow::LineStart;
        }
        Ok(())
    }

    /// Ends the output: closes an open line (a prompt left by Ctrl-D).
    pub fn finish(&mut self) -> io::Result<()> {
        self.break_line()?;
        self.out.flush()
    }

    /// One line of output (after any streamed text).
    pub fn line(&mut self, text: &str) -> io::Result<()> {
        self.break_line()?;
        writeln!(self.out, "{text}")?;
        self.out.flush()
    }

    /// Text without a newline (prompts), flushed.
    pub fn prompt(&mut self, text: &str) -> io::Result<()> {
        self.break_line()?;
        write!(self.out, "{text}")?;
        self.flow = Flow::Prompt;
        self.out.flush()
    }

    /// An error line.
    pub fn error(&mut self, text: &str) -> io::Result<()> {
        let line = self.style.red(&format!("✗ {text}"));
        self.line(&line)
    }

    /// One event of a run. Background subagents' own steps are not shown (their start and end
    /// are).
    pub fn event(&mut self, event: &AgentEvent) -> io::Result<()> {
        if event.task.is_some()
            && !matches!(
                event.kind,
                EventKind::TaskStarted { .. }
                    | EventKind::TaskFinished { .. }
                    | EventKind::Usage { .. }
            )
        {
            return Ok(());
        }
        match &event.kind {
            EventKind::RunStarted { .. } | EventKind::Interrupt { .. } => {}
            EventKind::TextDelta { text } => {
                if matches!(self.flow, Flow::Thinking | Flow::Prompt) {
                    self.break_line()?;
                }
                self.wrote = true;
                write!(self.out, "{text}")?;
                self.flow = Flow::Text;
                self.out.flush()?;
            }
            EventKind::ThinkingDelta { text } => {
                if matches!(self.flow, Flow::Text | Flow::Prompt) {
                    self.break_line()?;
                }
                self.wrote = true;
                write!(self.out, "{}", self.style.dim(text))?;
                self.flow = Flow::Thinking;
                self.out.flush()?;
            }
            EventKind::ToolCall {
                name, arguments, ..
            } => {
                let line = format!("⏺ {}", tool_call_line(name, arguments));
                let line = self.style.cyan(&line);
                self.line(&line)?;
            }
            EventKind::ToolResult {
                is_error,
                preview,
                ms,
                ..
            } => {
                let summary = result_line(preview);
                let text = format!("  ⎿ {summary} ({ms} ms)");
                let line = if *is_error {
                    self.style.red(&text)
                } else {
                    self.style.dim(&text)
                };
                self.line(&line)?;
            }
            EventKind::Todos { todos } => self.todos(todos)?,
            EventKind::Plan { .. } => {
                let line = self.style.green("✓ plan approved");
                self.line(&line)?;
            }
            EventKind::TaskStarted {
                number,
                subagent_type,
                description,
            } => {
                let text = format!(
                    "⇢ Task-{number} ({subagent_type}) started: {}",
                    one_line(description, LINE_WIDTH)
                );
                let line = self.style.dim(&text);
                self.line(&line)?;
            }
            EventKind::TaskFinished { number, status } => {
                let (word, ok) = match status {
                    TaskStatus::Done => ("done", true),
                    TaskStatus::Error => ("failed", false),
                    TaskStatus::Running => ("running", true),
                };
                let text = format!("⇠ Task-{number} {word}");
                let line = if ok {
                    self.style.dim(&text)
                } else {
                    self.style.red(&text)
                };
                self.line(&line)?;
            }
            EventKind::Usage { session, .. } => self.session = *session,
            EventKind::Error { message } => self.error(message)?,
            EventKind::RunFinished { stop_reason, usage } => {
                match stop_reason {
                    RunStop::Cancelled => {
                        let line = self.style.yellow("⏹ cancelled");
                        self.line(&line)?;
                    }
                    RunStop::MaxSteps => {
                        let line = self.style.yellow("⏹ the step budget is used up");
                        self.line(&line)?;
                    }
                    RunStop::EndTurn | RunStop::Interrupted | RunStop::Error => {}
                }
                let text = format!(
                    "tokens: run {} · session {}",
                    usage_text(usage),
                    usage_text(&self.session)
                );
                let line = self.style.dim(&text);
                self.line(&line)?;
            }
        }
        Ok(())
    }

    /// The todo list as a checklist.
    pub fn todos(&mut self, todos: &[Todo]) -> io::Result<()> {
        self.break_line()?;
        writeln!(self.out, "{}", self.style.bold("Todos"))?;
        for todo in todos {
            let (mark, text) = match todo.status {
                TodoStatus::Completed => ("☒", self.style.dim(&todo.content)),
                TodoStatus::InProgress => ("◐", self.style.bold(&todo.content)),
                TodoStatus::Pending => ("☐", todo.content.clone()),
            };
            writeln!(self.out, "  {mark} {text}")?;
        }
        self.out.flush()
    }

    /// A tool call waiting for approval: the plan, or the call.
    pub fn interrupt(&mut self, kind: &str, tool: &str, arguments: &Value) -> io::Result<()> {
        if kind == "plan" {
            let plan = arguments
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let title = self.style.bold("Plan for approval:");
            self.line(&title)?;
            for line in plan.lines() {
                writeln!(self.out, "  {line}")?;
            }
            self.out.flush()
        } else {
            let text = format!("⏸ {} wants approval", tool_call_line(tool, arguments));
            let line = self.style.yellow(&text);
            self.line(&line)
        }
    }

    /// The session tokens last reported (the usage line's second half).
    pub fn set_session_usage(&mut self, usage: Usage) {
        self.session = usage;
    }
}

/// `name(key=value, …)` on one line, cut to the line width.
pub fn tool_call_line(name: &str, arguments: &Value) -> String {
    let args = match arguments {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={}", value_text(v)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => String::new(),
        other => value_text(other),
    };
    one_line(&format!("{name}({args})"), LINE_WIDTH)
}

/// A JSON value as a short text: strings bare, the rest as JSON.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A tool answer's first non-empty line, with `…` when more follows.
pub fn result_line(preview: &str) -> String {
    let mut lines = preview.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("(no output)");
    let more = lines.next().is_some();
    let mut line = one_line(first, LINE_WIDTH);
    if more && !line.ends_with('…') {
        line.push_str(" …");
    }
    line
}

/// `text` on one line (newlines shown as `⏎`), cut to `width` characters with `…`.
pub fn one_line(text: &str, width: usize) -> String {
    let flat: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '\n' => '⏎',
            '\r' | '\t' => ' ',
            c => c,
        })
        .collect();
    if flat.chars().count() <= width {
        return flat;
    }
    let mut cut: String = flat.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// `12 in, 5 out, cache 3 read / 0 written`.
pub fn usage_text(usage: &Usage) -> String {
    format!(
        "{} in, {} out, cache {} read / {} written",
        usage.input_tokens, usage.output_tokens, usage.cache_read_tokens, usage.cache_write_tokens
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(events: &[EventKind]) -> String {
        let mut r = Renderer::new(Vec::new(), Style::plain());
        for kind in events {
            r.event(&AgentEvent {
                task: None,
                kind: kind.clone(),
            })
            .unwrap();
        }
        String::from_utf8(r.into_inner()).unwrap()
    }

    #[test]
    fn text_tool_lines_and_usage() {
        let usage = Usage {
            input_tokens: 10,
            output_tokens: 5,
            ..Usage::default()
        };
        let out = render(&[
            EventKind::RunStarted {
                run_id: "run-1".into(),
            },
            EventKind::TextDelta {
                text: "Let me ".into(),
            },
            EventKind::TextDelta {
                text: "look.".into(),
            },
            EventKind::ToolCall {
                id: "c1".into(),
                name: "execute_code".into(),
                arguments: json!({"code": "print(1)\nprint(2)"}),
            },
            EventKind::ToolResult {
                id: "c1".into(),
                name: "execute_code".into(),
                is_error: false,
                preview: "SUCCESS\n1\n2".into(),
                ms: 123,
            },
            EventKind::Usage {
                call: usage,
                run: usage,
                session: usage,
            },
            EventKind::TextDelta {
                text: "Done.".into(),
            },
            EventKind::RunFinished {
                stop_reason: RunStop::EndTurn,
                usage,
            },
        ]);
        assert_eq!(
            out,
            "Let me look.\n⏺ execute_code(code=print(1)⏎print(2))\n  ⎿ SUCCESS … (123 ms)\nDone.\ntokens: run 10 in, 5 out, cache 0 read / 0 written · session 10 in, 5 out, cache 0 read / 0 written\n"
        );
    }

    #[test]
    fn todos_tasks_and_cancel() {
        let out = render(&[
            EventKind::Todos {
                todos: vec![
                    Todo {
                        content: "read".into(),
                        status: TodoStatus::Completed,
                    },
                    Todo {
                        content: "write".into(),
                        status: TodoStatus::Pending,
                    },
                ],
            },
            EventKind::TaskStarted {
                number: 1,
                subagent_type: "general-purpose".into(),
                description: "sum\nthings".into(),
            },
            EventKind::TaskFinished {
                number: 1,
                status: TaskStatus::Error,
            },
            EventKind::RunFinished {
                stop_reason: RunStop::Cancelled,
                usage: Usage::default(),
            },
        ]);
        assert!(out.starts_with("Todos\n  ☒ read\n  ☐ write\n"), "{out}");
        assert!(out.contains("⇢ Task-1 (general-purpose) started: sum⏎things\n"));
        assert!(out.contains("⇠ Task-1 failed\n"));
        assert!(out.contains("⏹ cancelled\n"));
    }

    #[test]
    fn subagent_chatter_is_hidden() {
        let mut r = Renderer::new(Vec::new(), Style::plain());
        r.event(&AgentEvent {
            task: Some(2),
            kind: EventKind::TextDelta {
                text: "inner".into(),
            },
        })
        .unwrap();
        assert!(r.into_inner().is_empty());
    }

    #[test]
    fn long_values_are_cut_to_one_line() {
        let line = tool_call_line("write_file", &json!({"content": "x".repeat(500)}));
        assert_eq!(line.chars().count(), LINE_WIDTH);
        assert!(line.ends_with('…'));
        assert_eq!(result_line(""), "(no output)");
        assert_eq!(Style { color: true }.red("a"), "\x1b[31ma\x1b[0m");
    }

    #[test]
    fn plan_interrupt_shows_the_plan() {
        let mut r = Renderer::new(Vec::new(), Style::plain());
        r.interrupt("plan", "submit_plan", &json!({"description": "1. a\n2. b"}))
            .unwrap();
        r.interrupt("tool", "bash", &json!({"command": "ls"}))
            .unwrap();
        let out = String::from_utf8(r.into_inner()).unwrap();
        assert_eq!(
            out,
            "Plan for approval:\n  1. a\n  2. b\n⏸ bash(command=ls) wants approval\n"
        );
    }
}
