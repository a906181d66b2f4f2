//! Background subagents: the `Task-N` registry shared by a session's runs and its subagents,
//! and upstream's texts for `task`, `wait`, `task_output` and the completion notice.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use super::state::{TaskRecord, TaskStatus, UsageBook};
use crate::llm::Usage;

/// What background subagents and the main agent share: the task registry and the token book.
#[derive(Debug)]
pub struct Shared {
    inner: Mutex<SharedState>,
    version: watch::Sender<u64>,
}

/// The shared data.
#[derive(Debug, Clone, Default)]
pub struct SharedState {
    /// The tasks, by number order.
    pub tasks: Vec<TaskRecord>,
    /// Token counts.
    pub usage: UsageBook,
}

impl Shared {
    /// Shared state starting from a checkpoint's tasks and usage.
    pub fn new(tasks: Vec<TaskRecord>, usage: UsageBook) -> Self {
        Self {
            inner: Mutex::new(SharedState { tasks, usage }),
            version: watch::Sender::new(0),
        }
    }

    /// The data, locked for a short read or update.
    pub fn lock(&self) -> MutexGuard<'_, SharedState> {
        // A panic while holding this lock leaves plain data behind: keep using it.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wakes everyone waiting for a task.
    pub fn changed(&self) {
        self.version.send_modify(|v| *v += 1);
    }

    /// Adds a model call's tokens: to the session, and to the main agent or the task.
    pub fn add_usage(&self, task: Option<u32>, usage: Usage) {
        let mut state = self.lock();
        state.usage.session += usage;
        state.usage.calls += 1;
        match task {
            None => state.usage.main += usage,
            Some(n) => {
                *state.usage.tasks.entry(n).or_default() += usage;
                if let Some(t) = state.tasks.iter_mut().find(|t| t.number == n) {
                    t.usage += usage;
                }
            }
        }
    }

    /// Registers a new task and returns its number.
    pub fn register(&self, tool_call_id: &str, description: &str, subagent_type: &str) -> u32 {
        let mut state = self.lock();
        let number = state.tasks.iter().map(|t| t.number).max().unwrap_or(0) + 1;
        state.tasks.push(TaskRecord {
            number,
            tool_call_id: tool_call_id.into(),
            description: description.into(),
            subagent_type: subagent_type.into(),
            status: TaskStatus::Running,
            result: None,
            error: None,
            seen: false,
            tool_call_counts: Default::default(),
            total_tool_calls: 0,
            current_tool: None,
            usage: Usage::default(),
            created_at: Utc::now(),
            finished_at: None,
        });
        number
    }

    /// Records that a task's subagent is calling `tool`.
    pub fn tool_started(&self, number: u32, tool: &str) {
        let mut state = self.lock();
        if let Some(t) = state.tasks.iter_mut().find(|t| t.number == number) {
            *t.tool_call_counts.entry(tool.into()).or_default() += 1;
            t.total_tool_calls += 1;
            t.current_tool = Some(tool.into());
        }
    }

    /// Records a task's end.
    pub fn finish(&self, number: u32, outcome: Result<String, String>) {
        {
            let mut state = self.lock();
            if let Some(t) = state.tasks.iter_mut().find(|t| t.number == number) {
                match outcome {
                    Ok(result) => {
                        t.status = TaskStatus::Done;
                        t.result = Some(result);
                    }
                    Err(error) => {
                        t.status = TaskStatus::Error;
                        t.error = Some(error);
                    }
                }
                t.current_tool = None;
                t.finished_at = Some(Utc::now());
            }
        }
        self.changed();
    }

    /// Waits until `done` says so or `timeout` passes; true when done.
    pub async fn wait_until(&self, timeout: Duration, done: impl Fn(&SharedState) -> bool) -> bool {
        let mut rx = self.version.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if done(&self.lock()) {
                return true;
            }
            tokio::select! {
                changed = rx.changed() => if changed.is_err() { return done(&self.lock()); },
                () = tokio::time::sleep_until(deadline) => return done(&self.lock()),
            }
        }
    }

    /// Finished tasks the model has not been told about; they are marked seen.
    pub fn take_unseen_finished(&self) -> Vec<TaskRecord> {
        let mut state = self.lock();
        let mut out = Vec::new();
        for t in state
            .tasks
            .iter_mut()
            .filter(|t| t.status != TaskStatus::Running && !t.seen)
        {
            t.seen = true;
            out.push(t.clone());
        }
        out
    }

    /// Whether any task still runs.
    pub fn any_running(&self) -> bool {
        self.lock()
            .tasks
            .iter()
            .any(|t| t.status == TaskStatus::Running)
    }
}

/// The first two sentences of a task's description, as upstream's deployment notice shows.
fn first_sentences(text: &str) -> String {
    let mut end = text.len();
    let mut count = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '.' | '!' | '?') {
            let next = text[i + c.len_utf8()..].chars().next();
            if next.is_none_or(char::is_whitespace) {
                count += 1;
                if count == 2 {
                    end = i + c.len_utf8();
                    break;
                }
            }
        }
    }
    text[..end].trim().to_owned()
}

/// The answer to `task`: the subagent runs in the background.
pub fn deployed(number: u32, subagent_type: &str, description: &str) -> String {
    format!(
        "Background subagent deployed: **Task-{number}**\n- Type: {subagent_type}\n- Task: {}\n- Status: Running in background\n\nYou can:\n- Continue with other work\n- Use `task_output(task_number={number})` to get progress or result\n- Use `wait(task_number={number})` to block until complete\n- Use `wait()` to wait for all background tasks",
        first_sentences(description)
    )
}

/// The user message announcing finished tasks.
pub fn notification(tasks: &[TaskRecord]) -> Option<String> {
    let mut tasks: Vec<&TaskRecord> = tasks.iter().collect();
    tasks.sort_by_key(|t| t.number);
    match tasks.as_slice() {
        [] => None,
        [t] => Some(format!(
            "Your background subagent task has completed: **{}**.\n\nCall `task_output(task_number={})` to see the result.",
            t.display_id(),
            t.number
        )),
        many => {
            let list: Vec<String> = many
                .iter()
                .map(|t| format!("**{}**", t.display_id()))
                .collect();
            Some(format!(
                "Your background subagent tasks have completed: {}.\n\nCall `task_output()` to see all results, or `task_output(task_number=N)` for a specific task.",
                list.join(", ")
            ))
        }
    }
}

/// A finished task's result as upstream formats it (a failure in bold).
fn format_result(task: &TaskRecord) -> String {
    match (&task.status, &task.result, &task.error) {
        (TaskStatus::Done, Some(result), _) if !result.is_empty() => result.clone(),
        (TaskStatus::Done, _, _) => "Task completed successfully (no output)".into(),
        (_, _, error) => format!("**ERROR: {}**", error.as_deref().unwrap_or("Unknown error")),
    }
}

/// A running task's progress block.
fn format_progress(task: &TaskRecord) -> String {
    let elapsed = (Utc::now() - task.created_at).num_milliseconds() as f64 / 1000.0;
    let status = match task.status {
        TaskStatus::Running => "[RUNNING]",
        TaskStatus::Done => "[DONE]",
        TaskStatus::Error => "[ERROR]",
    };
    let mut tools = format!(" | {} tool calls", task.total_tool_calls);
    if !task.tool_call_counts.is_empty() {
        let mut top: Vec<(&String, &u32)> = task.tool_call_counts.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1));
        let top: Vec<String> = top
            .iter()
            .take(3)
            .map(|(t, c)| format!("{t}: {c}"))
            .collect();
        tools.push_str(&format!(" ({})", top.join(", ")));
    }
    let activity = match (&task.status, &task.current_tool) {
        (TaskStatus::Running, Some(tool)) => format!("\n  Currently executing: `{tool}`"),
        _ => String::new(),
    };
    let short: String = task.description.chars().take(100).collect();
    let more = if task.description.chars().count() > 100 {
        "..."
    } else {
        ""
    };
    format!(
        "### {}: {}\n  Status: {status} | Elapsed: {elapsed:.1}s{tools}{activity}\n  Task: {short}{more}",
        task.display_id(),
        task.subagent_type
    )
}

/// `wait`'s answer once waiting is over (`timeout` as the model gave it).
pub async fn wait(shared: &Shared, task_number: Option<u32>, timeout: f64) -> String {
    let limit = Duration::from_secs_f64(timeout.clamp(0.0, 3600.0));
    let shown = fmt_secs(timeout);
    match task_number {
        Some(n) => {
            if !shared.lock().tasks.iter().any(|t| t.number == n) {
                return format!("Task-{n} not found");
            }
            let finished = shared
                .wait_until(limit, |s| {
                    s.tasks
                        .iter()
                        .any(|t| t.number == n && t.status != TaskStatus::Running)
                })
                .await;
            let mut state = shared.lock();
            let Some(task) = state.tasks.iter_mut().find(|t| t.number == n) else {
                return format!("Task-{n} not found");
            };
            if !finished {
                return format!(
                    "**{}** ({}) still running (waited {shown}s, task continues in background)",
                    task.display_id(),
                    task.subagent_type
                );
            }
            task.seen = true;
            format!(
                "**{}** ({}) completed:\n\n{}",
                task.display_id(),
                task.subagent_type,
                format_result(task)
            )
        }
        None => {
            let waited: Vec<u32> = {
                let state = shared.lock();
                state
                    .tasks
                    .iter()
                    .filter(|t| t.status == TaskStatus::Running || !t.seen)
                    .map(|t| t.number)
                    .collect()
            };
            if waited.is_empty() {
                return "No background tasks were pending.".into();
            }
            shared
                .wait_until(limit, |s| {
                    s.tasks.iter().all(|t| t.status != TaskStatus::Running)
                })
                .await;
            let mut state = shared.lock();
            let mut done = 0;
            let mut running = 0;
            let mut body = String::new();
            for task in state
                .tasks
                .iter_mut()
                .filter(|t| waited.contains(&t.number))
            {
                if task.status == TaskStatus::Running {
                    running += 1;
                    body.push_str(&format!(
                        "### {} ({}) - still running\n\n",
                        task.display_id(),
                        task.subagent_type
                    ));
                } else {
                    done += 1;
                    task.seen = true;
                    body.push_str(&format!(
                        "### {} ({}) - completed\n{}\n\n",
                        task.display_id(),
                        task.subagent_type,
                        format_result(task)
                    ));
                }
            }
            let total = done + running;
            let head = if running == 0 {
                format!("All {total} background task(s) completed:\n\n")
            } else if done == 0 {
                format!("All {total} background task(s) still running (waited {shown}s):\n\n")
            } else {
                format!("Background tasks: {done} completed, {running} still running:\n\n")
            };
            head + body.as_str()
        }
    }
}

/// `task_output`'s answer.
pub fn task_output(shared: &Shared, task_number: Option<u32>) -> String {
    let mut state = shared.lock();
    match task_number {
        Some(n) => {
            let Some(task) = state.tasks.iter_mut().find(|t| t.number == n) else {
                return format!("Task-{n} not found");
            };
            if task.status == TaskStatus::Running {
                return format_progress(task);
            }
            task.seen = true;
            format!(
                "**{}** ({}) completed:\n\n{}",
                task.display_id(),
                task.subagent_type,
                format_result(task)
            )
        }
        None => {
            if state.tasks.is_empty() {
                return "No background tasks have been assigned yet.".into();
            }
            let running = state
                .tasks
                .iter()
                .filter(|t| t.status == TaskStatus::Running)
                .count();
            let total = state.tasks.len();
            let mut out = format!(
                "**Background Tasks** ({total} total: {} completed, {running} running)\n\n",
                total - running
            );
            for task in state.tasks.iter_mut() {
                if task.status == TaskStatus::Running {
                    out.push_str(&format_progress(task));
                    out.push('\n');
                } else {
                    task.seen = true;
                    out.push_str(&format!(
                        "### {} ({})\n{}\n\n",
                        task.display_id(),
                        task.subagent_type,
                        format_result(task)
                    ));
                }
            }
            out
        }
    }
}

/// Seconds as Python prints a float given by the model (`60` stays `60`… as upstream echoes
/// the argument; a whole number is shown without decimals).
fn fmt_secs(secs: f64) -> String {
    if secs.fract() == 0.0 {
        format!("{}", secs as i64)
    } else {
        format!("{secs}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn registry_texts_follow_upstream() {
        let shared = Shared::new(Vec::new(), UsageBook::default());
        assert_eq!(
            task_output(&shared, None),
            "No background tasks have been assigned yet."
        );
        assert_eq!(
            wait(&shared, None, 1.0).await,
            "No background tasks were pending."
        );
        let n = shared.register(
            "call_1",
            "Find the prices. Then compare them. Then more.",
            "general-purpose",
        );
        assert_eq!(n, 1);
        assert_eq!(
            deployed(
                n,
                "general-purpose",
                "Find the prices. Then compare them. Then more."
            ),
            "Background subagent deployed: **Task-1**\n- Type: general-purpose\n- Task: Find the prices. Then compare them.\n- Status: Running in background\n\nYou can:\n- Continue with other work\n- Use `task_output(task_number=1)` to get progress or result\n- Use `wait(task_number=1)` to block until complete\n- Use `wait()` to wait for all background tasks"
        );
        shared.tool_started(1, "execute_code");
        shared.tool_started(1, "execute_code");
        shared.tool_started(1, "read_file");
        let progress = task_output(&shared, Some(1));
        assert!(
            progress.starts_with("### Task-1: general-purpose\n  Status: [RUNNING] | Elapsed: "),
            "{progress}"
        );
        assert!(progress.contains(" | 3 tool calls (execute_code: 2, read_file: 1)\n  Currently executing: `read_file`\n  Task: Find the prices."), "{progress}");
        assert_eq!(
            wait(&shared, Some(1), 0.0).await,
            "**Task-1** (general-purpose) still running (waited 0s, task continues in background)"
        );
        assert_eq!(wait(&shared, Some(7), 0.0).await, "Task-7 not found");
        shared.finish(1, Ok("The answer".into()));
        assert_eq!(
            notification(&shared.take_unseen_finished()).as_deref(),
            Some(
                "Your background subagent task has completed: **Task-1**.\n\nCall `task_output(task_number=1)` to see the result."
            )
        );
        assert!(shared.take_unseen_finished().is_empty());
        assert_eq!(
            task_output(&shared, Some(1)),
            "**Task-1** (general-purpose) completed:\n\nThe answer"
        );
        let n2 = shared.register("call_2", "b", "research");
        let waiter = wait(&shared, None, 5.0);
        let finisher = async {
            tokio::time::sleep(Duration::from_millis(20)).await;
            shared.finish(n2, Err("model failed".into()));
        };
        let (text, ()) = tokio::join!(waiter, finisher);
        assert_eq!(
            text,
            "All 1 background task(s) completed:\n\n### Task-2 (research) - completed\n**ERROR: model failed**\n\n"
        );
    }
}
