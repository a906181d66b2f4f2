//! The slash commands: parsing, and the parts that only read or change files and state
//! (`/files`, the `/clear` wipe, `/tokens`, `/tasks`).

use std::path::Path;

use fba_agent::runtime::{SessionState, TaskStatus, UsageBook};

use super::render::{one_line, usage_text};

/// Workspace directories `/clear` empties (upstream's list).
pub const CLEARED_DIRS: [&str; 3] = ["data", "results", "code"];

/// Workspace directories `/files` hides unless `all` is given.
const INTERNAL_DIRS: [&str; 2] = ["tools", "code"];

/// Entries `/files` lists at most.
const MAX_FILES: usize = 500;

/// The help text.
pub const HELP: &str = "\
Commands:
  /help             this list
  /clear            new conversation; empties data/, results/ and code/
  /model [alias]    list the models, or switch to one (the conversation is kept)
  /files [all]      the workspace as a tree (tools/ and code/ only with `all`)
  /tokens           tokens used by the main agent and the background tasks
  /plan on|off      plan mode: the agent submits a plan for approval before acting
  /tasks            background tasks
  /exit, /q         quit (Ctrl-D too)
Ctrl-C cancels a running answer.";

/// One line of input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A message for the agent.
    Message(String),
    /// A slash command.
    Command(Command),
    /// Nothing (an empty line).
    Empty,
}

/// A slash command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/help`.
    Help,
    /// `/clear`.
    Clear,
    /// `/model [alias]`.
    Model(Option<String>),
    /// `/files [all]`.
    Files {
        /// Show the internal directories too.
        all: bool,
    },
    /// `/tokens`.
    Tokens,
    /// `/plan [on|off]` (`None`: show the state).
    Plan(Option<bool>),
    /// `/tasks`.
    Tasks,
    /// `/exit` or `/q`.
    Exit,
}

/// Reads one input line; a bad command is an error naming it.
pub fn parse(line: &str) -> Result<Input, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(Input::Empty);
    }
    let Some(rest) = line.strip_prefix('/') else {
        return Ok(Input::Message(line.to_owned()));
    };
    let mut words = rest.split_whitespace();
    let name = words.next().unwrap_or_default();
    let arg = words.next();
    let extra = words.next();
    let command = match (name, arg) {
        ("help" | "h" | "?", None) => Command::Help,
        ("clear", None) => Command::Clear,
        ("model", alias) => Command::Model(alias.map(str::to_owned)),
        ("files", None) => Command::Files { all: false },
        ("files", Some("all")) => Command::Files { all: true },
        ("tokens", None) => Command::Tokens,
        ("plan", None) => Command::Plan(None),
        ("plan", Some("on")) => Command::Plan(Some(true)),
        ("plan", Some("off")) => Command::Plan(Some(false)),
        ("tasks", None) => Command::Tasks,
        ("exit" | "quit" | "q", None) => Command::Exit,
        ("files" | "plan", Some(a)) => {
            return Err(format!(
                "/{name}: unexpected argument {a:?}; /help lists the commands"
            ));
        }
        ("help" | "h" | "?" | "clear" | "tokens" | "tasks" | "exit" | "quit" | "q", Some(_)) => {
            return Err(format!("/{name} takes no argument"));
        }
        _ => return Err(format!("unknown command /{name}; /help lists the commands")),
    };
    if extra.is_some() {
        return Err(format!("/{name}: too many arguments"));
    }
    Ok(Input::Command(command))
}

/// The workspace as an indented tree, directories first; `tools/` and `code/` (and dot files)
/// only when `all`.
pub fn file_tree(root: &Path, virtual_root: &str, all: bool) -> std::io::Result<String> {
    let mut out = format!("{}/\n", virtual_root.trim_end_matches('/'));
    let mut count = 0;
    walk(root, 1, all, &mut out, &mut count)?;
    if count == 0 {
        out.push_str("  (empty)\n");
    } else if count > MAX_FILES {
        out.push_str(&format!("  … ({} more not shown)\n", count - MAX_FILES));
    }
    Ok(out)
}

fn walk(
    dir: &Path,
    depth: usize,
    all: bool,
    out: &mut String,
    count: &mut usize,
) -> std::io::Result<()> {
    let mut entries: Vec<(bool, String, u64)> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = entry.metadata()?;
        if !all && (name.starts_with('.') || (depth == 1 && INTERNAL_DIRS.contains(&name.as_str())))
        {
            continue;
        }
        entries.push((!meta.is_dir(), name, meta.len()));
    }
    entries.sort();
    for (is_file, name, len) in entries {
        *count += 1;
        if *count > MAX_FILES {
            continue;
        }
        let indent = "  ".repeat(depth);
        if is_file {
            out.push_str(&format!("{indent}{name}  {}\n", size_text(len)));
        } else {
            out.push_str(&format!("{indent}{name}/\n"));
            walk(&dir.join(&name), depth + 1, all, out, count)?;
        }
    }
    Ok(())
}

/// `512 B`, `1.5 KiB`, `2.0 MiB`.
fn size_text(len: u64) -> String {
    const KIB: u64 = 1024;
    if len < KIB {
        format!("{len} B")
    } else if len < KIB * KIB {
        format!("{:.1} KiB", len as f64 / KIB as f64)
    } else {
        format!("{:.1} MiB", len as f64 / (KIB * KIB) as f64)
    }
}

/// Empties `data/`, `results/` and `code/` of the workspace (they are re-created empty).
pub fn wipe_outputs(root: &Path) -> std::io::Result<()> {
    for dir in CLEARED_DIRS {
        let path = root.join(dir);
        match std::fs::remove_dir_all(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        std::fs::create_dir_all(&path)?;
    }
    Ok(())
}

/// `/tokens`: the main agent, each background task and the session.
pub fn tokens_text(usage: &UsageBook) -> String {
    let mut out = format!("main agent: {}\n", usage_text(&usage.main));
    for (number, task) in &usage.tasks {
        out.push_str(&format!("Task-{number}: {}\n", usage_text(task)));
    }
    out.push_str(&format!(
        "session: {} ({} model calls)",
        usage_text(&usage.session),
        usage.calls
    ));
    out
}

/// `/tasks`: one line per background task.
pub fn tasks_text(state: &SessionState) -> String {
    if state.tasks.is_empty() {
        return "no background tasks".to_owned();
    }
    state
        .tasks
        .iter()
        .map(|t| {
            let status = match t.status {
                TaskStatus::Running => match &t.current_tool {
                    Some(tool) => format!("running ({tool})"),
                    None => "running".to_owned(),
                },
                TaskStatus::Done => "done".to_owned(),
                TaskStatus::Error => format!("failed: {}", t.error.as_deref().unwrap_or("")),
            };
            format!(
                "{} [{}] {status}, {} tool calls: {}",
                t.display_id(),
                t.subagent_type,
                t.total_tool_calls,
                one_line(&t.description, 60)
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_messages_and_commands() {
        assert_eq!(parse("  hi there "), Ok(Input::Message("hi there".into())));
        assert_eq!(parse(""), Ok(Input::Empty));
        assert_eq!(parse("/q"), Ok(Input::Command(Command::Exit)));
        assert_eq!(
            parse("/files all"),
            Ok(Input::Command(Command::Files { all: true }))
        );
        assert_eq!(
            parse("/model fast"),
            Ok(Input::Command(Command::Model(Some("fast".into()))))
        );
        assert_eq!(
            parse("/plan on"),
            Ok(Input::Command(Command::Plan(Some(true))))
        );
        assert!(
            parse("/plan maybe")
                .unwrap_err()
                .contains("unexpected argument")
        );
        assert!(
            parse("/nope")
                .unwrap_err()
                .contains("unknown command /nope")
        );
        assert!(
            parse("/clear now")
                .unwrap_err()
                .contains("takes no argument")
        );
    }

    #[test]
    fn tree_hides_internal_dirs_and_wipe_empties_outputs() {
        let root = std::env::temp_dir().join(format!("fba-cli-tree-{}", uuid::Uuid::new_v4()));
        for dir in ["tools/docs", "results", "data", "code"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        std::fs::write(root.join("results/report.md"), "# R\n").unwrap();
        std::fs::write(root.join("code/exec_0001.py"), "print(1)").unwrap();
        std::fs::write(root.join("tools/demo.py"), "x").unwrap();
        let tree = file_tree(&root, "/home/daytona", false).unwrap();
        assert_eq!(
            tree,
            "/home/daytona/\n  data/\n  results/\n    report.md  4 B\n"
        );
        let tree = file_tree(&root, "/home/daytona", true).unwrap();
        assert!(tree.contains("  code/\n    exec_0001.py  8 B\n"), "{tree}");
        assert!(
            tree.contains("  tools/\n    docs/\n    demo.py  1 B\n"),
            "{tree}"
        );
        wipe_outputs(&root).unwrap();
        assert!(root.join("results").is_dir());
        assert!(!root.join("results/report.md").exists());
        assert!(!root.join("code/exec_0001.py").exists());
        assert!(root.join("tools/demo.py").exists());
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(size_text(1536), "1.5 KiB");
    }

    #[test]
    fn tokens_and_tasks_text() {
        let mut book = UsageBook::default();
        book.main.input_tokens = 10;
        book.tasks.insert(1, book.main);
        book.session.input_tokens = 20;
        book.calls = 2;
        assert_eq!(
            tokens_text(&book),
            "main agent: 10 in, 0 out, cache 0 read / 0 written\nTask-1: 10 in, 0 out, cache 0 read / 0 written\nsession: 20 in, 0 out, cache 0 read / 0 written (2 model calls)"
        );
        assert_eq!(tasks_text(&SessionState::default()), "no background tasks");
    }
}
