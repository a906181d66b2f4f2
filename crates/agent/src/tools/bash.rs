//! `Bash`: runs a shell command in the sandbox (upstream's only capitalised tool).
//!
//! The command is saved as `code/bash_NNNN.sh` (upstream's header comment, `set -e`, then
//! `cd <working_dir> && <command>`) and run with `bash`. Unlike upstream the answer carries the
//! command's real exit code (upstream always said 1), and `run_in_background` is refused
//! clearly instead of being ignored.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Tool, ToolCx, ToolOutput};
use crate::llm::ToolSpec;
use crate::sandbox::{ExecOutput, ExecRequest, LocalSandbox};

/// The tool's name, as upstream.
pub const NAME: &str = "Bash";

/// The default timeout, in milliseconds.
pub const DEFAULT_TIMEOUT_MS: u64 = 120_000;
/// The largest timeout, in milliseconds.
pub const MAX_TIMEOUT_MS: u64 = 600_000;

/// Upstream's description (the tool function's docstring).
const DESCRIPTION: &str = "Execute bash commands in a persistent shell session.

Use for: git, npm, docker, system commands, directory operations
NOT for: reading/writing/editing files - use Read/Write/Edit tools instead

Args:
    command: The bash command to execute
    description: Brief description (5-10 words, active voice)
    timeout: Milliseconds (default: 120000, max: 600000)
    run_in_background: Run asynchronously (default: False)
    working_dir: Working directory (default: /home/daytona)

Returns:
    Command output (stdout/stderr), or ERROR message

Paths: Quote paths with spaces. Use /home/daytona/ for workspace files.";

/// Runs bash commands in the sandbox.
pub struct BashTool {
    /// The sandbox the commands run in.
    pub sandbox: Arc<LocalSandbox>,
}

impl std::fmt::Debug for BashTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BashTool")
            .field("sandbox", &self.sandbox.id())
            .finish()
    }
}

/// The call's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BashArgs {
    command: String,
    timeout_ms: u64,
    run_in_background: bool,
    working_dir: Option<String>,
}

impl BashArgs {
    /// Reads the arguments (`null` means the default, as upstream's optional parameters).
    fn parse(args: &Value) -> Result<Self, String> {
        let command = args
            .get("command")
            .and_then(Value::as_str)
            .ok_or("missing required argument 'command' (a string)")?
            .to_owned();
        let timeout_ms = match args.get("timeout") {
            None | Some(Value::Null) => DEFAULT_TIMEOUT_MS,
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
                .ok_or("'timeout' must be a number of milliseconds")?,
        };
        let run_in_background = match args.get("run_in_background") {
            None | Some(Value::Null) => false,
            Some(v) => v.as_bool().ok_or("'run_in_background' must be a boolean")?,
        };
        let working_dir = match args.get("working_dir") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_str()
                    .ok_or("'working_dir' must be a string")?
                    .to_owned(),
            ),
        };
        Ok(Self {
            command,
            timeout_ms,
            run_in_background,
            working_dir,
        })
    }

    /// The timeout in whole seconds (as upstream: milliseconds / 1000), at least 1, at most
    /// [`MAX_TIMEOUT_MS`].
    fn timeout_secs(&self) -> u64 {
        (self.timeout_ms.min(MAX_TIMEOUT_MS) / 1000).max(1)
    }
}

/// Quotes `text` for bash when it holds anything but `[A-Za-z0-9/._-]`.
fn shell_quote(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
    {
        return text.to_owned();
    }
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Upstream's script: a header comment, `set -e`, then `cd <dir> && <command>`.
fn script(bash_id: &str, working_dir: &str, command: &str, timestamp: &str) -> String {
    let hash = Sha256::digest(command.as_bytes());
    let hash: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!(
        "#!/bin/bash\n\
         # Bash Execution Log\n\
         # ID: {bash_id}\n\
         # Working Directory: {working_dir}\n\
         # Timestamp: {timestamp}\n\
         # Command Hash: {hash}\n\
         \n\
         set -e  # Exit on error (optional, can be removed for more lenient execution)\n\
         cd {} && {command}\n",
        shell_quote(working_dir)
    )
}

/// A stream's text, with a note when it was cut at the cap.
fn stream_text(text: &str, truncated: bool, total: u64, saved_as: &str) -> String {
    if truncated {
        format!(
            "{text}\n[output truncated: showing the first {} of {total} bytes; the full output is saved in {saved_as}]",
            text.len()
        )
    } else {
        text.to_owned()
    }
}

/// Upstream's answer for one run (with the real exit code).
fn format_answer(output: &ExecOutput, stem: &str, timeout_secs: u64) -> ToolOutput {
    if output.timed_out {
        return ToolOutput::error(format!(
            "ERROR: Command failed (exit code {})\nCommand timed out after {timeout_secs} seconds",
            output.exit_code
        ));
    }
    let stdout = stream_text(
        &output.stdout,
        output.stdout_truncated,
        output.stdout_bytes,
        &format!("{stem}.out"),
    );
    let stderr = stream_text(
        &output.stderr,
        output.stderr_truncated,
        output.stderr_bytes,
        &format!("{stem}.err"),
    );
    if output.exit_code != 0 {
        let shown = if stderr.is_empty() { &stdout } else { &stderr };
        return ToolOutput::error(format!(
            "ERROR: Command failed (exit code {})\n{shown}",
            output.exit_code
        ));
    }
    let mut text = stdout;
    if !stderr.is_empty() {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&stderr);
    }
    if text.is_empty() {
        return ToolOutput::ok("Command completed successfully");
    }
    ToolOutput::ok(text)
}

impl BashTool {
    /// The tool over `sandbox`.
    pub fn new(sandbox: Arc<LocalSandbox>) -> Self {
        Self { sandbox }
    }

    /// Runs one command.
    async fn run(&self, args: BashArgs, cx: &ToolCx) -> Result<ToolOutput, String> {
        let virtual_dir = args
            .working_dir
            .clone()
            .unwrap_or_else(|| self.sandbox.virtual_root().to_owned());
        // Under the Landlock layer the code sees host paths: map the workspace's virtual path.
        let working_dir = self
            .sandbox
            .code_path(&virtual_dir)
            .unwrap_or_else(|_| virtual_dir.clone());
        let timestamp = chrono::Utc::now()
            .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
            .to_string();
        // The number is claimed first, then the script (which names it) is written.
        let file = self
            .sandbox
            .claim_code_file("bash", "sh", b"")
            .map_err(|e| e.to_string())?;
        let bash_id = format!("bash_{:04}", file.number);
        let body = script(&bash_id, &working_dir, &args.command, &timestamp);
        std::fs::write(&file.host_path, body).map_err(|e| e.to_string())?;
        let script_seen = self
            .sandbox
            .code_path(&format!(
                "{}/{}",
                self.sandbox.virtual_root(),
                file.relative
            ))
            .map_err(|e| e.to_string())?;
        let timeout_secs = args.timeout_secs();
        let mut req = ExecRequest::new(["bash".to_owned(), script_seen]);
        req.timeout = Some(Duration::from_secs(timeout_secs));
        let workspace = self.sandbox.workspace_dir();
        req.stdout_spill = Some(workspace.join(format!("{}.out", file.stem)));
        req.stderr_spill = Some(workspace.join(format!("{}.err", file.stem)));
        let output = tokio::select! {
            out = self.sandbox.exec(req) => out.map_err(|e| e.to_string())?,
            () = cx.cancel.cancelled() => {
                return Ok(ToolOutput::error("ERROR: Command was cancelled"));
            }
        };
        Ok(format_answer(&output, &file.stem, timeout_secs))
    }
}

#[async_trait]
impl Tool for BashTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME.to_owned(),
            description: DESCRIPTION.to_owned(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "command": {"type": "string", "description": "The bash command to execute"},
                    "description": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": null,
                        "description": "Brief description (5-10 words, active voice)"
                    },
                    "timeout": {
                        "anyOf": [{"type": "integer"}, {"type": "null"}],
                        "default": DEFAULT_TIMEOUT_MS,
                        "description": "Milliseconds (default: 120000, max: 600000)"
                    },
                    "run_in_background": {
                        "anyOf": [{"type": "boolean"}, {"type": "null"}],
                        "default": false,
                        "description": "Run asynchronously (default: False)"
                    },
                    "working_dir": {
                        "anyOf": [{"type": "string"}, {"type": "null"}],
                        "default": self.sandbox.virtual_root(),
                        "description": format!("Working directory (default: {})", self.sandbox.virtual_root())
                    }
                },
                "required": ["command"]
            }),
        }
    }

    async fn call(&self, args: Value, cx: &ToolCx) -> ToolOutput {
        let args = match BashArgs::parse(&args) {
            Ok(args) => args,
            Err(e) => return ToolOutput::error(format!("ERROR: {e}")),
        };
        if args.run_in_background {
            return ToolOutput::error(
                "ERROR: run_in_background is not supported: commands run in the foreground only; call Bash again without run_in_background (set a timeout of up to 600000 ms instead)",
            );
        }
        match self.run(args, cx).await {
            Ok(answer) => answer,
            Err(e) => ToolOutput::error(format!("ERROR: Failed to execute bash command: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn output(code: i32, stdout: &str, stderr: &str) -> ExecOutput {
        ExecOutput {
            exit_code: code,
            stdout: stdout.to_owned(),
            stderr: stderr.to_owned(),
            timed_out: false,
            stdout_truncated: false,
            stdout_bytes: stdout.len() as u64,
            stderr_truncated: false,
            stderr_bytes: stderr.len() as u64,
            duration: Duration::from_millis(3),
        }
    }

    #[test]
    fn answers_have_upstreams_strings_with_the_real_exit_code() {
        let s = "code/bash_0001";
        assert_eq!(format_answer(&output(0, "a\n", ""), s, 5).text(), "a\n");
        assert_eq!(format_answer(&output(0, "a", "w"), s, 5).text(), "a\nw");
        assert_eq!(format_answer(&output(0, "", "w"), s, 5).text(), "w");
        assert_eq!(
            format_answer(&output(0, "", ""), s, 5).text(),
            "Command completed successfully"
        );
        let failed = format_answer(&output(3, "", "bad\n"), s, 5);
        assert!(failed.is_error);
        assert_eq!(failed.text(), "ERROR: Command failed (exit code 3)\nbad\n");
        let mut timed_out = output(124, "x", "");
        timed_out.timed_out = true;
        assert_eq!(
            format_answer(&timed_out, s, 5).text(),
            "ERROR: Command failed (exit code 124)\nCommand timed out after 5 seconds"
        );
    }

    #[test]
    fn arguments_parse_with_upstreams_defaults() {
        let a = BashArgs::parse(&json!({"command": "ls"})).unwrap();
        assert_eq!(a.timeout_secs(), 120);
        assert!(!a.run_in_background);
        let a =
            BashArgs::parse(&json!({"command": "ls", "timeout": 9_000_000, "working_dir": null}))
                .unwrap();
        assert_eq!(a.timeout_secs(), 600);
        let a = BashArgs::parse(&json!({"command": "ls", "timeout": 200})).unwrap();
        assert_eq!(a.timeout_secs(), 1);
        assert!(BashArgs::parse(&json!({"timeout": 5})).is_err());
        assert!(BashArgs::parse(&json!({"command": "ls", "timeout": "x"})).is_err());
    }

    #[test]
    fn script_has_upstreams_layout() {
        let text = script("bash_0002", "/home/daytona/my dir", "echo hi", "T");
        assert!(text.starts_with("#!/bin/bash\n# Bash Execution Log\n# ID: bash_0002\n# Working Directory: /home/daytona/my dir\n# Timestamp: T\n# Command Hash: "));
        assert!(text.contains("\n\nset -e  # Exit on error"));
        assert!(text.ends_with("cd '/home/daytona/my dir' && echo hi\n"));
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
