//! `execute_code`: runs a Python program in the sandbox (upstream's main PTC tool).
//!
//! The program is saved as `code/exec_NNNN.py` and run with the sandbox's Python, the workspace
//! as working directory and `PYTHONPATH`, and, when an MCP bridge is configured, a fresh bridge
//! grant (`PTC_BRIDGE`, `PTC_TOKEN`) that is revoked when the run ends. The answer has upstream's
//! shape: `SUCCESS\n<stdout>\nFiles created: results/a, results/b`, `ERROR\n<stderr or stdout>`
//! or `ERROR: <message>`.
//!
//! Unlike upstream there is no automatic `pip install` of missing modules: the sandbox has no
//! network, so an `ImportError` is reported as it is.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{BridgeAccess, Tool, ToolCx, ToolOutput};
use crate::llm::ToolSpec;
use crate::sandbox::{CodeFile, ExecOutput, ExecRequest, LocalSandbox};

/// The tool's name, as upstream.
pub const NAME: &str = "execute_code";

/// Upstream's description (the tool function's docstring).
const DESCRIPTION: &str = "Execute Python code in the sandbox.

Use for: Complex operations, data processing, MCP tool calls
Import MCP tools: from tools.{server} import {tool}

Args:
    code: Python code to execute. Print summary to stdout.

Returns:
    SUCCESS with stdout/files, or ERROR with stderr

Paths: Use RELATIVE paths (results/, data/). Never /results/ or /workspace/.";

/// Runs Python code in the sandbox.
pub struct ExecuteCodeTool {
    /// The sandbox the code runs in.
    pub sandbox: Arc<LocalSandbox>,
    /// The MCP bridge the code calls tools through (none: MCP tools are not callable).
    pub bridge: Option<Arc<dyn BridgeAccess>>,
}

impl std::fmt::Debug for ExecuteCodeTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecuteCodeTool")
            .field("sandbox", &self.sandbox.id())
            .field("bridge", &self.bridge.is_some())
            .finish()
    }
}

impl ExecuteCodeTool {
    /// The tool over `sandbox`, with an optional MCP bridge.
    pub fn new(sandbox: Arc<LocalSandbox>, bridge: Option<Arc<dyn BridgeAccess>>) -> Self {
        Self { sandbox, bridge }
    }

    /// Runs `code` and builds the answer.
    async fn run(&self, code: &str, cx: &ToolCx) -> Result<ToolOutput, String> {
        let limits = self.sandbox.limits().clone();
        let length = code.chars().count();
        if length > limits.max_code_length {
            return Ok(ToolOutput::error(format!(
                "ERROR: Code is too long: {length} characters (the maximum is {})",
                limits.max_code_length
            )));
        }
        let file = self
            .sandbox
            .claim_code_file("exec", "py", code.as_bytes())
            .map_err(|e| e.to_string())?;
        let results = self.sandbox.workspace_dir().join("results");
        let before = list_top_level(&results);
        let grant = self.bridge.as_ref().map(|b| b.grant());
        let mut req = ExecRequest::new([
            self.sandbox.config().python.to_string_lossy().into_owned(),
            file.relative.clone(),
        ]);
        if let (Some(bridge), Some(grant)) = (&self.bridge, &grant) {
            req.bridge_socket = Some(bridge.socket_path().to_path_buf());
            req.env.push(("PTC_TOKEN".to_owned(), grant.token.clone()));
        }
        req.stdout_spill = Some(spill_path(&self.sandbox, &file, "out"));
        req.stderr_spill = Some(spill_path(&self.sandbox, &file, "err"));
        let output = tokio::select! {
            out = self.sandbox.exec(req) => out.map_err(|e| e.to_string())?,
            () = cx.cancel.cancelled() => {
                return Ok(ToolOutput::error("ERROR: Code execution was cancelled"));
            }
        };
        // The grant (and with it the token) ends with the run.
        drop(grant);
        let after = list_top_level(&results);
        let created: Vec<String> = after
            .difference(&before)
            .map(|name| format!("results/{name}"))
            .collect();
        Ok(format_answer(
            &output,
            &created,
            &file,
            limits.max_file_size,
            limits.max_execution_time_secs,
        ))
    }
}

/// Where the full stream of an execution is saved when it passes the cap.
fn spill_path(sandbox: &LocalSandbox, file: &CodeFile, ext: &str) -> std::path::PathBuf {
    sandbox.workspace_dir().join(format!("{}.{ext}", file.stem))
}

/// The names at the top level of `dir` (empty when it cannot be read).
fn list_top_level(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A stream's text, with a note when it was cut at the cap.
fn stream_text(
    text: &str,
    truncated: bool,
    total: u64,
    file: &CodeFile,
    ext: &str,
    max_file_size: u64,
) -> String {
    if !truncated {
        return text.to_owned();
    }
    let saved = if total > max_file_size {
        format!(
            "its first {max_file_size} bytes are saved in {}.{ext}",
            file.stem
        )
    } else {
        format!("the full output is saved in {}.{ext}", file.stem)
    };
    format!(
        "{text}\n[output truncated: showing the first {} of {total} bytes; {saved}]",
        text.len()
    )
}

/// Upstream's answer for one run.
pub(crate) fn format_answer(
    output: &ExecOutput,
    files_created: &[String],
    file: &CodeFile,
    max_file_size: u64,
    timeout_secs: u64,
) -> ToolOutput {
    let stdout = stream_text(
        &output.stdout,
        output.stdout_truncated,
        output.stdout_bytes,
        file,
        "out",
        max_file_size,
    );
    let stderr = stream_text(
        &output.stderr,
        output.stderr_truncated,
        output.stderr_bytes,
        file,
        "err",
        max_file_size,
    );
    if output.timed_out {
        let mut text = format!(
            "ERROR: Code execution timed out after {timeout_secs} seconds (exit code {}); the process was killed",
            output.exit_code
        );
        for partial in [&stdout, &stderr] {
            if !partial.is_empty() {
                text.push('\n');
                text.push_str(partial);
            }
        }
        return ToolOutput::error(text);
    }
    if output.exit_code != 0 {
        let shown = if stderr.is_empty() { &stdout } else { &stderr };
        return ToolOutput::error(format!("ERROR\n{shown}"));
    }
    let mut parts = vec!["SUCCESS".to_owned()];
    if !stdout.is_empty() {
        parts.push(stdout);
    }
    if !files_created.is_empty() {
        parts.push(format!("Files created: {}", files_created.join(", ")));
    }
    ToolOutput::ok(parts.join("\n"))
}

#[async_trait]
impl Tool for ExecuteCodeTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: NAME.to_owned(),
            description: DESCRIPTION.to_owned(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "Python code to execute. Print summary to stdout."
                    }
                },
                "required": ["code"]
            }),
        }
    }

    async fn call(&self, args: Value, cx: &ToolCx) -> ToolOutput {
        let Some(code) = args.get("code").and_then(Value::as_str) else {
            return ToolOutput::error("ERROR: missing required argument 'code' (a string)");
        };
        match self.run(code, cx).await {
            Ok(answer) => answer,
            Err(message) => ToolOutput::error(format!("ERROR: {message}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

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
            duration: Duration::from_millis(5),
        }
    }

    fn file() -> CodeFile {
        CodeFile {
            number: 1,
            stem: "code/exec_0001".to_owned(),
            relative: "code/exec_0001.py".to_owned(),
            host_path: "/x/code/exec_0001.py".into(),
        }
    }

    #[test]
    fn answers_have_upstreams_shape() {
        let f = file();
        let ok = format_answer(&output(0, "hi\n", ""), &[], &f, 100, 2);
        assert_eq!((ok.text().as_str(), ok.is_error), ("SUCCESS\nhi\n", false));
        let files = vec!["results/a.csv".to_owned(), "results/b.png".to_owned()];
        let ok = format_answer(&output(0, "", ""), &files, &f, 100, 2);
        assert_eq!(
            ok.text(),
            "SUCCESS\nFiles created: results/a.csv, results/b.png"
        );
        let err = format_answer(&output(1, "out", "Traceback"), &[], &f, 100, 2);
        assert_eq!(
            (err.text().as_str(), err.is_error),
            ("ERROR\nTraceback", true)
        );
        let err = format_answer(&output(3, "only stdout", ""), &[], &f, 100, 2);
        assert_eq!(err.text(), "ERROR\nonly stdout");
    }

    #[test]
    fn truncation_and_timeout_are_stated() {
        let f = file();
        let mut out = output(0, "abc", "");
        out.stdout_truncated = true;
        out.stdout_bytes = 50;
        let text = format_answer(&out, &[], &f, 100, 2).text();
        assert!(text.starts_with("SUCCESS\nabc\n[output truncated: showing the first 3 of 50 bytes; the full output is saved in code/exec_0001.out]"), "{text}");
        let mut out = output(124, "partial", "");
        out.timed_out = true;
        let answer = format_answer(&out, &[], &f, 100, 2);
        assert!(answer.is_error);
        assert!(
            answer
                .text()
                .starts_with("ERROR: Code execution timed out after 2 seconds")
        );
        assert!(answer.text().ends_with("\npartial"));
    }
}
