//! `glob` (upstream's `tools/glob.py` over `PTCSandbox.aglob_files`) and `ls` (deepagents'
//! `ls` over upstream's `DaytonaBackend.als_info`), run in-process on the host workspace with
//! `globset` and `walkdir`: no shell, symlinks neither followed nor listed.
//!
//! Upstream ran Python's `glob.glob(recursive=True)`; the differences: brace alternatives
//! (`*.{js,ts}`) work, hidden names (a leading `.`) are skipped unless the pattern names one,
//! and an absolute pattern (`/tools/docs/*.md`) is a virtual path (upstream's joined to the
//! sandbox's real `/`).

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use globset::GlobBuilder;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use walkdir::WalkDir;

use super::read::parse_args;
use super::{Tool, ToolCx, ToolOutput};
use crate::llm::ToolSpec;
use crate::sandbox::paths::{PathError, VirtualFs};

/// Most files a `glob` answer lists (the count still says how many matched).
pub const DEFAULT_MAX_RESULTS: usize = 1000;
/// Most directory entries one walk visits before it stops.
pub const MAX_WALK_ENTRIES: usize = 200_000;

const GLOB_DESCRIPTION: &str = "Find files matching a glob pattern.

Use for: Finding files by name. For content search, use Grep.

Args:
    pattern: Glob pattern (e.g., \"**/*.py\", \"*.{js,ts}\")
    path: Search directory (default: current directory)

Returns:
    Matching file paths sorted by modification time, or ERROR";

const LS_DESCRIPTION: &str = "Lists all files in a directory.

This is useful for exploring the filesystem and finding the right file to read or edit.
You should almost ALWAYS use this tool before using the read_file or edit_file tools.";

/// The `glob` tool.
#[derive(Debug, Clone)]
pub struct GlobTool {
    fs: Arc<VirtualFs>,
    max_results: usize,
}

impl GlobTool {
    /// Globs in `fs`, listing at most [`DEFAULT_MAX_RESULTS`] files.
    pub fn new(fs: Arc<VirtualFs>) -> Self {
        Self {
            fs,
            max_results: DEFAULT_MAX_RESULTS,
        }
    }

    /// Lists at most `n` files per answer.
    #[must_use]
    pub fn with_max_results(mut self, n: usize) -> Self {
        self.max_results = n.max(1);
        self
    }
}

#[derive(Debug, Deserialize)]
struct GlobArgs {
    pattern: String,
    #[serde(default)]
    path: Option<String>,
}

#[async_trait]
impl Tool for GlobTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "glob".to_string(),
            description: GLOB_DESCRIPTION.to_string(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string", "description": "Glob pattern (e.g., \"**/*.py\", \"*.{js,ts}\")"},
                    "path": {"type": "string", "description": "Search directory (default: current directory)"}
                },
                "required": ["pattern"]
            }),
        }
    }

    async fn call(&self, args: Value, cx: &ToolCx) -> ToolOutput {
        let args: GlobArgs = match parse_args(args) {
            Ok(args) => args,
            Err(out) => return out,
        };
        let fs = Arc::clone(&self.fs);
        let max = self.max_results;
        let cancel = cx.cancel.clone();
        let result = tokio::task::spawn_blocking(move || run_glob(&fs, &args, max, &cancel)).await;
        match result {
            Ok(out) => out,
            Err(e) => ToolOutput::error(format!("ERROR: Failed to glob files: {e}")),
        }
    }
}

fn run_glob(fs: &VirtualFs, args: &GlobArgs, max: usize, cancel: &CancellationToken) -> ToolOutput {
    let search_path = args.path.clone().unwrap_or_else(|| ".".to_string());
    let pattern = &args.pattern;
    let effective = if pattern.contains("**") || pattern.contains('/') {
        pattern.clone()
    } else {
        format!("**/{pattern}")
    };
    let (prefix, rest) = split_literal_prefix(&effective);
    // The directory to walk: the pattern's literal leading directories joined to the search
    // path (an absolute pattern is a virtual path of its own, as Python's `os.path.join` did).
    let base_input = if effective.starts_with('/') {
        format!("/{prefix}")
    } else if prefix.is_empty() {
        search_path.clone()
    } else {
        format!("{}/{prefix}", search_path.trim_end_matches('/'))
    };
    let none = || {
        ToolOutput::ok(format!(
            "No files matching pattern '{pattern}' found in '{search_path}'"
        ))
    };
    let host = match fs.resolve(&base_input) {
        Ok(host) => host,
        Err(PathError::AccessDenied(_)) => {
            return ToolOutput::error(format!("ERROR: {}", PathError::AccessDenied(base_input)));
        }
        Err(e) => return ToolOutput::error(format!("ERROR: Failed to glob files: {e}")),
    };
    if !host.is_dir() {
        return none();
    }
    let matcher = match GlobBuilder::new(&rest)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
    {
        Ok(glob) => glob.compile_matcher(),
        Err(e) => return ToolOutput::error(format!("ERROR: Invalid glob pattern: {e}")),
    };
    let allow_hidden = rest.split('/').any(|c| c.starts_with('.'));
    let mut walker = WalkDir::new(&host)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name();
    if !rest.contains("**") {
        walker = walker.max_depth(rest.split('/').count());
    }
    let virtual_base = fs.virtualize(&fs.normalize(&base_input));
    let mut found: Vec<(SystemTime, String)> = Vec::new();
    let walk = walker
        .into_iter()
        .filter_entry(|e| allow_hidden || !is_hidden(e));
    for (visited, entry) in walk.enumerate() {
        if visited >= MAX_WALK_ENTRIES {
            break;
        }
        if visited % 256 == 0 && cancel.is_cancelled() {
            return ToolOutput::error("ERROR: Failed to glob files: cancelled");
        }
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(&host) else {
            continue;
        };
        let rel = rel_string(rel);
        if !matcher.is_match(&rel) {
            continue;
        }
        let mtime = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .unwrap_or(SystemTime::UNIX_EPOCH);
        found.push((mtime, join_virtual(&virtual_base, &rel)));
    }
    if found.is_empty() {
        return none();
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let total = found.len();
    let mut out = format!("Found {total} file(s) matching '{pattern}':\n");
    for (_, path) in found.iter().take(max) {
        out.push_str(path);
        out.push('\n');
    }
    if total > max {
        out.push_str(&format!(
            "(Results truncated: showing the {max} newest of {total} files)"
        ));
    }
    ToolOutput::ok(out.trim_end())
}

/// Splits a glob into its leading literal directories and the rest (which keeps at least the
/// last component): `tools/docs/*.md` → (`tools/docs`, `*.md`).
fn split_literal_prefix(pattern: &str) -> (String, String) {
    let comps: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let literal = comps
        .iter()
        .take(comps.len().saturating_sub(1))
        .take_while(|c| !c.contains(['*', '?', '[', '{', '\\']))
        .count();
    (comps[..literal].join("/"), comps[literal..].join("/"))
}

fn is_hidden(entry: &walkdir::DirEntry) -> bool {
    entry.depth() > 0 && entry.file_name().to_string_lossy().starts_with('.')
}

/// A relative host path with `/` separators.
pub(crate) fn rel_string(rel: &std::path::Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// `base` (a virtual directory) joined with a relative path.
pub(crate) fn join_virtual(base: &str, rel: &str) -> String {
    if rel.is_empty() {
        base.to_string()
    } else if base.ends_with('/') {
        format!("{base}{rel}")
    } else {
        format!("{base}/{rel}")
    }
}

/// The `ls` tool: the entries of one directory as a Python list of virtual paths (directories
/// end with `/`), or `No files found`.
#[derive(Debug, Clone)]
pub struct LsTool {
    fs: Arc<VirtualFs>,
    max_results: usize,
}

impl LsTool {
    /// Lists directories of `fs`, at most [`DEFAULT_MAX_RESULTS`] entries.
    pub fn new(fs: Arc<VirtualFs>) -> Self {
        Self {
            fs,
            max_results: DEFAULT_MAX_RESULTS,
        }
    }
}

#[derive(Debug, Deserialize)]
struct LsArgs {
    #[serde(default)]
    path: Option<String>,
}

#[async_trait]
impl Tool for LsTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "ls".to_string(),
            description: LS_DESCRIPTION.to_string(),
            parameters: json!({
                "type": "object",
                "properties": {"path": {"type": "string"}},
                "required": ["path"]
            }),
        }
    }

    async fn call(&self, args: Value, _cx: &ToolCx) -> ToolOutput {
        let args: LsArgs = match parse_args(args) {
            Ok(args) => args,
            Err(out) => return out,
        };
        let fs = Arc::clone(&self.fs);
        let max = self.max_results;
        let result = tokio::task::spawn_blocking(move || {
            list_dir(&fs, args.path.as_deref().unwrap_or("/"), max)
        })
        .await;
        match result {
            Ok(Ok(text)) => ToolOutput::ok(text),
            Ok(Err(e)) => ToolOutput::error(format!("ERROR: {e}")),
            Err(e) => ToolOutput::error(format!("ERROR: Failed to list directory: {e}")),
        }
    }
}

fn list_dir(fs: &VirtualFs, path: &str, max: usize) -> Result<String, PathError> {
    let host = fs.resolve(path)?;
    let Ok(entries) = std::fs::read_dir(&host) else {
        return Ok("No files found".to_string());
    };
    let base = fs.virtualize(&fs.normalize(path));
    let mut items: Vec<(String, bool)> = entries
        .filter_map(Result::ok)
        .map(|e| {
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            (e.file_name().to_string_lossy().into_owned(), is_dir)
        })
        .collect();
    if items.is_empty() {
        return Ok("No files found".to_string());
    }
    items.sort();
    let total = items.len();
    let shown: Vec<String> = items
        .iter()
        .take(max)
        .map(|(name, is_dir)| {
            let mut p = join_virtual(&base, name);
            if *is_dir {
                p.push('/');
            }
            crate::mcp::python::str_repr(&p)
        })
        .collect();
    let mut out = format!("[{}]", shown.join(", "));
    if total > max {
        out.push_str(&format!(
            "\n(Results truncated: showing {max} of {total} entries)"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_prefix_split() {
        let s = |p: &str| split_literal_prefix(p);
        assert_eq!(s("tools/docs/*.md"), ("tools/docs".into(), "*.md".into()));
        assert_eq!(s("**/*.py"), (String::new(), "**/*.py".into()));
        assert_eq!(s("a/b.txt"), ("a".into(), "b.txt".into()));
        assert_eq!(s("/x/*/y"), ("x".into(), "*/y".into()));
        assert_eq!(s("a/{b,c}/d"), ("a".into(), "{b,c}/d".into()));
    }

    #[test]
    fn python_repr() {
        assert_eq!(crate::mcp::python::str_repr("/a b/"), "'/a b/'");
        assert_eq!(crate::mcp::python::str_repr("it's"), "\"it's\"");
        assert_eq!(crate::mcp::python::str_repr("a'\"b"), "'a\\'\"b'");
        assert_eq!(crate::mcp::python::str_repr("x\ny\\"), "'x\\ny\\\\'");
    }
}
