//! The host-side file tools (`read_file`, `write_file`, `edit_file`, `glob`, `grep`, `ls`) on a
//! real temporary workspace: upstream's exact answers, and no way out through `..` or symlinks.
//!
//! Where we differ from upstream on purpose: `..` is resolved (upstream kept it, so
//! `/home/daytona/../../etc/passwd` passed validation); a symlink is followed only when its
//! target stays inside the workspace (reads, writes and edits through it work), and glob/grep
//! walks neither follow nor list symlinks (an explicit path through an inside symlink works).

// Test helpers outside `#[test]` functions set up fixtures; a failure there is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime};

use fba_agent::sandbox::paths::VirtualFs;
use fba_agent::tools::edit::EditFileTool;
use fba_agent::tools::glob::{GlobTool, LsTool};
use fba_agent::tools::grep::GrepTool;
use fba_agent::tools::read::ReadFileTool;
use fba_agent::tools::write::WriteFileTool;
use fba_agent::tools::{Tool, ToolCx, ToolOutput};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// A fresh workspace (and a `/tmp` dir beside it) removed on drop.
struct Ws {
    dir: PathBuf,
}

impl Ws {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "fba-agent-files-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("home")).unwrap();
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        Self { dir }
    }

    fn home(&self) -> PathBuf {
        self.dir.join("home")
    }

    fn tmp(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    fn fs(&self) -> Arc<VirtualFs> {
        Arc::new(VirtualFs::new(self.home()))
    }

    fn fs_with_tmp(&self) -> Arc<VirtualFs> {
        Arc::new(VirtualFs::new(self.home()).with_tmp(self.tmp()))
    }

    fn put(&self, rel: &str, content: &str) -> PathBuf {
        let path = self.home().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        path
    }

    fn get(&self, rel: &str) -> String {
        std::fs::read_to_string(self.home().join(rel)).unwrap()
    }
}

impl Drop for Ws {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn cx() -> ToolCx {
    ToolCx {
        call_id: "call_1".to_string(),
        cancel: CancellationToken::new(),
    }
}

async fn call(tool: &dyn Tool, args: Value) -> ToolOutput {
    tool.call(args, &cx()).await
}

/// The answer's text, asserting it succeeded.
async fn ok(tool: &dyn Tool, args: Value) -> String {
    let out = call(tool, args).await;
    assert!(!out.is_error, "unexpected error: {}", out.text());
    out.text()
}

/// The answer's text, asserting it failed with an `ERROR: ` text.
async fn err(tool: &dyn Tool, args: Value) -> String {
    let out = call(tool, args).await;
    assert!(out.is_error, "expected an error, got: {}", out.text());
    assert!(out.text().starts_with("ERROR: "), "{}", out.text());
    out.text()
}

fn set_mtime(path: &Path, secs_ago: u64) {
    let file = std::fs::File::options().write(true).open(path).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(secs_ago))
        .unwrap();
}

fn denied(path: &str) -> String {
    format!("ERROR: Access denied: {path} is not in allowed directories")
}

// ---------------------------------------------------------------------------------------------
// Paths
// ---------------------------------------------------------------------------------------------

#[test]
fn resolve_maps_virtual_paths_into_the_workspace() {
    let ws = Ws::new();
    let fs = ws.fs_with_tmp();
    let home = std::fs::canonicalize(ws.home()).unwrap();
    let tmp = std::fs::canonicalize(ws.tmp()).unwrap();
    for (input, want) in [
        ("", home.clone()),
        (".", home.clone()),
        ("/", home.clone()),
        ("data/f.txt", home.join("data/f.txt")),
        ("/results/o.txt", home.join("results/o.txt")),
        ("/home/daytona/x.py", home.join("x.py")),
        ("  data//f.txt ", home.join("data/f.txt")),
        ("/home/daytona/data/../t.py", home.join("t.py")),
        ("/tmp/f.txt", tmp.join("f.txt")),
    ] {
        assert_eq!(fs.resolve(input).unwrap(), want, "{input:?}");
    }
    assert_eq!(fs.virtualize(home.join("a/b").to_str().unwrap()), "/a/b");
    assert_eq!(fs.virtualize(tmp.join("a").to_str().unwrap()), "/tmp/a");
}

#[test]
fn dot_dot_out_of_the_workspace_is_refused() {
    let ws = Ws::new();
    let fs = ws.fs_with_tmp();
    for p in [
        "/home/daytona/../../etc/passwd",
        "../../etc/passwd",
        "data/../../../etc",
        "/tmp/../etc/shadow",
        "/results/../../../root",
    ] {
        let e = fs.resolve(p).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("Access denied: {p} is not in allowed directories")
        );
    }
    // Inside stays fine.
    assert!(fs.resolve("a/b/../c").is_ok());
}

#[test]
fn tmp_is_refused_without_a_host_dir_and_inside_the_root_when_not_allowed() {
    let ws = Ws::new();
    let plain = ws.fs();
    let home = std::fs::canonicalize(ws.home()).unwrap();
    assert_eq!(plain.resolve("/tmp/s.txt").unwrap(), home.join("tmp/s.txt"));
    let mut no_host = VirtualFs::new(ws.home());
    no_host.allowed.push("/tmp".to_string());
    assert!(no_host.resolve("/tmp/s.txt").is_err());
}

// ---------------------------------------------------------------------------------------------
// read_file
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn read_file_golden() {
    let ws = Ws::new();
    let read = ReadFileTool::new(ws.fs());
    ws.put("test.txt", "Hello, world!");
    assert_eq!(
        ok(&read, json!({"file_path": "test.txt"})).await,
        "     1\tHello, world!"
    );
    ws.put("data/lines.txt", "one\ntwo\r\nthree\rfour\n");
    assert_eq!(
        ok(&read, json!({"file_path": "/data/lines.txt"})).await,
        "     1\tone\n     2\ttwo\n     3\tthree\n     4\tfour"
    );
    assert_eq!(
        ok(
            &read,
            json!({"file_path": "/home/daytona/data/lines.txt", "offset": 1, "limit": 2})
        )
        .await,
        "     2\ttwo\n     3\tthree"
    );
    // Lax numbers, as pydantic accepted them.
    assert_eq!(
        ok(
            &read,
            json!({"file_path": "data/lines.txt", "offset": "3", "limit": 5.0})
        )
        .await,
        "     4\tfour"
    );
    let many: String = (1..=2500).map(|i| format!("l{i}\n")).collect();
    ws.put("many.txt", &many);
    let text = ok(&read, json!({"file_path": "many.txt"})).await;
    assert_eq!(text.lines().count(), 2000);
    assert!(text.ends_with("  2000\tl2000"));
    let text = ok(&read, json!({"file_path": "many.txt", "offset": 2498})).await;
    assert_eq!(text, "  2499\tl2499\n  2500\tl2500");
    let long = "y".repeat(10);
    ws.put("wide.txt", &long);
    assert_eq!(
        ok(&read, json!({"file_path": "wide.txt"})).await,
        format!("     1\t{long}")
    );
}

#[tokio::test]
async fn read_file_errors() {
    let ws = Ws::new();
    let read = ReadFileTool::new(ws.fs());
    assert_eq!(
        err(&read, json!({"file_path": "missing.txt"})).await,
        "ERROR: File not found: missing.txt"
    );
    assert_eq!(
        err(
            &read,
            json!({"file_path": "/home/daytona/../../etc/passwd"})
        )
        .await,
        denied("/home/daytona/../../etc/passwd")
    );
    std::fs::write(ws.home().join("img.png"), [0x89, b'P', b'N', b'G', 0, 0xff]).unwrap();
    assert_eq!(
        err(&read, json!({"file_path": "img.png"})).await,
        "ERROR: Cannot read binary file: img.png (not UTF-8 text)"
    );
    std::fs::write(ws.home().join("latin1.txt"), b"caf\xe9\n").unwrap();
    assert_eq!(
        err(&read, json!({"file_path": "latin1.txt"})).await,
        "ERROR: Cannot read binary file: latin1.txt (not UTF-8 text)"
    );
    ws.put("short.txt", "a\nb\n");
    assert_eq!(
        err(&read, json!({"file_path": "short.txt", "offset": 5})).await,
        "ERROR: Line offset 5 exceeds file length (2 lines)"
    );
    std::fs::create_dir_all(ws.home().join("data")).unwrap();
    assert_eq!(
        err(&read, json!({"file_path": "data"})).await,
        "ERROR: Not a regular file: data"
    );
    let text = err(&read, json!({"path": "x"})).await;
    assert!(
        text.starts_with("ERROR: Invalid arguments: missing field `file_path`"),
        "{text}"
    );
    // An empty file is not "not found" (upstream said so).
    ws.put("empty.txt", "");
    assert_eq!(
        ok(&read, json!({"file_path": "empty.txt"})).await,
        "System reminder: File exists but has empty contents"
    );
}

#[tokio::test]
async fn read_file_does_not_block_on_a_fifo() {
    let ws = Ws::new();
    nix::unistd::mkfifo(&ws.home().join("pipe"), nix::sys::stat::Mode::S_IRWXU).unwrap();
    let read = ReadFileTool::new(ws.fs());
    let out = tokio::time::timeout(
        Duration::from_secs(10),
        call(&read, json!({"file_path": "pipe"})),
    )
    .await
    .expect("read_file must not block on a FIFO");
    assert_eq!(out.text(), "ERROR: Not a regular file: pipe");
}

// ---------------------------------------------------------------------------------------------
// write_file
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn write_file_golden() {
    let ws = Ws::new();
    let write = WriteFileTool::new(ws.fs());
    assert_eq!(
        ok(
            &write,
            json!({"file_path": "output.txt", "content": "Test content"})
        )
        .await,
        "Wrote 12 bytes to /output.txt"
    );
    assert_eq!(ws.get("output.txt"), "Test content");
    assert_eq!(
        ok(
            &write,
            json!({"file_path": "/results/deep/er/ü.txt", "content": "héllo"})
        )
        .await,
        "Wrote 6 bytes to /results/deep/er/ü.txt"
    );
    assert_eq!(ws.get("results/deep/er/ü.txt"), "héllo");
    // Overwrites (and truncates).
    assert_eq!(
        ok(
            &write,
            json!({"file_path": "/home/daytona/output.txt", "content": "x"})
        )
        .await,
        "Wrote 1 bytes to /output.txt"
    );
    assert_eq!(ws.get("output.txt"), "x");
}

#[tokio::test]
async fn write_file_to_tmp() {
    let ws = Ws::new();
    let write = WriteFileTool::new(ws.fs_with_tmp());
    assert_eq!(
        ok(
            &write,
            json!({"file_path": "/tmp/scratch.txt", "content": "abc"})
        )
        .await,
        "Wrote 3 bytes to /tmp/scratch.txt"
    );
    assert_eq!(
        std::fs::read_to_string(ws.tmp().join("scratch.txt")).unwrap(),
        "abc"
    );
    // Without a /tmp mapping, /tmp/x is the workspace's tmp/x (upstream's rule).
    let write = WriteFileTool::new(ws.fs());
    assert_eq!(
        ok(&write, json!({"file_path": "/tmp/x.txt", "content": "abc"})).await,
        "Wrote 3 bytes to /tmp/x.txt"
    );
    assert_eq!(ws.get("tmp/x.txt"), "abc");
}

#[tokio::test]
async fn write_file_errors() {
    let ws = Ws::new();
    let write = WriteFileTool::new(ws.fs()).with_max_file_size(4);
    assert_eq!(
        err(&write, json!({"file_path": "big.txt", "content": "12345"})).await,
        "ERROR: File too large: big.txt is 5 bytes (max_file_size is 4 bytes)"
    );
    assert!(!ws.home().join("big.txt").exists());
    assert_eq!(
        err(&write, json!({"file_path": "../../etc/x", "content": "a"})).await,
        denied("../../etc/x")
    );
    std::fs::create_dir_all(ws.home().join("adir")).unwrap();
    assert_eq!(
        err(&write, json!({"file_path": "adir", "content": "a"})).await,
        "ERROR: Write operation failed: Not a regular file: adir"
    );
    let text = err(&write, json!({"file_path": "a.txt"})).await;
    assert!(text.starts_with("ERROR: Invalid arguments: missing field `content`"));
}

// ---------------------------------------------------------------------------------------------
// edit_file
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn edit_file_golden_and_every_error() {
    let ws = Ws::new();
    let edit = EditFileTool::new(ws.fs());
    ws.put("code.py", "a = 1\nb = 2\na = 1\n");
    let args = |old: &str, new: &str| json!({"file_path": "code.py", "old_string": old, "new_string": new});

    assert_eq!(
        err(
            &edit,
            json!({"file_path": "nope.py", "old_string": "a", "new_string": "b"})
        )
        .await,
        "ERROR: File not found"
    );
    assert_eq!(
        err(&edit, args("b = 2", "b = 2")).await,
        "ERROR: old_string and new_string must be different"
    );
    assert_eq!(
        err(&edit, args("", "x")).await,
        "ERROR: old_string must not be empty"
    );
    assert_eq!(
        err(&edit, args("zzz", "y")).await,
        "ERROR: old_string not found in file: /home/daytona/code.py"
    );
    assert_eq!(
        err(&edit, args("a = 1", "a = 3")).await,
        "ERROR: old_string found multiple times and requires more code context to uniquely identify the intended match"
    );
    assert_eq!(
        err(
            &edit,
            json!({"file_path": "/home/daytona/../x", "old_string": "a", "new_string": "b"})
        )
        .await,
        denied("/home/daytona/../x")
    );
    std::fs::write(ws.home().join("bin.dat"), [0xffu8, 0xfe, b'a']).unwrap();
    assert_eq!(
        err(
            &edit,
            json!({"file_path": "bin.dat", "old_string": "a", "new_string": "b"})
        )
        .await,
        "ERROR: Cannot edit binary file: bin.dat (not UTF-8 text)"
    );
    assert_eq!(ws.get("code.py"), "a = 1\nb = 2\na = 1\n");

    assert_eq!(
        ok(&edit, args("b = 2", "b = 20")).await,
        "File edited successfully"
    );
    assert_eq!(ws.get("code.py"), "a = 1\nb = 20\na = 1\n");
    assert_eq!(
        ok(
            &edit,
            json!({"file_path": "/code.py", "old_string": "a = 1", "new_string": "a = 9", "replace_all": true})
        )
        .await,
        "File edited successfully"
    );
    assert_eq!(ws.get("code.py"), "a = 9\nb = 20\na = 9\n");

    let small = EditFileTool::new(ws.fs()).with_max_file_size(8);
    assert_eq!(
        err(&small, args("b = 20", "b")).await,
        "ERROR: File too large: code.py is 19 bytes (max_file_size is 8 bytes)"
    );
}

// ---------------------------------------------------------------------------------------------
// Symlinks
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn symlink_escapes_are_refused_by_every_tool() {
    let ws = Ws::new();
    let outside = ws.dir.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "TOP SECRET\n").unwrap();
    std::os::unix::fs::symlink("/", ws.home().join("escape")).unwrap();
    std::os::unix::fs::symlink(&outside, ws.home().join("out")).unwrap();
    std::os::unix::fs::symlink(outside.join("secret.txt"), ws.home().join("secret.txt")).unwrap();
    std::os::unix::fs::symlink("../outside/secret.txt", ws.home().join("rel.txt")).unwrap();
    std::os::unix::fs::symlink(ws.home().join("nowhere"), ws.home().join("dangling")).unwrap();
    let fs = ws.fs();
    let read = ReadFileTool::new(Arc::clone(&fs));
    let write = WriteFileTool::new(Arc::clone(&fs));
    let edit = EditFileTool::new(Arc::clone(&fs));
    let glob = GlobTool::new(Arc::clone(&fs));
    let grep = GrepTool::new(Arc::clone(&fs));
    let ls = LsTool::new(Arc::clone(&fs));

    for p in [
        "escape/etc/passwd",
        "/escape/etc/hostname",
        "out/secret.txt",
        "secret.txt",
        "rel.txt",
        "dangling",
    ] {
        assert_eq!(err(&read, json!({"file_path": p})).await, denied(p));
        assert_eq!(
            err(
                &edit,
                json!({"file_path": p, "old_string": "TOP", "new_string": "x"})
            )
            .await,
            denied(p)
        );
    }
    for p in [
        "out/new.txt",
        "secret.txt",
        "out/sub/new.txt",
        "escape/tmp/x",
    ] {
        assert_eq!(
            err(&write, json!({"file_path": p, "content": "pwned"})).await,
            denied(p)
        );
    }
    assert_eq!(
        std::fs::read_to_string(outside.join("secret.txt")).unwrap(),
        "TOP SECRET\n"
    );
    assert!(!outside.join("new.txt").exists());
    assert!(!outside.join("sub").exists());

    for p in ["escape", "out", "escape/etc"] {
        assert_eq!(
            err(&glob, json!({"pattern": "*", "path": p})).await,
            denied(p)
        );
        assert_eq!(
            err(&grep, json!({"pattern": "x", "path": p})).await,
            denied(p)
        );
        assert_eq!(err(&ls, json!({"path": p})).await, denied(p));
    }
    assert_eq!(
        err(&grep, json!({"pattern": "x", "path": "secret.txt"})).await,
        denied("secret.txt")
    );
    // Walking the root neither follows nor lists the links.
    assert_eq!(
        ok(&glob, json!({"pattern": "**/*"})).await,
        "No files matching pattern '**/*' found in '.'"
    );
    assert_eq!(
        ok(&glob, json!({"pattern": "**/secret.txt"})).await,
        "No files matching pattern '**/secret.txt' found in '.'"
    );
    assert_eq!(
        ok(&grep, json!({"pattern": "SECRET|root"})).await,
        "No matches found for pattern 'SECRET|root' in '.'"
    );
    // An absolute glob pattern is a virtual path too.
    assert_eq!(
        err(&glob, json!({"pattern": "/escape/etc/*"})).await,
        denied("/escape/etc")
    );
}

#[tokio::test]
async fn symlinks_that_stay_inside_work_for_explicit_paths() {
    let ws = Ws::new();
    ws.put("data/real.txt", "inside\n");
    std::os::unix::fs::symlink("data/real.txt", ws.home().join("link.txt")).unwrap();
    std::os::unix::fs::symlink(ws.home().join("data"), ws.home().join("dlink")).unwrap();
    let fs = ws.fs();
    let read = ReadFileTool::new(Arc::clone(&fs));
    let write = WriteFileTool::new(Arc::clone(&fs));
    let glob = GlobTool::new(Arc::clone(&fs));
    let grep = GrepTool::new(Arc::clone(&fs));
    assert_eq!(
        ok(&read, json!({"file_path": "link.txt"})).await,
        "     1\tinside"
    );
    assert_eq!(
        ok(&read, json!({"file_path": "dlink/real.txt"})).await,
        "     1\tinside"
    );
    assert_eq!(
        ok(
            &write,
            json!({"file_path": "dlink/new.txt", "content": "n"})
        )
        .await,
        "Wrote 1 bytes to /dlink/new.txt"
    );
    assert_eq!(ws.get("data/new.txt"), "n");
    // Walks list only the real files.
    assert_eq!(
        ok(&glob, json!({"pattern": "*.txt"}))
            .await
            .lines()
            .skip(1)
            .collect::<Vec<_>>()
            .len(),
        2
    );
    assert_eq!(
        ok(&grep, json!({"pattern": "inside"})).await,
        "Found matches in 1 file(s):\n/data/real.txt"
    );
    // An explicit directory through an inside link is searched under the name given.
    assert_eq!(
        ok(&grep, json!({"pattern": "inside", "path": "dlink"})).await,
        "Found matches in 1 file(s):\n/dlink/real.txt"
    );
}

// ---------------------------------------------------------------------------------------------
// glob
// ---------------------------------------------------------------------------------------------

fn glob_tree(ws: &Ws) {
    for (rel, age) in [
        ("test_file1.py", 300),
        ("test_file2.py", 100),
        ("test_file3.txt", 200),
        ("subdir/nested_file.py", 50),
        ("tools/docs/yfinance/get_history.md", 400),
        ("tools/docs/yfinance/get_info.md", 10),
        (".hidden/secret.py", 1),
        (".env", 1),
    ] {
        let p = ws.put(rel, "x\n");
        set_mtime(&p, age);
    }
}

#[tokio::test]
async fn glob_lists_files_newest_first() {
    let ws = Ws::new();
    glob_tree(&ws);
    let glob = GlobTool::new(ws.fs());
    assert_eq!(
        ok(&glob, json!({"pattern": "*.py"})).await,
        "Found 3 file(s) matching '*.py':\n/subdir/nested_file.py\n/test_file2.py\n/test_file1.py"
    );
    assert_eq!(
        ok(&glob, json!({"pattern": "**/*.py"})).await,
        "Found 3 file(s) matching '**/*.py':\n/subdir/nested_file.py\n/test_file2.py\n/test_file1.py"
    );
    assert_eq!(
        ok(&glob, json!({"pattern": "*.py", "path": "subdir"})).await,
        "Found 1 file(s) matching '*.py':\n/subdir/nested_file.py"
    );
    assert_eq!(
        ok(&glob, json!({"pattern": "*.{py,txt}", "path": "/"})).await,
        "Found 4 file(s) matching '*.{py,txt}':\n/subdir/nested_file.py\n/test_file2.py\n/test_file3.txt\n/test_file1.py"
    );
    assert_eq!(
        ok(&glob, json!({"pattern": "tools/docs/yfinance/*.md"})).await,
        "Found 2 file(s) matching 'tools/docs/yfinance/*.md':\n/tools/docs/yfinance/get_info.md\n/tools/docs/yfinance/get_history.md"
    );
    assert_eq!(
        ok(&glob, json!({"pattern": "/home/daytona/tools/**/*.md"})).await,
        "Found 2 file(s) matching '/home/daytona/tools/**/*.md':\n/tools/docs/yfinance/get_info.md\n/tools/docs/yfinance/get_history.md"
    );
    assert_eq!(
        ok(&glob, json!({"pattern": "/tools/docs/*/get_h*.md"})).await,
        "Found 1 file(s) matching '/tools/docs/*/get_h*.md':\n/tools/docs/yfinance/get_history.md"
    );
    // Only the top level without `**`; directories are not files.
    assert_eq!(
        ok(&glob, json!({"pattern": "./*"})).await,
        "Found 3 file(s) matching './*':\n/test_file2.py\n/test_file3.txt\n/test_file1.py"
    );
    // Hidden names only when the pattern names them.
    assert_eq!(
        ok(&glob, json!({"pattern": ".env"})).await,
        "Found 1 file(s) matching '.env':\n/.env"
    );
    assert_eq!(
        ok(&glob, json!({"pattern": "*.nonexistent"})).await,
        "No files matching pattern '*.nonexistent' found in '.'"
    );
    assert_eq!(
        ok(&glob, json!({"pattern": "*.py", "path": "no/such/dir"})).await,
        "No files matching pattern '*.py' found in 'no/such/dir'"
    );
    assert_eq!(
        err(
            &glob,
            json!({"pattern": "*.py", "path": "/home/daytona/../.."})
        )
        .await,
        denied("/home/daytona/../..")
    );
    assert_eq!(err(&glob, json!({"pattern": "../*"})).await, denied("./.."));
    let text = err(&glob, json!({"pattern": "[z-a]"})).await;
    assert!(text.starts_with("ERROR: Invalid glob pattern: "), "{text}");
    let capped = GlobTool::new(ws.fs()).with_max_results(2);
    assert_eq!(
        ok(&capped, json!({"pattern": "*.py"})).await,
        "Found 3 file(s) matching '*.py':\n/subdir/nested_file.py\n/test_file2.py\n(Results truncated: showing the 2 newest of 3 files)"
    );
}

#[tokio::test]
async fn glob_in_tmp() {
    let ws = Ws::new();
    std::fs::write(ws.tmp().join("a.csv"), "1").unwrap();
    let glob = GlobTool::new(ws.fs_with_tmp());
    assert_eq!(
        ok(&glob, json!({"pattern": "*.csv", "path": "/tmp"})).await,
        "Found 1 file(s) matching '*.csv':\n/tmp/a.csv"
    );
}

// ---------------------------------------------------------------------------------------------
// ls
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn ls_lists_one_directory() {
    let ws = Ws::new();
    ws.put("b.txt", "");
    ws.put("a/x.txt", "");
    ws.put("it's.md", "");
    let ls = LsTool::new(ws.fs());
    assert_eq!(
        ok(&ls, json!({"path": "/"})).await,
        "['/a/', '/b.txt', \"/it's.md\"]"
    );
    assert_eq!(
        ok(&ls, json!({"path": "/home/daytona/a"})).await,
        "['/a/x.txt']"
    );
    assert_eq!(ok(&ls, json!({"path": "missing"})).await, "No files found");
}

// ---------------------------------------------------------------------------------------------
// grep
// ---------------------------------------------------------------------------------------------

fn grep_tree(ws: &Ws) {
    ws.put(
        "test_file1.py",
        "# Test Python file 1\ndef hello():\n    print(\"Hello World\")\n\ndef goodbye():\n    print(\"Goodbye World\")\n",
    );
    ws.put(
        "test_file2.py",
        "# Test Python file 2\nimport os\n\ndef search_pattern():\n    return \"SEARCH_TARGET_ALPHA\"\n\nclass MyClass:\n    pass\n",
    );
    ws.put(
        "test_file3.txt",
        "This is a text file.\nIt contains some SEARCH_TARGET_ALPHA text.\nAnd also SEARCH_TARGET_BETA here.\nMultiple lines for testing.\n",
    );
    ws.put(
        "subdir/nested_file.py",
        "# Nested Python file\ndef nested_function():\n    return \"SEARCH_TARGET_ALPHA\"\n",
    );
    ws.put(".hidden/h.py", "SEARCH_TARGET_ALPHA\n");
    std::fs::write(ws.home().join("blob.bin"), b"SEARCH_TARGET_ALPHA\0\x01").unwrap();
}

#[tokio::test]
async fn grep_files_with_matches_and_count() {
    let ws = Ws::new();
    grep_tree(&ws);
    let grep = GrepTool::new(ws.fs());
    assert_eq!(
        ok(&grep, json!({"pattern": "SEARCH_TARGET_ALPHA"})).await,
        "Found matches in 3 file(s):\n/subdir/nested_file.py\n/test_file2.py\n/test_file3.txt"
    );
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "SEARCH_TARGET_\\w+", "output_mode": "count"})
        )
        .await,
        "Match counts for pattern 'SEARCH_TARGET_\\w+':\n/subdir/nested_file.py: 1\n/test_file2.py: 1\n/test_file3.txt: 2"
    );
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "SEARCH_TARGET_ALPHA", "glob": "*.py"})
        )
        .await,
        "Found matches in 2 file(s):\n/subdir/nested_file.py\n/test_file2.py"
    );
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "SEARCH_TARGET_ALPHA", "glob": "!*.py"})
        )
        .await,
        "Found matches in 1 file(s):\n/test_file3.txt"
    );
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "SEARCH_TARGET_ALPHA", "glob": "!subdir"})
        )
        .await,
        "Found matches in 2 file(s):\n/test_file2.py\n/test_file3.txt"
    );
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "SEARCH_TARGET_ALPHA", "type": "txt"})
        )
        .await,
        "Found matches in 1 file(s):\n/test_file3.txt"
    );
    assert_eq!(
        ok(&grep, json!({"pattern": "search_target_alpha", "i": true})).await,
        "Found matches in 3 file(s):\n/subdir/nested_file.py\n/test_file2.py\n/test_file3.txt"
    );
    assert_eq!(
        ok(&grep, json!({"pattern": "search_target_alpha"})).await,
        "No matches found for pattern 'search_target_alpha' in '.'"
    );
    assert_eq!(
        ok(&grep, json!({"pattern": "nested", "path": "/subdir"})).await,
        "Found matches in 1 file(s):\n/subdir/nested_file.py"
    );
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "ALPHA", "head_limit": 2, "offset": 1})
        )
        .await,
        "Found matches in 2 file(s):\n/test_file2.py\n/test_file3.txt"
    );
    assert_eq!(
        ok(&grep, json!({"pattern": "ALPHA", "offset": 3})).await,
        "No matches found for pattern 'ALPHA' in '.'"
    );
}

#[tokio::test]
async fn grep_content_mode() {
    let ws = Ws::new();
    grep_tree(&ws);
    let grep = GrepTool::new(ws.fs());
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "SEARCH_TARGET_ALPHA", "output_mode": "content"})
        )
        .await,
        "Matches for pattern 'SEARCH_TARGET_ALPHA':\n\n\
         /subdir/nested_file.py:3:    return \"SEARCH_TARGET_ALPHA\"\n\
         /test_file2.py:5:    return \"SEARCH_TARGET_ALPHA\"\n\
         /test_file3.txt:2:It contains some SEARCH_TARGET_ALPHA text."
    );
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "BETA", "output_mode": "content", "n": false})
        )
        .await,
        "Matches for pattern 'BETA':\n\n/test_file3.txt:And also SEARCH_TARGET_BETA here."
    );
    // Context: -B/-A win over -C; `--` between groups and between files.
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "def \\w+\\(", "output_mode": "content", "C": 1, "glob": "test_file1.py"})
        )
        .await,
        "Matches for pattern 'def \\w+\\(':\n\n\
         /test_file1.py-1-# Test Python file 1\n\
         /test_file1.py:2:def hello():\n\
         /test_file1.py-3-    print(\"Hello World\")\n\
         /test_file1.py-4-\n\
         /test_file1.py:5:def goodbye():\n\
         /test_file1.py-6-    print(\"Goodbye World\")"
    );
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "ALPHA", "output_mode": "content", "B": 1, "C": 5, "A": 0, "type": "py"})
        )
        .await,
        "Matches for pattern 'ALPHA':\n\n\
         /subdir/nested_file.py-2-def nested_function():\n\
         /subdir/nested_file.py:3:    return \"SEARCH_TARGET_ALPHA\"\n\
         --\n\
         /test_file2.py-4-def search_pattern():\n\
         /test_file2.py:5:    return \"SEARCH_TARGET_ALPHA\"\n\
         /test_file2.py-6-\n\
         /test_file2.py-7-class MyClass:\n\
         /test_file2.py-8-    pass"
    );
    // Multiline: every line of a match is a match line.
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "ALPHA.*?BETA", "output_mode": "content", "multiline": true})
        )
        .await,
        "Matches for pattern 'ALPHA.*?BETA':\n\n\
         /test_file3.txt:2:It contains some SEARCH_TARGET_ALPHA text.\n\
         /test_file3.txt:3:And also SEARCH_TARGET_BETA here."
    );
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "ALPHA.*?BETA", "output_mode": "content"})
        )
        .await,
        "No matches found for pattern 'ALPHA.*?BETA' in '.'"
    );
    // A single file: rg prints no file name.
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "World", "output_mode": "content", "path": "test_file1.py"})
        )
        .await,
        "Matches for pattern 'World':\n\n3:    print(\"Hello World\")\n6:    print(\"Goodbye World\")"
    );
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "World", "output_mode": "count", "path": "/home/daytona/test_file1.py"})
        )
        .await,
        "Match counts for pattern 'World':\n/test_file1.py: 2"
    );
    // head_limit and offset count output lines (context and `--` included).
    assert_eq!(
        ok(
            &grep,
            json!({"pattern": "ALPHA", "output_mode": "content", "offset": 1, "head_limit": 1})
        )
        .await,
        "Matches for pattern 'ALPHA':\n\n/test_file2.py:5:    return \"SEARCH_TARGET_ALPHA\""
    );
    let capped = GrepTool::new(ws.fs()).with_max_results(2);
    assert_eq!(
        ok(
            &capped,
            json!({"pattern": "ALPHA", "output_mode": "content", "n": false})
        )
        .await,
        "Matches for pattern 'ALPHA':\n\n\
         /subdir/nested_file.py:    return \"SEARCH_TARGET_ALPHA\"\n\
         /test_file2.py:    return \"SEARCH_TARGET_ALPHA\"\n\
         (Results truncated at 2 lines; narrow the search or page with offset/head_limit)"
    );
}

#[tokio::test]
async fn grep_errors() {
    let ws = Ws::new();
    grep_tree(&ws);
    let grep = GrepTool::new(ws.fs());
    let text = err(&grep, json!({"pattern": "(unclosed"})).await;
    assert!(text.starts_with("ERROR: Invalid regex pattern: "), "{text}");
    assert_eq!(
        err(&grep, json!({"pattern": "x", "path": "../../etc"})).await,
        denied("../../etc")
    );
    assert_eq!(
        err(&grep, json!({"pattern": "x", "type": "cobol"})).await,
        "ERROR: unrecognized file type: cobol"
    );
    assert_eq!(
        err(&grep, json!({"pattern": "x", "output_mode": "lines"})).await,
        "ERROR: Invalid output_mode: 'lines' (expected 'files_with_matches', 'content' or 'count')"
    );
    let text = err(&grep, json!({"pattern": "x", "glob": "[z-a]"})).await;
    assert!(text.starts_with("ERROR: Invalid glob pattern: "), "{text}");
    // The regex is checked before the path.
    let text = err(&grep, json!({"pattern": "(", "path": "../../etc"})).await;
    assert!(text.starts_with("ERROR: Invalid regex pattern: "), "{text}");
    // A hidden directory named explicitly is searched (rg does too).
    assert_eq!(
        ok(&grep, json!({"pattern": "ALPHA", "path": ".hidden"})).await,
        "Found matches in 1 file(s):\n/.hidden/h.py"
    );
    assert_eq!(
        ok(&grep, json!({"pattern": "x", "path": "missing/dir"})).await,
        "No matches found for pattern 'x' in 'missing/dir'"
    );
    let small = GrepTool::new(ws.fs()).with_max_file_size(40);
    assert_eq!(
        ok(&small, json!({"pattern": "SEARCH_TARGET_ALPHA"})).await,
        "No matches found for pattern 'SEARCH_TARGET_ALPHA' in '.'"
    );
}

#[tokio::test]
async fn grep_is_cancellable() {
    let ws = Ws::new();
    grep_tree(&ws);
    let grep = GrepTool::new(ws.fs());
    let cx = ToolCx {
        call_id: "c".to_string(),
        cancel: CancellationToken::new(),
    };
    cx.cancel.cancel();
    let out = grep.call(json!({"pattern": "x"}), &cx).await;
    assert!(out.is_error);
    assert_eq!(out.text(), "ERROR: Failed to grep content: cancelled");
}

#[test]
fn specs_have_upstreams_names_and_parameters() {
    let ws = Ws::new();
    let fs = ws.fs();
    let tools: Vec<Box<dyn Tool>> = vec![
        Box::new(ReadFileTool::new(Arc::clone(&fs))),
        Box::new(WriteFileTool::new(Arc::clone(&fs))),
        Box::new(EditFileTool::new(Arc::clone(&fs))),
        Box::new(GlobTool::new(Arc::clone(&fs))),
        Box::new(GrepTool::new(Arc::clone(&fs))),
        Box::new(LsTool::new(Arc::clone(&fs))),
    ];
    let expected: [(&str, &[&str], &[&str]); 6] = [
        (
            "read_file",
            &["file_path", "offset", "limit"],
            &["file_path"],
        ),
        (
            "write_file",
            &["file_path", "content"],
            &["file_path", "content"],
        ),
        (
            "edit_file",
            &["file_path", "old_string", "new_string", "replace_all"],
            &["file_path", "old_string", "new_string"],
        ),
        ("glob", &["pattern", "path"], &["pattern"]),
        (
            "grep",
            &[
                "pattern",
                "path",
                "output_mode",
                "glob",
                "type",
                "i",
                "n",
                "A",
                "B",
                "C",
                "multiline",
                "head_limit",
                "offset",
            ],
            &["pattern"],
        ),
        ("ls", &["path"], &["path"]),
    ];
    for (tool, (name, props, required)) in tools.iter().zip(expected) {
        let spec = tool.spec();
        assert_eq!(spec.name, name);
        assert!(!spec.description.is_empty());
        let mut got: Vec<&str> = spec.parameters["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        got.sort_unstable();
        let mut want = props.to_vec();
        want.sort_unstable();
        assert_eq!(got, want, "{name}");
        assert_eq!(spec.parameters["required"], json!(required), "{name}");
    }
}
