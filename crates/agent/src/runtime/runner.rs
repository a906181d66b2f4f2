//! The session and its run loop.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures_util::StreamExt;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::background::{self, Shared};
use super::builtin::{self, SubmitPlanArgs, TaskArgs, TaskOutputArgs, WaitArgs, WriteTodosArgs};
use super::events::{EventKind, EventSink, RunStop};
use super::patch::patch_dangling;
use super::state::{PendingInterrupt, SessionState, TaskStatus, Todo};
use super::summarize;
use crate::AgentError;
use crate::llm::{
    self, ChatRequest, LlmBackend, LlmError, LlmEvent, Message, Role, ToolCall, ToolSpec, Usage,
};
use crate::tools::{Tool, ToolCx, ToolOutput};

/// How runs behave.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Model calls one run may make.
    pub max_steps: u32,
    /// Tool calls of one turn running at once.
    pub max_parallel_tools: usize,
    /// Ask for prompt caching (Anthropic).
    pub prompt_cache: bool,
    /// Tokens one model call may generate (the backend's default when `None`).
    pub max_tokens: Option<u32>,
    /// Summarise once a call's input reaches this many tokens.
    pub summarize_at_tokens: u64,
    /// Messages kept verbatim by a summary.
    pub summarize_keep_messages: usize,
    /// Wait for running background tasks before a run ends.
    pub background_auto_wait: bool,
    /// How long such a wait lasts at most.
    pub background_timeout: Duration,
    /// Rounds of "a background task finished" notices one run makes at most (upstream: 3).
    pub max_notice_rounds: u32,
    /// Characters of a tool answer shown in the `tool_result` event.
    pub preview_chars: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            max_steps: 200,
            max_parallel_tools: 4,
            prompt_cache: true,
            max_tokens: None,
            summarize_at_tokens: 170_000,
            summarize_keep_messages: 6,
            background_auto_wait: false,
            background_timeout: Duration::from_secs(300),
            max_notice_rounds: 3,
            preview_chars: 2000,
        }
    }
}

/// A subagent the main agent can start with `task`.
#[derive(Clone)]
pub struct SubagentSpec {
    /// Its `subagent_type`.
    pub name: String,
    /// What it is for (shown in `task`'s description).
    pub description: String,
    /// Its system prompt.
    pub system_prompt: String,
    /// Its tools (it gets `write_todos` too, never `task`).
    pub tools: Vec<Arc<dyn Tool>>,
    /// Its step budget.
    pub max_steps: u32,
    /// Its own model (the main agent's when `None`).
    pub llm: Option<Arc<dyn LlmBackend>>,
}

/// Everything an agent is made of.
#[derive(Clone)]
pub struct AgentSpec {
    /// The model.
    pub llm: Arc<dyn LlmBackend>,
    /// The system prompt.
    pub system_prompt: String,
    /// The tools besides the loop's own (`write_todos`, `submit_plan`, and `task`, `wait`,
    /// `task_output` when there are subagents).
    pub tools: Vec<Arc<dyn Tool>>,
    /// Tools whose calls wait for the user's approval (`submit_plan` always does).
    pub approval: BTreeSet<String>,
    /// The subagents.
    pub subagents: Vec<SubagentSpec>,
    /// Run behaviour.
    pub options: RunOptions,
}

/// Saves a session's state; called after every step.
#[async_trait]
pub trait Checkpointer: Send + Sync {
    /// Saves the state (the store may write only what changed).
    async fn save(&self, state: &SessionState) -> Result<(), AgentError>;
}

/// A checkpointer that keeps nothing (tests, one-off runs).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCheckpoint;

#[async_trait]
impl Checkpointer for NoCheckpoint {
    async fn save(&self, _state: &SessionState) -> Result<(), AgentError> {
        Ok(())
    }
}

/// What starts a run.
#[derive(Debug, Clone, PartialEq)]
pub enum RunInput {
    /// A user message.
    Message(String),
    /// The user's decision on the pending interrupt.
    Resume {
        /// The interrupt's id.
        interrupt_id: String,
        /// The decision.
        decision: Decision,
    },
}

/// A decision on an interrupt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Approve,
    /// Do not; the feedback goes to the model.
    Reject {
        /// Why, for the model.
        feedback: String,
    },
}

/// The part of the state one run works on (the rest is shared with background tasks).
#[derive(Debug, Default)]
struct Conversation {
    messages: Vec<Message>,
    todos: Vec<Todo>,
    plan: Option<String>,
    plan_mode: bool,
    pending: Option<PendingInterrupt>,
    runs: u64,
}

struct Inner {
    spec: AgentSpec,
    conv: tokio::sync::Mutex<Conversation>,
    shared: Arc<Shared>,
    store: Arc<dyn Checkpointer>,
    sink: EventSink,
    background: CancellationToken,
    handles: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The state as of the last step of the run in progress (what readers get meanwhile).
    latest: Mutex<Option<SessionState>>,
}

impl Inner {
    /// Saves `state` and keeps it for readers while a run holds the conversation.
    async fn save(&self, state: SessionState) -> Result<(), AgentError> {
        let result = self.store.save(&state).await;
        *self
            .latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(state);
        result
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.background.cancel();
    }
}

/// A conversation with an agent: one run at a time, background subagents beside it.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session").finish_non_exhaustive()
    }
}

impl Session {
    /// A session continuing from `state` (a new one from `SessionState::default()`). Tasks
    /// that were running when the state was saved are marked failed: their process is gone.
    /// Every event (runs and background subagents) goes to `sink`.
    pub fn new(
        spec: AgentSpec,
        mut state: SessionState,
        store: Arc<dyn Checkpointer>,
        sink: EventSink,
    ) -> Self {
        state.recover_after_restart();
        let conv = Conversation {
            messages: state.messages,
            todos: state.todos,
            plan: state.plan,
            plan_mode: state.plan_mode,
            pending: state.pending,
            runs: state.runs,
        };
        Self {
            inner: Arc::new(Inner {
                spec,
                conv: tokio::sync::Mutex::new(conv),
                shared: Arc::new(Shared::new(state.tasks, state.usage)),
                store,
                sink,
                background: CancellationToken::new(),
                handles: Mutex::new(Vec::new()),
                latest: Mutex::new(None),
            }),
        }
    }

    /// The whole state; while a run is in progress, as of its last step (never waits for it).
    pub async fn snapshot(&self) -> SessionState {
        if let Ok(conv) = self.inner.conv.try_lock() {
            return snapshot(&conv, &self.inner.shared);
        }
        let latest = self
            .inner
            .latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match latest {
            Some(mut state) => {
                // Tasks and tokens move on without the run: take them fresh.
                let shared = self.inner.shared.lock();
                state.tasks = shared.tasks.clone();
                state.usage = shared.usage.clone();
                state
            }
            None => {
                let conv = self.inner.conv.lock().await;
                snapshot(&conv, &self.inner.shared)
            }
        }
    }

    /// Whether a run is in progress.
    pub fn is_running(&self) -> bool {
        self.inner.conv.try_lock().is_err()
    }

    /// Turns plan mode on or off (refused while a run is in progress).
    pub fn set_plan_mode(&self, on: bool) -> Result<(), AgentError> {
        let mut conv = self.inner.conv.try_lock().map_err(|_| AgentError::Busy)?;
        conv.plan_mode = on;
        Ok(())
    }

    /// Starts a new conversation (messages, todos, plan); background tasks and tokens stay.
    pub fn clear(&self) -> Result<(), AgentError> {
        let mut conv = self.inner.conv.try_lock().map_err(|_| AgentError::Busy)?;
        let runs = conv.runs;
        let plan_mode = conv.plan_mode;
        *conv = Conversation {
            runs,
            plan_mode,
            ..Conversation::default()
        };
        Ok(())
    }

    /// Stops every background subagent (deleting a session).
    pub fn stop_background(&self) {
        self.inner.background.cancel();
        let handles = std::mem::take(
            &mut *self
                .inner
                .handles
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        for handle in handles {
            handle.abort();
        }
    }

    /// Runs the agent on a user message, or resumes the pending interrupt; returns why the run
    /// stopped. The run's events go to the session's sink. `Busy` when another run is going.
    pub async fn run(
        &self,
        input: RunInput,
        cancel: CancellationToken,
    ) -> Result<RunStop, AgentError> {
        let inner = &self.inner;
        let mut conv = inner.conv.try_lock().map_err(|_| AgentError::Busy)?;
        conv.runs += 1;
        let run_id = format!("run-{}", conv.runs);
        let resume_at = match input {
            RunInput::Message(text) => {
                if let Some(pending) = conv.pending.take() {
                    // A new message instead of a decision: the waiting call is answered as
                    // cancelled (by the patch before the next model call).
                    tracing::debug!(interrupt = %pending.id, "interrupt superseded by a new message");
                }
                if conv.plan_mode {
                    conv.messages
                        .push(Message::user(builtin::PLAN_MODE_REMINDER));
                }
                conv.messages.push(Message::user(text));
                None
            }
            RunInput::Resume {
                interrupt_id,
                decision,
            } => {
                let pending = match conv.pending.take() {
                    Some(p) if p.id == interrupt_id => p,
                    Some(p) => {
                        conv.pending = Some(p);
                        conv.runs -= 1;
                        return Err(AgentError::Interrupt(format!(
                            "interrupt {interrupt_id} is not the pending one"
                        )));
                    }
                    None => {
                        conv.runs -= 1;
                        return Err(AgentError::Interrupt(
                            "this session has no pending interrupt".into(),
                        ));
                    }
                };
                Some((pending, decision))
            }
        };
        *inner
            .latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(snapshot(&conv, &inner.shared));
        inner.sink.send(EventKind::RunStarted { run_id });
        let mut driver = Driver {
            llm: inner.spec.llm.as_ref(),
            system: &inner.spec.system_prompt,
            tools: &inner.spec.tools,
            approval: Some(&inner.spec.approval),
            subagents: &inner.spec.subagents,
            options: &inner.spec.options,
            max_steps: inner.spec.options.max_steps,
            shared: &inner.shared,
            sink: inner.sink.clone(),
            task: None,
            cancel: &cancel,
            session: Some(&self.inner),
            run_usage: Usage::default(),
        };
        let outcome = driver.run_main(&mut conv, resume_at).await;
        let stop = match outcome {
            Ok(stop) => stop,
            Err(e) => {
                inner.sink.send(EventKind::Error {
                    message: e.to_string(),
                });
                RunStop::Error
            }
        };
        let saved = inner.save(snapshot(&conv, &inner.shared)).await;
        inner.sink.send(EventKind::RunFinished {
            stop_reason: stop,
            usage: driver.run_usage,
        });
        saved?;
        Ok(stop)
    }
}

fn snapshot(conv: &Conversation, shared: &Shared) -> SessionState {
    let data = shared.lock();
    SessionState {
        messages: conv.messages.clone(),
        todos: conv.todos.clone(),
        plan: conv.plan.clone(),
        plan_mode: conv.plan_mode,
        usage: data.usage.clone(),
        tasks: data.tasks.clone(),
        pending: conv.pending.clone(),
        runs: conv.runs,
    }
}

/// One agent's loop (the main agent's or a subagent's).
struct Driver<'a> {
    llm: &'a dyn LlmBackend,
    system: &'a str,
    tools: &'a [Arc<dyn Tool>],
    /// Tools needing approval; `None` for subagents (nobody to ask).
    approval: Option<&'a BTreeSet<String>>,
    subagents: &'a [SubagentSpec],
    options: &'a RunOptions,
    max_steps: u32,
    shared: &'a Arc<Shared>,
    sink: EventSink,
    task: Option<u32>,
    cancel: &'a CancellationToken,
    /// The session, for the main agent: `task` starts subagents through it, steps are saved.
    session: Option<&'a Arc<Inner>>,
    run_usage: Usage,
}

impl Driver<'_> {
    /// The main agent: the loop, then the background-task notices (at most N rounds).
    async fn run_main(
        &mut self,
        conv: &mut Conversation,
        resume: Option<(PendingInterrupt, Decision)>,
    ) -> Result<RunStop, AgentError> {
        let mut stop = match resume {
            Some((pending, decision)) => match self.resume(conv, pending, decision).await? {
                Some(stop) => stop,
                None => self.drive(conv).await?,
            },
            None => self.drive(conv).await?,
        };
        let mut rounds = 0;
        while stop == RunStop::EndTurn && rounds < self.options.max_notice_rounds {
            if self.options.background_auto_wait && self.shared.any_running() {
                self.shared
                    .wait_until(self.options.background_timeout, |s| {
                        s.tasks.iter().all(|t| t.status != TaskStatus::Running)
                    })
                    .await;
            }
            let finished = self.shared.take_unseen_finished();
            let Some(notice) = background::notification(&finished) else {
                break;
            };
            rounds += 1;
            conv.messages.push(Message::user(notice));
            stop = self.drive(conv).await?;
        }
        Ok(stop)
    }

    /// The decision on a pending interrupt, then the turn's remaining calls.
    async fn resume(
        &mut self,
        conv: &mut Conversation,
        pending: PendingInterrupt,
        decision: Decision,
    ) -> Result<Option<RunStop>, AgentError> {
        let Some(call) =
            last_calls(&conv.messages).and_then(|calls| calls.get(pending.call_index).cloned())
        else {
            return Err(AgentError::Interrupt(
                "the interrupted tool call is gone".into(),
            ));
        };
        self.sink.send(EventKind::ToolCall {
            id: call.id.clone(),
            name: call.name.clone(),
            arguments: call.arguments.clone(),
        });
        let started = Instant::now();
        let output = match (call.name.as_str(), decision) {
            (builtin::SUBMIT_PLAN, Decision::Approve) => {
                let plan = serde_json::from_value::<SubmitPlanArgs>(call.arguments.clone())
                    .map(|a| a.description)
                    .unwrap_or_default();
                conv.plan = Some(plan.clone());
                conv.plan_mode = false;
                self.sink.send(EventKind::Plan { description: plan });
                ToolOutput::ok(builtin::PLAN_APPROVED)
            }
            (builtin::SUBMIT_PLAN, Decision::Reject { feedback }) => {
                ToolOutput::ok(builtin::plan_rejected(&feedback))
            }
            (_, Decision::Approve) => self.call_tool(&call).await,
            (name, Decision::Reject { feedback }) => {
                ToolOutput::error(builtin::tool_rejected(name, &feedback))
            }
        };
        self.answer(conv, &call, output, started);
        self.checkpoint(conv).await?;
        self.execute_calls(conv, pending.call_index + 1).await
    }

    /// Model calls and tool calls until an answer, an interrupt, a cancel or the budget.
    async fn drive(&mut self, conv: &mut Conversation) -> Result<RunStop, AgentError> {
        let specs = self.tool_specs();
        for _ in 0..self.max_steps {
            if self.cancel.is_cancelled() {
                return Ok(RunStop::Cancelled);
            }
            patch_dangling(&mut conv.messages);
            let request = ChatRequest {
                system: self.system.to_owned(),
                messages: conv.messages.clone(),
                tools: specs.clone(),
                max_tokens: self.options.max_tokens,
                prompt_cache: self.options.prompt_cache,
            };
            let completion = match self.call_model(&request).await {
                Ok(c) => c,
                Err(LlmError::Cancelled) => return Ok(RunStop::Cancelled),
                Err(e) => {
                    self.sink.send(EventKind::Error {
                        message: format!("model call failed: {e}"),
                    });
                    return Ok(RunStop::Error);
                }
            };
            self.count_usage(completion.usage);
            let calls = !completion.message.tool_calls.is_empty();
            conv.messages.push(completion.message);
            self.checkpoint(conv).await?;
            if !calls {
                return Ok(RunStop::EndTurn);
            }
            if let Some(stop) = self.execute_calls(conv, 0).await? {
                return Ok(stop);
            }
            self.checkpoint(conv).await?;
            if completion.usage.total_input() >= self.options.summarize_at_tokens {
                self.summarize(conv).await;
            }
        }
        Ok(RunStop::MaxSteps)
    }

    fn tool_specs(&self) -> Vec<ToolSpec> {
        let mut specs: Vec<ToolSpec> = self.tools.iter().map(|t| t.spec()).collect();
        specs.push(builtin::write_todos_spec());
        if self.approval.is_some() {
            specs.push(builtin::submit_plan_spec());
            if !self.subagents.is_empty() {
                let list: Vec<(String, String)> = self
                    .subagents
                    .iter()
                    .map(|s| (s.name.clone(), s.description.clone()))
                    .collect();
                specs.push(builtin::task_spec(&list));
                specs.push(builtin::wait_spec());
                specs.push(builtin::task_output_spec());
            }
        }
        specs
    }

    async fn call_model(&self, request: &ChatRequest) -> Result<llm::Completion, LlmError> {
        let stream = self.llm.stream(request, self.cancel.clone()).await?;
        let sink = &self.sink;
        llm::collect(stream, |event| match event {
            LlmEvent::TextDelta(text) => sink.send(EventKind::TextDelta { text: text.clone() }),
            LlmEvent::ThinkingDelta { text, .. } if !text.is_empty() => {
                sink.send(EventKind::ThinkingDelta { text: text.clone() })
            }
            _ => {}
        })
        .await
    }

    fn count_usage(&mut self, usage: Usage) {
        self.run_usage += usage;
        self.shared.add_usage(self.task, usage);
        let session = self.shared.lock().usage.session;
        self.sink.send(EventKind::Usage {
            call: usage,
            run: self.run_usage,
            session,
        });
    }

    async fn summarize(&mut self, conv: &mut Conversation) {
        let Some(cut) = summarize::cut_point(&conv.messages, self.options.summarize_keep_messages)
        else {
            return;
        };
        match summarize::summarize(self.llm, &mut conv.messages, cut, self.cancel.clone()).await {
            Ok(usage) => self.count_usage(usage),
            Err(e) => {
                tracing::warn!(error = %e, "conversation summary failed; continuing unsummarised")
            }
        }
    }

    async fn checkpoint(&self, conv: &Conversation) -> Result<(), AgentError> {
        match self.session {
            Some(session) => session.save(snapshot(conv, self.shared)).await,
            None => Ok(()),
        }
    }

    fn needs_approval(&self, name: &str) -> bool {
        self.approval
            .is_some_and(|set| name == builtin::SUBMIT_PLAN || set.contains(name))
    }

    /// Runs the last assistant message's calls from `from`: in parallel up to the next call
    /// that needs approval, where the run stops with an interrupt.
    async fn execute_calls(
        &mut self,
        conv: &mut Conversation,
        from: usize,
    ) -> Result<Option<RunStop>, AgentError> {
        let calls = last_calls(&conv.messages)
            .map(<[ToolCall]>::to_vec)
            .unwrap_or_default();
        let gate = calls
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, c)| self.needs_approval(&c.name))
            .map(|(i, _)| i);
        let batch = &calls[from.min(calls.len())..gate.unwrap_or(calls.len())];
        self.run_batch(conv, batch).await;
        let Some(index) = gate else { return Ok(None) };
        if self.cancel.is_cancelled() {
            return Ok(Some(RunStop::Cancelled));
        }
        let call = &calls[index];
        let kind = if call.name == builtin::SUBMIT_PLAN {
            "plan"
        } else {
            "tool"
        };
        let pending = PendingInterrupt {
            id: uuid::Uuid::new_v4().to_string(),
            kind: kind.into(),
            call_index: index,
        };
        self.sink.send(EventKind::ToolCall {
            id: call.id.clone(),
            name: call.name.clone(),
            arguments: call.arguments.clone(),
        });
        self.sink.send(EventKind::Interrupt {
            id: pending.id.clone(),
            kind: kind.into(),
            tool: call.name.clone(),
            arguments: call.arguments.clone(),
        });
        conv.pending = Some(pending);
        self.checkpoint(conv).await?;
        Ok(Some(RunStop::Interrupted))
    }

    /// Runs calls in parallel (bounded) and appends their answers in call order.
    async fn run_batch(&mut self, conv: &mut Conversation, batch: &[ToolCall]) {
        if batch.is_empty() {
            return;
        }
        for call in batch {
            self.sink.send(EventKind::ToolCall {
                id: call.id.clone(),
                name: call.name.clone(),
                arguments: call.arguments.clone(),
            });
        }
        // write_todos changes the conversation: answered here, in order, before the others run.
        let mut outputs: Vec<Option<(ToolOutput, Instant)>> = batch
            .iter()
            .map(|call| {
                (call.name == builtin::WRITE_TODOS)
                    .then(|| (self.write_todos(conv, call), Instant::now()))
            })
            .collect();
        let this = &*self;
        let pending: Vec<_> = batch
            .iter()
            .enumerate()
            .filter(|(i, _)| outputs[*i].is_none())
            .map(|(i, call)| async move {
                let started = Instant::now();
                (i, this.call_tool(call).await, started)
            })
            .collect();
        let parallel = self.options.max_parallel_tools.max(1);
        let results: Vec<_> = futures_util::stream::iter(pending)
            .buffer_unordered(parallel)
            .collect()
            .await;
        for (i, output, started) in results {
            outputs[i] = Some((output, started));
        }
        for (call, output) in batch.iter().zip(outputs) {
            if let Some((output, started)) = output {
                self.answer(conv, call, output, started);
            }
        }
    }

    /// Appends a call's answer and reports it.
    fn answer(
        &self,
        conv: &mut Conversation,
        call: &ToolCall,
        output: ToolOutput,
        started: Instant,
    ) {
        let text = output.text();
        let preview: String = text.chars().take(self.options.preview_chars).collect();
        self.sink.send(EventKind::ToolResult {
            id: call.id.clone(),
            name: call.name.clone(),
            is_error: output.is_error,
            preview,
            ms: started.elapsed().as_millis() as u64,
        });
        conv.messages.push(Message::tool(
            call.id.clone(),
            output.content,
            output.is_error,
        ));
    }

    fn write_todos(&self, conv: &mut Conversation, call: &ToolCall) -> ToolOutput {
        match serde_json::from_value::<WriteTodosArgs>(call.arguments.clone()) {
            Ok(args) => {
                conv.todos = args.todos;
                self.sink.send(EventKind::Todos {
                    todos: conv.todos.clone(),
                });
                ToolOutput::ok(builtin::todos_updated(&conv.todos))
            }
            Err(e) => ToolOutput::error(format!("ERROR: invalid arguments for write_todos: {e}")),
        }
    }

    /// Runs one call of a tool that does not change the conversation.
    async fn call_tool(&self, call: &ToolCall) -> ToolOutput {
        if let Some(n) = self.task {
            self.shared.tool_started(n, &call.name);
        }
        if let Value::String(raw) = &call.arguments {
            return ToolOutput::error(format!(
                "ERROR: the arguments of {} are not valid JSON: {raw}",
                call.name
            ));
        }
        let main = self.approval.is_some();
        match call.name.as_str() {
            builtin::TASK if main && !self.subagents.is_empty() => self.start_task(call),
            builtin::WAIT if main => {
                match serde_json::from_value::<WaitArgs>(call.arguments.clone()) {
                    Ok(args) => ToolOutput::ok(
                        background::wait(self.shared, args.task_number, args.timeout).await,
                    ),
                    Err(e) => ToolOutput::error(format!("ERROR: invalid arguments for wait: {e}")),
                }
            }
            builtin::TASK_OUTPUT if main => {
                match serde_json::from_value::<TaskOutputArgs>(call.arguments.clone()) {
                    Ok(args) => {
                        ToolOutput::ok(background::task_output(self.shared, args.task_number))
                    }
                    Err(e) => {
                        ToolOutput::error(format!("ERROR: invalid arguments for task_output: {e}"))
                    }
                }
            }
            name => match self.tools.iter().find(|t| t.spec().name == name) {
                Some(tool) => {
                    let cx = ToolCx {
                        call_id: call.id.clone(),
                        cancel: self.cancel.clone(),
                    };
                    tool.call(call.arguments.clone(), &cx).await
                }
                None => {
                    let known: Vec<String> =
                        self.tool_specs().into_iter().map(|s| s.name).collect();
                    ToolOutput::error(format!(
                        "ERROR: {name} is not a valid tool, try one of [{}].",
                        known.join(", ")
                    ))
                }
            },
        }
    }

    /// `task`: registers `Task-N` and starts the subagent in the background.
    fn start_task(&self, call: &ToolCall) -> ToolOutput {
        let args = match serde_json::from_value::<TaskArgs>(call.arguments.clone()) {
            Ok(args) => args,
            Err(e) => return ToolOutput::error(format!("ERROR: invalid arguments for task: {e}")),
        };
        let Some(spec) = self
            .subagents
            .iter()
            .find(|s| s.name == args.subagent_type)
            .cloned()
        else {
            let known: Vec<&str> = self.subagents.iter().map(|s| s.name.as_str()).collect();
            return ToolOutput::error(format!(
                "ERROR: unknown subagent_type '{}'; available: {}",
                args.subagent_type,
                known.join(", ")
            ));
        };
        let Some(session) = self.session.cloned() else {
            return ToolOutput::error("ERROR: subagents are not available here");
        };
        let number = self
            .shared
            .register(&call.id, &args.description, &spec.name);
        self.sink.send(EventKind::TaskStarted {
            number,
            subagent_type: spec.name.clone(),
            description: args.description.clone(),
        });
        let text = background::deployed(number, &spec.name, &args.description);
        let handle = tokio::spawn(run_subagent(
            session.clone(),
            spec,
            number,
            args.description,
        ));
        session
            .handles
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(handle);
        ToolOutput::ok(text)
    }
}

/// The tool calls of the last assistant message.
fn last_calls(messages: &[Message]) -> Option<&[ToolCall]> {
    messages
        .iter()
        .rev()
        .find(|m| m.role == Role::Assistant)
        .map(|m| m.tool_calls.as_slice())
}

/// A background subagent's whole life: its own conversation, started from the description.
async fn run_subagent(session: Arc<Inner>, spec: SubagentSpec, number: u32, description: String) {
    let cancel = session.background.child_token();
    let mut conv = Conversation {
        messages: vec![Message::user(description)],
        ..Conversation::default()
    };
    let llm = spec
        .llm
        .clone()
        .unwrap_or_else(|| Arc::clone(&session.spec.llm));
    let mut driver = Driver {
        llm: llm.as_ref(),
        system: &spec.system_prompt,
        tools: &spec.tools,
        approval: None,
        subagents: &[],
        options: &session.spec.options,
        max_steps: spec.max_steps,
        shared: &session.shared,
        sink: session.sink.for_task(number),
        task: Some(number),
        cancel: &cancel,
        session: None,
        run_usage: Usage::default(),
    };
    let outcome = match driver.drive(&mut conv).await {
        Ok(RunStop::EndTurn) => Ok(final_text(&conv.messages)),
        Ok(RunStop::MaxSteps) => Err(format!(
            "the subagent used its {} steps without finishing",
            spec.max_steps
        )),
        Ok(RunStop::Cancelled) => Err("cancelled".to_owned()),
        Ok(other) => Err(format!("the subagent stopped: {other:?}")),
        Err(e) => Err(e.to_string()),
    };
    let status = if outcome.is_ok() {
        TaskStatus::Done
    } else {
        TaskStatus::Error
    };
    session.shared.finish(number, outcome);
    session
        .sink
        .send(EventKind::TaskFinished { number, status });
    // Save the finished task unless a run holds the conversation (it saves soon anyway).
    if let Ok(conv) = session.conv.try_lock()
        && let Err(e) = session.save(snapshot(&conv, &session.shared)).await
    {
        tracing::warn!(error = %e, task = number, "saving a finished background task failed");
    }
}

/// The last assistant message's text.
fn final_text(messages: &[Message]) -> String {
    messages
        .iter()
        .rev()
        .find(|m| m.role == Role::Assistant)
        .map(Message::text)
        .unwrap_or_default()
}
