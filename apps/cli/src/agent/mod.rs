//! `fba agent chat`: an interactive terminal chat with the PTC agent (fba-agent), in the spirit
//! of upstream's ptc-cli: streamed answers and tool activity, approvals, slash commands, and a
//! conversation kept in a session directory between runs. It needs no database.

mod commands;
mod input;
mod render;
mod repl;
mod startup;
mod store;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

/// `fba agent …`.
#[derive(Debug, Subcommand)]
pub enum AgentCommand {
    /// Chat with the agent in the terminal (`/help` lists the commands).
    Chat(ChatArgs),
}

/// The options of `fba agent chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// The model alias of llms.json (default: the config's `llm`).
    #[arg(long, value_name = "ALIAS")]
    pub model: Option<String>,
    /// Start in plan mode: the agent submits a plan for approval before acting.
    #[arg(long)]
    pub plan_mode: bool,
    /// Approve plans and tool calls without asking.
    #[arg(long)]
    pub auto_approve: bool,
    /// Where the conversation is kept (`session.json`); its name is the sandbox's id. Default:
    /// a new directory under `~/.ptc-agent/sessions/`.
    #[arg(long, value_name = "DIR")]
    pub session_dir: Option<PathBuf>,
    /// config.yaml (default: `PTC_CONFIG_FILE`, then `~/.ptc-agent/`, then the working
    /// directory).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// llms.json (default: `PTC_LLMS_FILE`, then the config search paths).
    #[arg(long, value_name = "FILE")]
    pub llms: Option<PathBuf>,
}

/// Why the chat could not go on.
#[derive(Debug, thiserror::Error)]
pub enum ChatError {
    /// The configuration is missing or unusable (exit code 2).
    #[error("{0}")]
    Config(String),
    /// Anything else (exit code 1).
    #[error("{0}")]
    Failed(String),
}

impl ChatError {
    /// The process exit code for this error.
    fn exit_code(&self) -> ExitCode {
        match self {
            Self::Config(_) => ExitCode::from(2),
            Self::Failed(_) => ExitCode::from(1),
        }
    }
}

impl From<std::io::Error> for ChatError {
    fn from(e: std::io::Error) -> Self {
        Self::Failed(e.to_string())
    }
}

/// Runs an `fba agent` command; errors are printed on one line of stderr.
pub async fn run(command: AgentCommand, env_file: Option<PathBuf>) -> ExitCode {
    let result = match command {
        AgentCommand::Chat(args) => chat(args, env_file).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fba: {}", flatten(&e.to_string()));
            e.exit_code()
        }
    }
}

async fn chat(args: ChatArgs, env_file: Option<PathBuf>) -> Result<(), ChatError> {
    let style = render::Style::detect();
    let mut out = render::Renderer::new(std::io::stdout(), style);
    let parts = startup::start(&args, env_file, &mut out).await?;
    let host = std::sync::Arc::clone(&parts.host);
    let result = repl::Chat::new(parts, args.auto_approve, out).run().await;
    host.shutdown().await;
    result
}

/// A message on one line: its lines trimmed and joined with spaces.
fn flatten(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_fit_on_one_line() {
        assert_eq!(
            flatten("config.yaml not found in search paths:\n  /a\n  /b\nCreate one."),
            "config.yaml not found in search paths: /a /b Create one."
        );
    }
}
