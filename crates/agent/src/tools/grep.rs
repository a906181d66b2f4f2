//! `grep`: regex search of workspace files (upstream's `tools/grep.py` over
//! `PTCSandbox.agrep_content`), in-process with `regex`, `walkdir` and `globset` instead of a
//! shell `rg` command, printing what `rg --no-heading` printed with virtual paths.
//!
//! Like rg: hidden names (a leading `.`) and binary files (a NUL byte) are skipped while
//! walking, symlinks are not followed, `^`/`$` match at line ends, `-A`/`-B` win over `-C`,
//! context groups are separated by `--`, and a single file given as `path` is printed without its
//! name in `content` mode. Unlike rg: files are visited in path order (rg's order is whatever its
//! threads produce), `.gitignore`/`.ignore` files are not read, files over `max_file_size` are
//! skipped, and `count` mode always names the file.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use walkdir::WalkDir;

use super::glob::{MAX_WALK_ENTRIES, join_virtual, rel_string};
use super::read::{lax_opt_bool, lax_opt_i64, parse_args};
use super::{Tool, ToolCx, ToolOutput};
use crate::llm::ToolSpec;
use crate::sandbox::paths::{DEFAULT_MAX_FILE_SIZE, PathError, VirtualFs, open_regular};

/// Most result lines (after `offset`) one answer holds before it is cut with a note.
pub const DEFAULT_MAX_RESULTS: usize = 2000;

const DESCRIPTION: &str = "Search file contents using ripgrep regex.

Use for: Content search in files
NOT for: bash grep/rg commands

Args:
    pattern: Regex pattern to search
    path: Directory or file (default: \".\")
    output_mode: \"files_with_matches\" | \"content\" | \"count\"
    glob: File filter (e.g., \"*.py\")
    type: File type filter (e.g., \"py\", \"js\") - matches rg --type
    i: Case insensitive search
    n: Show line numbers in output
    A: Lines to show after each match
    B: Lines to show before each match
    C: Lines of context (before and after)
    multiline: Pattern spans multiple lines
    head_limit: Limit number of results
    offset: Skip first N results

Returns:
    Search results or ERROR";

/// rg's file types (the common ones), as globs on the file name.
const FILE_TYPES: &[(&str, &[&str])] = &[
    ("c", &["*.[chH]", "*.[chH].in", "*.cats"]),
    (
        "cpp",
        &[
            "*.[ChH]",
            "*.cc",
            "*.[ch]pp",
            "*.[ch]xx",
            "*.hh",
            "*.inl",
            "*.[ChH].in",
            "*.cc.in",
            "*.[ch]pp.in",
            "*.[ch]xx.in",
            "*.hh.in",
        ],
    ),
    ("css", &["*.css", "*.scss"]),
    ("csv", &["*.csv"]),
    ("go", &["*.go"]),
    ("html", &["*.htm", "*.html", "*.ejs"]),
    ("java", &["*.java", "*.jsp", "*.jspx", "*.properties"]),
    ("js", &["*.js", "*.jsx", "*.vue", "*.cjs", "*.mjs"]),
    ("json", &["*.json", "composer.lock", "*.sarif"]),
    ("jsonl", &["*.jsonl"]),
    (
        "markdown",
        &[
            "*.markdown",
            "*.md",
            "*.mdown",
            "*.mdwn",
            "*.mkd",
            "*.mkdn",
            "*.mdx",
        ],
    ),
    (
        "md",
        &[
            "*.markdown",
            "*.md",
            "*.mdown",
            "*.mdwn",
            "*.mkd",
            "*.mkdn",
            "*.mdx",
        ],
    ),
    ("py", &["*.py", "*.pyi"]),
    ("rust", &["*.rs"]),
    (
        "sh",
        &[
            "*.bash",
            "*.bashrc",
            ".bash_login",
            ".bash_logout",
            ".bash_profile",
            "*.csh",
            ".cshrc",
            "*.ksh",
            ".kshrc",
            "*.sh",
            ".profile",
            "*.zsh",
            ".zshrc",
            ".zprofile",
        ],
    ),
    ("sql", &["*.sql", "*.psql"]),
    ("toml", &["*.toml", "Cargo.lock"]),
    ("ts", &["*.ts", "*.tsx", "*.cts", "*.mts"]),
    ("txt", &["*.txt"]),
    (
        "xml",
        &[
            "*.xml",
            "*.xml.dist",
            "*.dtd",
            "*.xsl",
            "*.xslt",
            "*.xsd",
            "*.svg",
        ],
    ),
    ("yaml", &["*.yaml", "*.yml"]),
];

/// The `grep` tool.
#[derive(Debug, Clone)]
pub struct GrepTool {
    fs: Arc<VirtualFs>,
    max_file_size: u64,
    max_results: usize,
}

impl GrepTool {
    /// Searches `fs`: files over [`DEFAULT_MAX_FILE_SIZE`] are skipped, answers hold at most
    /// [`DEFAULT_MAX_RESULTS`] lines.
    pub fn new(fs: Arc<VirtualFs>) -> Self {
        Self {
            fs,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_results: DEFAULT_MAX_RESULTS,
        }
    }

    /// Skips files larger than `bytes`.
    #[must_use]
    pub fn with_max_file_size(mut self, bytes: u64) -> Self {
        self.max_file_size = bytes;
        self
    }

    /// Cuts answers after `n` result lines.
    #[must_use]
    pub fn with_max_results(mut self, n: usize) -> Self {
        self.max_results = n.max(1);
        self
    }
}

#[derive(Debug, Deserialize)]
struct GrepArgs {
    pattern: String,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    output_mode: Option<String>,
    #[serde(default)]
    glob: Option<String>,
    #[serde(default, rename = "type")]
    file_type: Option<String>,
    #[serde(default, deserialize_with = "lax_opt_bool")]
    i: Option<bool>,
    #[serde(default, deserialize_with = "lax_opt_bool")]
    n: Option<bool>,
    #[serde(default, rename = "A", deserialize_with = "lax_opt_i64")]
    after: Option<i64>,
    #[serde(default, rename = "B", deserialize_with = "lax_opt_i64")]
    before: Option<i64>,
    #[serde(default, rename = "C", deserialize_with = "lax_opt_i64")]
    context: Option<i64>,
    #[serde(default, deserialize_with = "lax_opt_bool")]
    multiline: Option<bool>,
    #[serde(default, deserialize_with = "lax_opt_i64")]
    head_limit: Option<i64>,
    #[serde(default, deserialize_with = "lax_opt_i64")]
    offset: Option<i64>,
}

/// What to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Files,
    Content,
    Count,
}

/// One search, checked and ready to run.
struct Search {
    regex: Regex,
    mode: Mode,
    line_numbers: bool,
    before: usize,
    after: usize,
    multiline: bool,
    filter: FileFilter,
    max_file_size: u64,
    /// Stop once this many result lines exist (`offset` + `head_limit` or the cap, plus one).
    want: usize,
}

/// Which walked files are searched (`glob` and `type`).
#[derive(Default)]
struct FileFilter {
    /// `--glob X`: files whose name (or, with a `/`, relative path) matches.
    include: Option<(GlobMatcher, bool)>,
    /// `--glob !X`: files and directories that match are skipped.
    exclude: Option<(GlobMatcher, bool)>,
    /// `--type T`: file names.
    types: Option<GlobSet>,
}

impl FileFilter {
    fn build(glob: Option<&str>, file_type: Option<&str>) -> Result<Self, String> {
        let mut filter = Self::default();
        if let Some(glob) = glob.map(str::trim).filter(|g| !g.is_empty()) {
            let (negated, body) = match glob.strip_prefix('!') {
                Some(body) => (true, body),
                None => (false, glob),
            };
            let anchored = body.contains('/');
            let body = body.trim_start_matches('/');
            let matcher = GlobBuilder::new(body)
                .literal_separator(anchored)
                .backslash_escape(true)
                .build()
                .map_err(|e| format!("Invalid glob pattern: {e}"))?
                .compile_matcher();
            if negated {
                filter.exclude = Some((matcher, anchored));
            } else {
                filter.include = Some((matcher, anchored));
            }
        }
        if let Some(name) = file_type.map(str::trim).filter(|t| !t.is_empty()) {
            let globs = FILE_TYPES
                .iter()
                .find(|(t, _)| *t == name)
                .map(|(_, globs)| *globs)
                .ok_or_else(|| format!("unrecognized file type: {name}"))?;
            let mut set = GlobSetBuilder::new();
            for g in globs {
                set.add(Glob::new(g).map_err(|e| format!("Invalid glob pattern: {e}"))?);
            }
            filter.types = Some(
                set.build()
                    .map_err(|e| format!("Invalid glob pattern: {e}"))?,
            );
        }
        Ok(filter)
    }

    fn matches(m: &(GlobMatcher, bool), rel: &str, name: &str) -> bool {
        if m.1 {
            m.0.is_match(rel)
        } else {
            m.0.is_match(name)
        }
    }

    fn skip_dir(&self, rel: &str, name: &str) -> bool {
        self.exclude
            .as_ref()
            .is_some_and(|m| Self::matches(m, rel, name))
    }

    fn keep_file(&self, rel: &str, name: &str) -> bool {
        if self.skip_dir(rel, name) {
            return false;
        }
        if let Some(m) = &self.include
            && !Self::matches(m, rel, name)
        {
            return false;
        }
        self.types.as_ref().is_none_or(|set| set.is_match(name))
    }
}

#[async_trait]
impl Tool for GrepTool {
    fn spec(&self) -> ToolSpec {
        ToolSpec {
            name: "grep".to_string(),
            description: DESCRIPTION.to_string(),
            parameters: json!({
                "type": "object",
                "properties": {
                    "pattern": {"type": "string", "description": "Regex pattern to search"},
                    "path": {"type": "string", "description": "Directory or file (default: \".\")"},
                    "output_mode": {
                        "type": "string",
                        "enum": ["files_with_matches", "content", "count"],
                        "default": "files_with_matches",
                        "description": "\"files_with_matches\" | \"content\" | \"count\""
                    },
                    "glob": {"type": "string", "description": "File filter (e.g., \"*.py\")"},
                    "type": {"type": "string", "description": "File type filter (e.g., \"py\", \"js\") - matches rg --type"},
                    "i": {"type": "boolean", "default": false, "description": "Case insensitive search"},
                    "n": {"type": "boolean", "default": true, "description": "Show line numbers in output"},
                    "A": {"type": "integer", "description": "Lines to show after each match"},
                    "B": {"type": "integer", "description": "Lines to show before each match"},
                    "C": {"type": "integer", "description": "Lines of context (before and after)"},
                    "multiline": {"type": "boolean", "default": false, "description": "Pattern spans multiple lines"},
                    "head_limit": {"type": "integer", "description": "Limit number of results"},
                    "offset": {"type": "integer", "default": 0, "description": "Skip first N results"}
                },
                "required": ["pattern"]
            }),
        }
    }

    async fn call(&self, args: Value, cx: &ToolCx) -> ToolOutput {
        let args: GrepArgs = match parse_args(args) {
            Ok(args) => args,
            Err(out) => return out,
        };
        let fs = Arc::clone(&self.fs);
        let cancel = cx.cancel.clone();
        let (max_file_size, max_results) = (self.max_file_size, self.max_results);
        let result = tokio::task::spawn_blocking(move || {
            run_grep(&fs, &args, max_file_size, max_results, &cancel)
        })
        .await;
        match result {
            Ok(out) => out,
            Err(e) => ToolOutput::error(format!("ERROR: Failed to grep content: {e}")),
        }
    }
}

fn count(v: Option<i64>) -> usize {
    v.and_then(|n| usize::try_from(n).ok()).unwrap_or(0)
}

fn run_grep(
    fs: &VirtualFs,
    args: &GrepArgs,
    max_file_size: u64,
    max_results: usize,
    cancel: &CancellationToken,
) -> ToolOutput {
    let pattern = &args.pattern;
    let multiline = args.multiline.unwrap_or(false);
    let regex = match RegexBuilder::new(pattern)
        .case_insensitive(args.i.unwrap_or(false))
        .multi_line(true)
        .dot_matches_new_line(multiline)
        .build()
    {
        Ok(regex) => regex,
        Err(e) => return ToolOutput::error(format!("ERROR: Invalid regex pattern: {e}")),
    };
    let search_path = args.path.clone().unwrap_or_else(|| ".".to_string());
    let mode = match args.output_mode.as_deref() {
        None | Some("files_with_matches") => Mode::Files,
        Some("content") => Mode::Content,
        Some("count") => Mode::Count,
        Some(other) => {
            return ToolOutput::error(format!(
                "ERROR: Invalid output_mode: '{other}' (expected 'files_with_matches', 'content' or 'count')"
            ));
        }
    };
    let filter = match FileFilter::build(args.glob.as_deref(), args.file_type.as_deref()) {
        Ok(filter) => filter,
        Err(e) => return ToolOutput::error(format!("ERROR: {e}")),
    };
    let host = match fs.resolve(&search_path) {
        Ok(host) => host,
        Err(e @ PathError::AccessDenied(_)) => return ToolOutput::error(format!("ERROR: {e}")),
        Err(e) => return ToolOutput::error(format!("ERROR: Failed to grep content: {e}")),
    };
    let offset = count(args.offset);
    let head_limit = count(args.head_limit);
    let limit = if head_limit > 0 {
        head_limit
    } else {
        usize::MAX
    };
    let cap = limit.min(max_results);
    let context = count(args.context);
    let search = Search {
        regex,
        mode,
        line_numbers: args.n.unwrap_or(true),
        before: if count(args.before) > 0 {
            count(args.before)
        } else {
            context
        },
        after: if count(args.after) > 0 {
            count(args.after)
        } else {
            context
        },
        multiline,
        filter,
        max_file_size,
        want: offset.saturating_add(cap).saturating_add(1),
    };
    let base = fs.virtualize(&fs.normalize(&search_path));
    let lines = match collect(&search, &host, &base, cancel) {
        Ok(lines) => lines,
        Err(e) => return ToolOutput::error(format!("ERROR: Failed to grep content: {e}")),
    };
    let mut lines: Vec<String> = lines.into_iter().skip(offset).collect();
    let truncated = lines.len() > cap && cap < limit;
    lines.truncate(cap);
    if lines.is_empty() {
        return ToolOutput::ok(format!(
            "No matches found for pattern '{pattern}' in '{search_path}'"
        ));
    }
    let mut out = match mode {
        Mode::Files => format!("Found matches in {} file(s):\n", lines.len()),
        Mode::Content => format!("Matches for pattern '{pattern}':\n\n"),
        Mode::Count => format!("Match counts for pattern '{pattern}':\n"),
    };
    for line in &lines {
        out.push_str(line);
        out.push('\n');
    }
    if truncated {
        out.push_str(&format!(
            "(Results truncated at {cap} lines; narrow the search or page with offset/head_limit)"
        ));
    }
    ToolOutput::ok(out.trim_end())
}

/// The result lines (before `offset`/`head_limit`), at most `search.want` of them.
fn collect(
    search: &Search,
    host: &Path,
    base: &str,
    cancel: &CancellationToken,
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let Ok(meta) = std::fs::metadata(host) else {
        return Ok(out);
    };
    if meta.is_file() {
        search_file(search, host, base, false, &mut out);
        return Ok(out);
    }
    if !meta.is_dir() {
        return Ok(out);
    }
    let walk = WalkDir::new(host)
        .min_depth(1)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            if e.depth() > 0 && name.starts_with('.') {
                return false;
            }
            if e.file_type().is_dir() {
                let rel = e
                    .path()
                    .strip_prefix(host)
                    .map(rel_string)
                    .unwrap_or_default();
                return !search.filter.skip_dir(&rel, &name);
            }
            true
        });
    for (visited, entry) in walk.enumerate() {
        if visited >= MAX_WALK_ENTRIES || out.len() >= search.want {
            break;
        }
        if visited % 64 == 0 && cancel.is_cancelled() {
            return Err("cancelled".to_string());
        }
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(host) else {
            continue;
        };
        let rel = rel_string(rel);
        let name = entry.file_name().to_string_lossy();
        if !search.filter.keep_file(&rel, &name) {
            continue;
        }
        let shown = join_virtual(base, &rel);
        search_file(search, entry.path(), &shown, true, &mut out);
    }
    out.truncate(search.want);
    Ok(out)
}

/// Searches one file and appends its result lines; unreadable, oversized and binary files add
/// nothing.
fn search_file(search: &Search, host: &Path, shown: &str, with_name: bool, out: &mut Vec<String>) {
    let Some(buf) = read_text(host, search.max_file_size) else {
        return;
    };
    let lines = LineIndex::new(&buf);
    let matched = matched_lines(search, &buf, &lines);
    if matched.is_empty() {
        return;
    }
    match search.mode {
        Mode::Files => out.push(shown.to_string()),
        Mode::Count => out.push(format!("{shown}: {}", matched.len())),
        Mode::Content => {
            let context = search.before > 0 || search.after > 0;
            if context && !out.is_empty() {
                out.push("--".to_string());
            }
            let name = with_name.then_some(shown);
            print_groups(search, &buf, &lines, &matched, name, out);
        }
    }
}

/// The file's bytes, or `None` when it cannot be opened as a regular file, is larger than
/// `max`, or holds a NUL byte (binary).
fn read_text(host: &Path, max: u64) -> Option<Vec<u8>> {
    let file = open_regular(host, false).ok()?;
    if file.metadata().ok()?.len() > max {
        return None;
    }
    let mut buf = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .ok()?;
    if buf.len() as u64 > max || buf.contains(&0) {
        return None;
    }
    Some(buf)
}

/// Where each line starts.
struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    fn new(buf: &[u8]) -> Self {
        let mut starts = vec![0];
        for (i, b) in buf.iter().enumerate() {
            if *b == b'\n' && i + 1 < buf.len() {
                starts.push(i + 1);
            }
        }
        if buf.is_empty() {
            starts.clear();
        }
        Self {
            starts,
            len: buf.len(),
        }
    }

    fn count(&self) -> usize {
        self.starts.len()
    }

    /// Line `i` without its `\n` (and without a `\r` before it).
    fn line<'a>(&self, buf: &'a [u8], i: usize) -> &'a [u8] {
        let start = self.starts[i];
        let end = self.starts.get(i + 1).copied().unwrap_or(self.len);
        let mut line = &buf[start..end];
        if let Some(rest) = line.strip_suffix(b"\n") {
            line = rest;
        }
        line.strip_suffix(b"\r").unwrap_or(line)
    }

    /// The line holding byte `pos`.
    fn line_of(&self, pos: usize) -> usize {
        self.starts.partition_point(|s| *s <= pos).saturating_sub(1)
    }
}

/// The (sorted) indexes of the lines with a match.
fn matched_lines(search: &Search, buf: &[u8], lines: &LineIndex) -> Vec<usize> {
    if !search.multiline {
        return (0..lines.count())
            .filter(|i| search.regex.is_match(lines.line(buf, *i)))
            .collect();
    }
    let mut matched = Vec::new();
    for m in search.regex.find_iter(buf) {
        if lines.count() == 0 || (m.start() == buf.len() && buf.ends_with(b"\n")) {
            continue;
        }
        let first = lines.line_of(m.start());
        let last = lines.line_of(m.end().saturating_sub(1).max(m.start()));
        for i in first..=last {
            if matched.last() != Some(&i) {
                matched.push(i);
            }
        }
    }
    matched.dedup();
    matched
}

/// `rg -n -B/-A` output for one file: match lines `name:line:text`, context lines
/// `name-line-text`, `--` between groups that are not adjacent.
fn print_groups(
    search: &Search,
    buf: &[u8],
    lines: &LineIndex,
    matched: &[usize],
    name: Option<&str>,
    out: &mut Vec<String>,
) {
    let format = |i: usize, sep: char| {
        let text = String::from_utf8_lossy(lines.line(buf, i));
        let mut line = String::new();
        if let Some(name) = name {
            line.push_str(name);
            line.push(sep);
        }
        if search.line_numbers {
            line.push_str(&(i + 1).to_string());
            line.push(sep);
        }
        line.push_str(&text);
        line
    };
    let mut next_unprinted = 0usize;
    let mut printed_any = false;
    for (k, &i) in matched.iter().enumerate() {
        let from = i.saturating_sub(search.before).max(next_unprinted);
        if printed_any && from > next_unprinted && (search.before > 0 || search.after > 0) {
            out.push("--".to_string());
        }
        for c in from..i {
            out.push(format(c, '-'));
        }
        out.push(format(i, ':'));
        next_unprinted = i + 1;
        printed_any = true;
        let next_match = matched.get(k + 1).copied().unwrap_or(usize::MAX);
        let until = (i + 1 + search.after).min(lines.count()).min(next_match);
        for c in next_unprinted..until {
            out.push(format(c, '-'));
        }
        next_unprinted = next_unprinted.max(until);
        if out.len() >= search.want {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(pattern: &str, multiline: bool, before: usize, after: usize) -> Search {
        Search {
            regex: RegexBuilder::new(pattern)
                .multi_line(true)
                .dot_matches_new_line(multiline)
                .build()
                .unwrap(),
            mode: Mode::Content,
            line_numbers: true,
            before,
            after,
            multiline,
            filter: FileFilter::default(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            want: usize::MAX,
        }
    }

    fn run(s: &Search, text: &str) -> Vec<String> {
        let buf = text.as_bytes();
        let lines = LineIndex::new(buf);
        let matched = matched_lines(s, buf, &lines);
        let mut out = Vec::new();
        print_groups(s, buf, &lines, &matched, Some("/f"), &mut out);
        out
    }

    #[test]
    fn context_groups_merge_and_separate() {
        let text = "a\nX\nb\nc\nd\ne\nX\nf\n";
        let out = run(&search("X", false, 1, 1), text);
        assert_eq!(
            out,
            vec![
                "/f-1-a", "/f:2:X", "/f-3-b", "--", "/f-6-e", "/f:7:X", "/f-8-f"
            ]
        );
        let out = run(&search("X", false, 2, 2), "X\na\nX\nb\n");
        assert_eq!(out, vec!["/f:1:X", "/f-2-a", "/f:3:X", "/f-4-b"]);
    }

    #[test]
    fn multiline_marks_every_line_of_a_match() {
        let out = run(&search("b.c", true, 0, 0), "a\nb\nc\nd\n");
        assert_eq!(out, vec!["/f:2:b", "/f:3:c"]);
        let out = run(&search("b.c", false, 0, 0), "a\nb\nc\nd\n");
        assert!(out.is_empty());
        let out = run(&search("^c$", false, 0, 0), "a\r\nc\r\n");
        assert_eq!(out, vec!["/f:2:c"]);
    }

    #[test]
    fn line_index_edges() {
        let idx = LineIndex::new(b"");
        assert_eq!(idx.count(), 0);
        let idx = LineIndex::new(b"one");
        assert_eq!(idx.count(), 1);
        let idx = LineIndex::new(b"a\nb\n");
        assert_eq!(idx.count(), 2);
        assert_eq!(idx.line_of(2), 1);
        assert_eq!(idx.line(b"a\nb\n", 1), b"b");
    }

    #[test]
    fn filters_follow_rg() {
        let f = FileFilter::build(Some("*.py"), None).unwrap();
        assert!(f.keep_file("sub/x.py", "x.py"));
        assert!(!f.keep_file("x.txt", "x.txt"));
        let f = FileFilter::build(Some("sub/*.py"), None).unwrap();
        assert!(f.keep_file("sub/x.py", "x.py"));
        assert!(!f.keep_file("other/sub/x.py", "x.py"));
        let f = FileFilter::build(Some("!node_modules"), None).unwrap();
        assert!(f.skip_dir("node_modules", "node_modules"));
        assert!(f.keep_file("a.js", "a.js"));
        let f = FileFilter::build(None, Some("rust")).unwrap();
        assert!(f.keep_file("src/lib.rs", "lib.rs"));
        assert!(!f.keep_file("a.py", "a.py"));
        assert_eq!(
            FileFilter::build(None, Some("cobol")).err().as_deref(),
            Some("unrecognized file type: cobol")
        );
    }
}
