//! `edit_file`: exact string replacement in a workspace file (upstream's `file_ops.edit_file`
//! over `PTCSandbox.aedit_file_text`), with upstream's checks in upstream's order.

use std::io::Read;
use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::read::{lax_opt_bool, parse_args};
use super::write::{too_large, write_text};
use super::{Tool, ToolCx, ToolOutput};
use crate::llm::ToolSpec;
use crate::sandbox::paths::{DEFAULT_MAX_FILE_SIZE, PathError, VirtualFs};

const DESCRIPTION: &str = "Replace exact string in a file. Must Read file first.";

/// The success answer.
pub const EDIT_OK: &str = "File edited successfully";

/// The `edit_file` tool.
#[derive(Debug, Clone)]
pub struct EditFileTool {
    fs: Arc<VirtualFs>,
    max_file_size: u64,
}

impl EditFileTool {
    /// Edits files of `fs` up to [`DEFAULT_MAX_FILE_SIZE`] bytes (before and after).
    pub fn new(fs: Arc<VirtualFs>) -> Self {
        Self {
            fs,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }

    /// Refuses files (or results) larger than `bytes`.
    #[must_use]
    pub fn with_max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }
}

#[derive(Debug, Deserialize)]
struct EditArgs {
    file_path: String,
    old_string: String,
    new_string: String,
    #[serde(default, deserialize_with = "lax_opt_bool")]
    replace_all: Option<bool>,
}

/// Why an edit failed (the text after `ERROR: `; upstream's wording).
#[derive(Debug, thiserror::Error)]
enum EditError {
    #[error("Access denied: {0} is not in allowed directories")]
    AccessDenied(String),
    #[error("File not found")]
    NotFound,
    #[error("Cannot edit binary file: {0} (not UTF-8 text)")]
    Binary(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("old_string and new_string must be different")]
    Same,
    #[error("old_string must not be empty")]
    EmptyOld,
    #[error("old_string not found in file: {0}")]
    Missing(String),
    #[error(
        "old_string found multiple times and requires more code context to uniquely identify the intended match"
    )]
    Ambiguous,
    #[error("Edit produced no changes")]
    NoChange,
    #[error("Failed to write updated file")]
    WriteFailed,
    #[error("Edit operation failed: {0}")]
    Other(String),
}

impl From<PathError> for EditError {
    fn from(e: PathError) -> Self {
        match e {
            PathError::AccessDenied(p) => Self::AccessDenied(p),
            PathError::NotFound(_) => Self::NotFound,
            other => Self::Other(other.to_string()),
        }
    }
}

#[async_trait]
impl Tool for EditFileTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "edit_file".to_string(),
            description: DESCRIPTION.to_string(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "file_path": {"type": "string"},
                    "old_string": {"type": "string"},
                    "new_string": {"type": "string"},
                    "replace_all": {"type": "boolean", "default": false}
                },
                "required": ["file_path", "old_string", "new_string"]
            }),
        }
    }

    async fn call(&self, args: Value, _cx: &ToolCx) -> ToolOutput {
        let args: EditArgs = match parse_args(args) {
            Ok(args) => args,
            Err(out) => return out,
        };
        let fs = Arc::clone(&self.fs);
        let cap = self.max_file_size;
        let result = tokio::task::spawn_blocking(move || edit(&fs, &args, cap)).await;
        match result {
            Ok(Ok(())) => ToolOutput::ok(EDIT_OK),
            Ok(Err(e)) => ToolOutput::error(format!("ERROR: {e}")),
            Err(e) => ToolOutput::error(format!("ERROR: Edit operation failed: {e}")),
        }
    }
}

fn edit(fs: &VirtualFs, args: &EditArgs, cap: u64) -> Result<(), EditError> {
    let normalized = fs.normalize(&args.file_path);
    let host = fs.resolve(&args.file_path)?;
    let file = fs.open_read(&host, &args.file_path)?;
    let size = file
        .metadata()
        .map_err(|e| EditError::Other(e.to_string()))?
        .len();
    if size > cap {
        return Err(EditError::TooLarge(too_large(&args.file_path, size, cap)));
    }
    let mut bytes = Vec::new();
    file.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| EditError::Other(e.to_string()))?;
    if bytes.len() as u64 > cap {
        return Err(EditError::TooLarge(too_large(
            &args.file_path,
            bytes.len() as u64,
            cap,
        )));
    }
    let content =
        String::from_utf8(bytes).map_err(|_| EditError::Binary(args.file_path.clone()))?;
    if args.old_string == args.new_string {
        return Err(EditError::Same);
    }
    if args.old_string.is_empty() {
        return Err(EditError::EmptyOld);
    }
    if !content.contains(&args.old_string) {
        return Err(EditError::Missing(normalized));
    }
    let replace_all = args.replace_all.unwrap_or(false);
    if !replace_all && content.matches(&args.old_string).nth(1).is_some() {
        return Err(EditError::Ambiguous);
    }
    let updated = if replace_all {
        content.replace(&args.old_string, &args.new_string)
    } else {
        content.replacen(&args.old_string, &args.new_string, 1)
    };
    if updated == content {
        return Err(EditError::NoChange);
    }
    if updated.len() as u64 > cap {
        return Err(EditError::TooLarge(too_large(
            &args.file_path,
            updated.len() as u64,
            cap,
        )));
    }
    write_text(fs, &args.file_path, updated.as_bytes()).map_err(|e| match e {
        PathError::AccessDenied(p) => EditError::AccessDenied(p),
        _ => EditError::WriteFailed,
    })
}
