//! The read-eval-print loop: a line is a message (run with the session, its events shown as
//! they come) or a slash command; interrupts are asked about; Ctrl-C cancels a run.

use std::io::{IsTerminal, Write};
use std::sync::Arc;

use fba_agent::AgentError;
use fba_agent::host::{AgentHost, Workspace};
use fba_agent::llm::Role;
use fba_agent::runtime::{
    AgentEvent, Checkpointer, Decision, EventSink, RunInput, RunStop, Session, SessionState,
    TaskStatus,
};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::ChatError;
use super::commands::{self, Command, Input};
use super::input::Lines;
use super::render::Renderer;
use super::startup::{Parts, model_error};
use super::store::JsonCheckpointer;

/// The prompt.
const PROMPT: &str = "> ";

/// A tool call waiting for the user's decision.
#[derive(Debug, Clone, PartialEq)]
struct PendingCall {
    id: String,
    kind: String,
    tool: String,
    arguments: Value,
}

/// The pending interrupt of `state` with its tool call (from the last assistant message).
fn pending_call(state: &SessionState) -> Option<PendingCall> {
    let pending = state.pending.as_ref()?;
    let call = state
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::Assistant)?
        .tool_calls
        .get(pending.call_index)?;
    Some(PendingCall {
        id: pending.id.clone(),
        kind: pending.kind.clone(),
        tool: call.name.clone(),
        arguments: call.arguments.clone(),
    })
}

/// What to do after a line.
enum Next {
    Continue,
    Quit,
}

/// The chat.
pub struct Chat<W: Write> {
    host: Arc<AgentHost>,
    workspace: Workspace,
    session: Session,
    store: Arc<JsonCheckpointer>,
    tx: mpsc::UnboundedSender<AgentEvent>,
    rx: mpsc::UnboundedReceiver<AgentEvent>,
    model: String,
    date: String,
    auto_approve: bool,
    echo: bool,
    out: Renderer<W>,
}

impl<W: Write> Chat<W> {
    /// A chat over the started parts.
    pub fn new(parts: Parts, auto_approve: bool, out: Renderer<W>) -> Self {
        Self {
            host: parts.host,
            workspace: parts.workspace,
            session: parts.session,
            store: parts.store,
            tx: parts.tx,
            rx: parts.rx,
            model: parts.model,
            date: parts.date,
            auto_approve,
            echo: !std::io::stdin().is_terminal(),
            out,
        }
    }

    /// Reads lines until `/exit`, `/q` or the end of the input; saves the state at the end.
    pub async fn run(mut self) -> Result<(), ChatError> {
        let mut lines = Lines::stdin()?;
        let state = self.session.snapshot().await;
        self.out.set_session_usage(state.usage.session);
        if let Some(pending) = pending_call(&state) {
            self.out
                .line("The last run stopped at a question; it is asked again.")?;
            self.answer_interrupts(&mut lines, Some(pending)).await?;
        }
        loop {
            let Some(line) = self.read_line(&mut lines, PROMPT).await? else {
                break;
            };
            match commands::parse(&line) {
                Ok(Input::Empty) => {}
                Ok(Input::Message(text)) => {
                    let stop = self.run_once(RunInput::Message(text)).await?;
                    if stop == Some(RunStop::Interrupted) {
                        self.answer_interrupts(&mut lines, None).await?;
                    }
                }
                Ok(Input::Command(command)) => {
                    if let Next::Quit = self.command(command).await? {
                        break;
                    }
                }
                Err(e) => self.out.error(&e)?,
            }
        }
        self.out.finish()?;
        self.store
            .save(&self.session.snapshot().await)
            .await
            .map_err(|e| ChatError::Failed(e.to_string()))
    }

    /// Prompts and waits for a line; background events are shown meanwhile, Ctrl-C only
    /// reminds how to quit. `None` at the end of the input.
    async fn read_line(
        &mut self,
        lines: &mut Lines,
        prompt: &str,
    ) -> Result<Option<String>, ChatError> {
        self.out.prompt(prompt)?;
        self.out.take_wrote();
        loop {
            tokio::select! {
                line = lines.next() => {
                    // The cursor is after the typed line now (or, with piped input, after the
                    // prompt, where the line is echoed).
                    if let Some(line) = &line {
                        self.out.input_done();
                        if self.echo {
                            self.out.line(line)?;
                        }
                    }
                    return Ok(line);
                }
                Some(event) = self.rx.recv() => {
                    self.out.event(&event)?;
                    if self.out.take_wrote() {
                        self.out.prompt(prompt)?;
                        self.out.take_wrote();
                    }
                }
                _ = tokio::signal::ctrl_c() => {
                    let hint = self.out.style().dim("(Ctrl-D or /exit quits)");
                    self.out.line(&hint)?;
                    self.out.prompt(prompt)?;
                    self.out.take_wrote();
                }
            }
        }
    }

    /// One run, its events shown as they come; Ctrl-C cancels it. `None` when the run could
    /// not start or failed (the error is shown).
    async fn run_once(&mut self, input: RunInput) -> Result<Option<RunStop>, ChatError> {
        let cancel = CancellationToken::new();
        let session = self.session.clone();
        let run = session.run(input, cancel.clone());
        tokio::pin!(run);
        let result = loop {
            tokio::select! {
                result = &mut run => break result,
                Some(event) = self.rx.recv() => self.out.event(&event)?,
                _ = tokio::signal::ctrl_c(), if !cancel.is_cancelled() => {
                    let note = self.out.style().yellow("^C cancelling…");
                    self.out.line(&note)?;
                    cancel.cancel();
                }
            }
        };
        while let Ok(event) = self.rx.try_recv() {
            self.out.event(&event)?;
        }
        match result {
            Ok(stop) => Ok(Some(stop)),
            Err(e) => {
                self.out.error(&e.to_string())?;
                Ok(None)
            }
        }
    }

    /// Asks about the pending interrupt (the given one, else the session's), resumes with the
    /// answer, and again while runs stop at a question. The end of the input leaves the
    /// question pending (it is asked at the next start).
    async fn answer_interrupts(
        &mut self,
        lines: &mut Lines,
        mut pending: Option<PendingCall>,
    ) -> Result<(), ChatError> {
        loop {
            let call = match pending.take() {
                Some(call) => call,
                None => match pending_call(&self.session.snapshot().await) {
                    Some(call) => call,
                    None => return Ok(()),
                },
            };
            self.out
                .interrupt(&call.kind, &call.tool, &call.arguments)?;
            let Some(decision) = self.decide(lines).await? else {
                return Ok(());
            };
            let input = RunInput::Resume {
                interrupt_id: call.id,
                decision,
            };
            if self.run_once(input).await? != Some(RunStop::Interrupted) {
                return Ok(());
            }
        }
    }

    /// `y` approves; `n` asks for feedback; an empty line rejects; other text is the feedback
    /// of a rejection. `None` at the end of the input.
    async fn decide(&mut self, lines: &mut Lines) -> Result<Option<Decision>, ChatError> {
        let style = self.out.style();
        if self.auto_approve {
            self.out.line(&style.green("✓ approved (--auto-approve)"))?;
            return Ok(Some(Decision::Approve));
        }
        let question = style.yellow("Approve? [y/N/feedback] ");
        let Some(answer) = self.read_line(lines, &question).await? else {
            return Ok(None);
        };
        let answer = answer.trim();
        let decision = match answer.to_ascii_lowercase().as_str() {
            "y" | "yes" => Decision::Approve,
            "n" | "no" => {
                let Some(feedback) = self
                    .read_line(lines, "Feedback for the agent (empty for none): ")
                    .await?
                else {
                    return Ok(None);
                };
                Decision::Reject {
                    feedback: feedback.trim().to_owned(),
                }
            }
            _ => Decision::Reject {
                feedback: answer.to_owned(),
            },
        };
        Ok(Some(decision))
    }

    /// Saves the state now (after a change outside a run).
    async fn save(&self) -> Result<(), ChatError> {
        self.store
            .save(&self.session.snapshot().await)
            .await
            .map_err(|e| ChatError::Failed(e.to_string()))
    }

    async fn command(&mut self, command: Command) -> Result<Next, ChatError> {
        match command {
            Command::Help => self.out.line(commands::HELP)?,
            Command::Exit => return Ok(Next::Quit),
            Command::Clear => self.clear().await?,
            Command::Model(None) => self.list_models()?,
            Command::Model(Some(alias)) => self.switch_model(&alias).await?,
            Command::Files { all } => {
                let sandbox = &self.workspace.sandbox;
                match commands::file_tree(sandbox.workspace_dir(), sandbox.virtual_root(), all) {
                    Ok(tree) => self.out.line(tree.trim_end())?,
                    Err(e) => self.out.error(&format!("cannot list the workspace: {e}"))?,
                }
            }
            Command::Tokens => {
                let state = self.session.snapshot().await;
                self.out.line(&commands::tokens_text(&state.usage))?;
            }
            Command::Tasks => {
                let state = self.session.snapshot().await;
                self.out.line(&commands::tasks_text(&state))?;
            }
            Command::Plan(None) => {
                let on = self.session.snapshot().await.plan_mode;
                self.out
                    .line(&format!("plan mode is {}", if on { "on" } else { "off" }))?;
            }
            Command::Plan(Some(on)) => match self.session.set_plan_mode(on) {
                Ok(()) => {
                    self.save().await?;
                    self.out
                        .line(&format!("plan mode {}", if on { "on" } else { "off" }))?;
                }
                Err(e) => self.out.error(&e.to_string())?,
            },
        }
        Ok(Next::Continue)
    }

    async fn clear(&mut self) -> Result<(), ChatError> {
        if let Err(e) = self.session.clear() {
            return Ok(self.out.error(&e.to_string())?);
        }
        let wiped = commands::wipe_outputs(self.workspace.sandbox.workspace_dir());
        self.save().await?;
        match wiped {
            Ok(()) => self
                .out
                .line("New conversation; data/, results/ and code/ are empty.")?,
            Err(e) => self.out.error(&format!(
                "new conversation, but the workspace could not be emptied: {e}"
            ))?,
        }
        Ok(())
    }

    fn list_models(&mut self) -> Result<(), ChatError> {
        let models = self.host.models();
        if models.is_empty() {
            self.out.line("no models configured")?;
        }
        for (alias, model_id, wire) in models {
            let mark = if alias == self.model { "*" } else { " " };
            self.out
                .line(&format!("{mark} {alias}  {model_id} ({wire})"))?;
        }
        Ok(())
    }

    /// A new session on `alias`'s model, continuing the same state.
    async fn switch_model(&mut self, alias: &str) -> Result<(), ChatError> {
        if alias == self.model {
            return Ok(self.out.line(&format!("already using {alias}"))?);
        }
        let llm = match self.host.model(Some(alias)) {
            Ok(llm) => llm,
            Err(e) => return Ok(self.out.error(&model_error(&e, alias))?),
        };
        let state = self.session.snapshot().await;
        if state.tasks.iter().any(|t| t.status == TaskStatus::Running) {
            return Ok(self
                .out
                .error("background tasks are running (/tasks); switch models when they end")?);
        }
        let spec = match self.host.agent_spec(&self.workspace, llm, &self.date) {
            Ok(spec) => spec,
            Err(e) => return Ok(self.out.error(&e.to_string())?),
        };
        self.session.stop_background();
        self.session = Session::new(
            spec,
            state,
            self.store.clone() as Arc<dyn Checkpointer>,
            EventSink::new(self.tx.clone()),
        );
        self.model = alias.to_owned();
        let id = self
            .host
            .models()
            .into_iter()
            .find(|(a, _, _)| a == alias)
            .map(|(_, id, wire)| format!(" ({id}, {wire})"))
            .unwrap_or_default();
        Ok(self.out.line(&format!("model: {alias}{id}"))?)
    }
}

impl From<AgentError> for ChatError {
    fn from(e: AgentError) -> Self {
        Self::Failed(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fba_agent::llm::{Message, ToolCall};
    use fba_agent::runtime::state::PendingInterrupt;
    use serde_json::json;

    #[test]
    fn the_pending_call_comes_from_the_last_assistant_message() {
        let mut state = SessionState::default();
        assert_eq!(pending_call(&state), None);
        state.messages.push(Message::user("plan it"));
        state.messages.push(Message::assistant(
            Vec::new(),
            vec![
                ToolCall {
                    id: "c1".into(),
                    name: "write_todos".into(),
                    arguments: json!({}),
                },
                ToolCall {
                    id: "c2".into(),
                    name: "submit_plan".into(),
                    arguments: json!({"description": "1. add"}),
                },
            ],
        ));
        state.pending = Some(PendingInterrupt {
            id: "i1".into(),
            kind: "plan".into(),
            call_index: 1,
        });
        assert_eq!(
            pending_call(&state),
            Some(PendingCall {
                id: "i1".into(),
                kind: "plan".into(),
                tool: "submit_plan".into(),
                arguments: json!({"description": "1. add"}),
            })
        );
    }
}
