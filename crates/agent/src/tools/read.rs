//! `read_file`: a workspace file in `cat -n` form (upstream's `file_ops.read_file`).
//!
//! Also home of the argument helpers the file tools share ([`parse_args`] and the lax number
//! and boolean readers: models send `"10"` or `10.0` where an integer is meant, and upstream's
//! pydantic accepted them).

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use super::{Tool, ToolCx, ToolOutput};
use crate::llm::ToolSpec;
use crate::sandbox::paths::{DEFAULT_MAX_FILE_SIZE, PathError, VirtualFs};

/// Lines shown when no `limit` is given (upstream's default).
pub const DEFAULT_READ_LIMIT: usize = 2000;

/// What an empty file reads as (deepagents' wording; upstream called it "File not found").
pub const EMPTY_FILE_NOTICE: &str = "System reminder: File exists but has empty contents";

const DESCRIPTION: &str = "Read a file with line numbers (cat -n format).

Args:
    file_path: Path to file (relative or absolute).
    offset: Line offset (0-indexed). Default: 0.
    limit: Maximum number of lines. Default: 2000.

Returns:
    File contents with line numbers, or ERROR.";

/// The `read_file` tool.
#[derive(Debug, Clone)]
pub struct ReadFileTool {
    fs: Arc<VirtualFs>,
    max_file_size: u64,
}

impl ReadFileTool {
    /// Reads from `fs`, at most [`DEFAULT_MAX_FILE_SIZE`] bytes of a file.
    pub fn new(fs: Arc<VirtualFs>) -> Self {
        Self {
            fs,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }

    /// Reads at most `bytes` bytes of a file (the rest is not shown).
    #[must_use]
    pub fn with_max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }
}

#[derive(Debug, Deserialize)]
struct ReadArgs {
    file_path: String,
    #[serde(default, deserialize_with = "lax_opt_i64")]
    offset: Option<i64>,
    #[serde(default, deserialize_with = "lax_opt_i64")]
    limit: Option<i64>,
}

#[async_trait]
impl Tool for ReadFileTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "read_file".to_string(),
            description: DESCRIPTION.to_string(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "file_path": {"type": "string", "description": "Path to file (relative or absolute)."},
                    "offset": {"type": "integer", "description": "Line offset (0-indexed). Default: 0."},
                    "limit": {"type": "integer", "description": "Maximum number of lines. Default: 2000."}
                },
                "required": ["file_path"]
            }),
        }
    }

    async fn call(&self, args: Value, _cx: &ToolCx) -> ToolOutput {
        let args: ReadArgs = match parse_args(args) {
            Ok(args) => args,
            Err(out) => return out,
        };
        let offset = usize::try_from(args.offset.unwrap_or(0)).unwrap_or(0);
        let limit = match args.limit {
            Some(n) if n > 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => DEFAULT_READ_LIMIT,
        };
        let fs = Arc::clone(&self.fs);
        let cap = self.max_file_size;
        let result = tokio::task::spawn_blocking(move || {
            read_window(&fs, &args.file_path, offset, limit, cap)
        })
        .await;
        match result {
            Ok(Ok(text)) => ToolOutput::ok(text),
            Ok(Err(message)) => ToolOutput::error(format!("ERROR: {message}")),
            Err(e) => ToolOutput::error(format!("ERROR: Failed to read file: {e}")),
        }
    }
}

/// Why a read failed (the text after `ERROR: `).
#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("Cannot read binary file: {0} (not UTF-8 text)")]
    Binary(String),
    #[error("Line offset {offset} exceeds file length ({total} lines)")]
    OffsetPastEnd { offset: usize, total: usize },
    #[error("Failed to read file: {0}")]
    Io(std::io::Error),
}

fn read_window(
    fs: &VirtualFs,
    file_path: &str,
    offset: usize,
    limit: usize,
    cap: u64,
) -> Result<String, ReadError> {
    let host = fs.resolve(file_path)?;
    let file = fs.open_read(&host, file_path)?;
    let mut reader = BufReader::new(file.take(cap));
    let mut chunk = Vec::new();
    let mut shown = Vec::new();
    let mut total = 0usize;
    let mut any_bytes = false;
    loop {
        chunk.clear();
        let n = reader
            .read_until(b'\n', &mut chunk)
            .map_err(ReadError::Io)?;
        if n == 0 {
            break;
        }
        any_bytes = true;
        if chunk.contains(&0) {
            return Err(ReadError::Binary(file_path.to_string()));
        }
        let text =
            std::str::from_utf8(&chunk).map_err(|_| ReadError::Binary(file_path.to_string()))?;
        for line in split_lines(text) {
            if total >= offset && shown.len() < limit {
                shown.push(format!("{:>6}\t{line}", total + 1));
            }
            total += 1;
        }
        if shown.len() >= limit {
            break;
        }
    }
    if !any_bytes {
        return Ok(EMPTY_FILE_NOTICE.to_string());
    }
    if offset > 0 && offset >= total {
        return Err(ReadError::OffsetPastEnd { offset, total });
    }
    Ok(shown.join("\n"))
}

/// Python's `str.splitlines()`: `\n`, `\r\n`, `\r`, `\v`, `\f`, `\x1c`–`\x1e`, `\x85`, U+2028
/// and U+2029 end a line; a final separator adds no empty line.
pub fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let is_break = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !is_break {
            continue;
        }
        lines.push(&text[start..i]);
        let mut end = i + c.len_utf8();
        if c == '\r'
            && let Some(&(j, '\n')) = chars.peek()
        {
            chars.next();
            end = j + 1;
        }
        start = end;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

/// Reads a tool's JSON arguments into `T` (a JSON object, or a string holding one).
///
/// # Errors
/// The error answer `ERROR: Invalid arguments: …` when they do not fit.
pub fn parse_args<T: DeserializeOwned>(args: Value) -> Result<T, ToolOutput> {
    let args = match args {
        Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::String(text)),
        Value::Null => Value::Object(serde_json::Map::new()),
        other => other,
    };
    serde_json::from_value(args)
        .map_err(|e| ToolOutput::error(format!("ERROR: Invalid arguments: {e}")))
}

/// An optional integer that may arrive as a number, an integral float or a numeric string.
///
/// # Errors
/// When the value is none of those.
pub fn lax_opt_i64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
    let value = Option::<Value>::deserialize(de)?;
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                    .map(|f| f as i64)
            })
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("expected an integer, got {n}"))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("expected an integer, got {s:?}"))),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected an integer, got {other}"
        ))),
    }
}

/// An optional boolean that may arrive as `true`/`false`, `"true"`/`"false"` or `0`/`1`.
///
/// # Errors
/// When the value is none of those.
pub fn lax_opt_bool<'de, D: Deserializer<'de>>(de: D) -> Result<Option<bool>, D::Error> {
    let value = Option::<Value>::deserialize(de)?;
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(Value::Number(n)) if n.as_i64() == Some(0) => Ok(Some(false)),
        Some(Value::Number(n)) if n.as_i64() == Some(1) => Ok(Some(true)),
        Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Ok(Some(true)),
            "false" | "no" | "0" | "off" | "" => Ok(Some(false)),
            _ => Err(serde::de::Error::custom(format!(
                "expected a boolean, got {s:?}"
            ))),
        },
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a boolean, got {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_lines_is_pythons() {
        assert_eq!(split_lines("a\nb"), vec!["a", "b"]);
        assert_eq!(split_lines("a\nb\n"), vec!["a", "b"]);
        assert_eq!(split_lines("a\r\nb\rc"), vec!["a", "b", "c"]);
        assert_eq!(split_lines("a\r\rb"), vec!["a", "", "b"]);
        assert_eq!(split_lines("\n"), vec![""]);
        assert_eq!(split_lines(""), Vec::<&str>::new());
        assert_eq!(split_lines("x\u{2028}y\u{0c}z"), vec!["x", "y", "z"]);
    }

    #[derive(Debug, Deserialize)]
    struct Lax {
        #[serde(default, deserialize_with = "lax_opt_i64")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "lax_opt_bool")]
        b: Option<bool>,
    }

    #[test]
    fn lax_numbers_and_booleans() {
        let v: Lax = parse_args(json!({"n": "12", "b": "true"})).unwrap();
        assert_eq!((v.n, v.b), (Some(12), Some(true)));
        let v: Lax = parse_args(json!({"n": 3.0, "b": 0})).unwrap();
        assert_eq!((v.n, v.b), (Some(3), Some(false)));
        let v: Lax = parse_args(json!({"n": null})).unwrap();
        assert_eq!((v.n, v.b), (None, None));
        let v: Lax = parse_args(Value::String(r#"{"n": 5}"#.into())).unwrap();
        assert_eq!(v.n, Some(5));
        let err = parse_args::<Lax>(json!({"n": "x"})).unwrap_err();
        assert!(err.is_error);
        assert!(
            err.text().starts_with("ERROR: Invalid arguments: "),
            "{}",
            err.text()
        );
        assert!(parse_args::<Lax>(json!({"n": 1.5})).is_err());
    }
}
