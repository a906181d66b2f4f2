//! `write_file`: creates or overwrites a workspace file (upstream's `file_ops.write_file`),
//! parents included, within `max_file_size`.

use std::io::Write;
use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{Value, json};

use super::read::parse_args;
use super::{Tool, ToolCx, ToolOutput};
use crate::llm::ToolSpec;
use crate::sandbox::paths::{DEFAULT_MAX_FILE_SIZE, PathError, VirtualFs};

const DESCRIPTION: &str = "Write content to a file. Overwrites existing.";

/// The `write_file` tool.
#[derive(Debug, Clone)]
pub struct WriteFileTool {
    fs: Arc<VirtualFs>,
    max_file_size: u64,
}

impl WriteFileTool {
    /// Writes into `fs`, at most [`DEFAULT_MAX_FILE_SIZE`] bytes per file.
    pub fn new(fs: Arc<VirtualFs>) -> Self {
        Self {
            fs,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }

    /// Refuses content larger than `bytes` (`filesystem.max_file_size`).
    #[must_use]
    pub fn with_max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }
}

#[derive(Debug, Deserialize)]
struct WriteArgs {
    file_path: String,
    content: String,
}

#[async_trait]
impl Tool for WriteFileTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "write_file".to_string(),
            description: DESCRIPTION.to_string(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "file_path": {"type": "string"},
                    "content": {"type": "string"}
                },
                "required": ["file_path", "content"]
            }),
        }
    }

    async fn call(&self, args: Value, _cx: &ToolCx) -> ToolOutput {
        let args: WriteArgs = match parse_args(args) {
            Ok(args) => args,
            Err(out) => return out,
        };
        let size = args.content.len() as u64;
        if size > self.max_file_size {
            return ToolOutput::error(format!(
                "ERROR: {}",
                too_large(&args.file_path, size, self.max_file_size)
            ));
        }
        let fs = Arc::clone(&self.fs);
        let result = tokio::task::spawn_blocking(move || {
            write_text(&fs, &args.file_path, args.content.as_bytes())?;
            Ok::<_, PathError>((
                args.content.len(),
                fs.virtualize(&fs.normalize(&args.file_path)),
            ))
        })
        .await;
        match result {
            Ok(Ok((bytes, virtual_path))) => {
                ToolOutput::ok(format!("Wrote {bytes} bytes to {virtual_path}"))
            }
            Ok(Err(e @ PathError::AccessDenied(_))) => ToolOutput::error(format!("ERROR: {e}")),
            Ok(Err(e)) => ToolOutput::error(format!("ERROR: Write operation failed: {e}")),
            Err(e) => ToolOutput::error(format!("ERROR: Write operation failed: {e}")),
        }
    }
}

/// The message for content over the cap (shared with `edit_file`).
pub(crate) fn too_large(file_path: &str, size: u64, max: u64) -> String {
    format!("File too large: {file_path} is {size} bytes (max_file_size is {max} bytes)")
}

/// Resolves `file_path` and replaces the file's content with `bytes` (parents created).
///
/// # Errors
/// The path's refusal or the I/O failure.
pub(crate) fn write_text(fs: &VirtualFs, file_path: &str, bytes: &[u8]) -> Result<(), PathError> {
    let host = fs.resolve(file_path)?;
    let mut file = fs.open_write(&host, file_path)?;
    file.write_all(bytes)
        .and_then(|()| file.flush())
        .map_err(|source| PathError::Io {
            path: file_path.to_string(),
            source,
        })
}
