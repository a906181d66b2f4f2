//! The local sandbox, run for real: every test runs under the bubblewrap layer and again under
//! the Landlock + seccomp layer (each skipped, with a printed reason, only when
//! `IsolationReport::detect` says the layer is unavailable), plus the `execute_code` and `Bash`
//! tools' golden answers.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fba_agent::sandbox::{
    ExecOutput, ExecRequest, IsolationMode, IsolationReport, Layer, LocalSandbox, SandboxConfig,
    SandboxError,
};
use fba_agent::tools::bash::BashTool;
use fba_agent::tools::execute_code::ExecuteCodeTool;
use fba_agent::tools::{BridgeAccess, BridgeGrant, Tool, ToolCx, ToolOutput};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// The helper built with the tests.
fn helper() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fba-sandbox-exec"))
}

/// A unique directory name under the system temp dir.
fn unique_dir(tag: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("fba-sb-{tag}-{}-{n}-{nanos}", std::process::id()))
}

/// A sandbox under a fresh root dir, removed on drop.
struct TestSandbox {
    sandbox: Arc<LocalSandbox>,
    root: PathBuf,
}

impl Drop for TestSandbox {
    fn drop(&mut self) {
        let _ = self.sandbox.destroy();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The config of a test sandbox with the given isolation.
fn config(mode: IsolationMode, root: &Path) -> SandboxConfig {
    let mut config = SandboxConfig {
        root_dir: root.to_path_buf(),
        isolation: mode,
        exec_helper: Some(helper()),
        ..SandboxConfig::default()
    };
    config.limits.max_execution_time_secs = 30;
    config
}

/// The layer a mode must give, for the skip check.
fn layer_of(mode: IsolationMode) -> Layer {
    match mode {
        IsolationMode::Bwrap => Layer::Bwrap,
        IsolationMode::Landlock => Layer::Landlock,
        IsolationMode::Auto | IsolationMode::None => Layer::None,
    }
}

/// A fresh sandbox under `mode`, with `tune` applied to its config; `None` (after printing why)
/// when the layer is unavailable here.
fn sandbox_with(
    mode: IsolationMode,
    tag: &str,
    tune: impl FnOnce(&mut SandboxConfig),
) -> Option<TestSandbox> {
    let root = unique_dir(tag);
    let mut config = config(mode, &root);
    tune(&mut config);
    let report = IsolationReport::detect(&config);
    if report.layer != layer_of(mode) || report.unavailable.is_some() {
        println!(
            "SKIPPED {tag}: the {mode:?} layer is unavailable here: {:?} {:?}",
            report.unavailable, report.notes
        );
        return None;
    }
    let sandbox = LocalSandbox::create(config, "sb-1").expect("create the sandbox");
    Some(TestSandbox {
        sandbox: Arc::new(sandbox),
        root,
    })
}

fn sandbox(mode: IsolationMode, tag: &str) -> Option<TestSandbox> {
    sandbox_with(mode, tag, |_| {})
}

async fn python(sb: &LocalSandbox, code: &str) -> ExecOutput {
    sb.exec(ExecRequest::new(["python3", "-c", code]))
        .await
        .expect("exec")
}

fn cx() -> ToolCx {
    ToolCx {
        call_id: "call-1".to_owned(),
        cancel: CancellationToken::new(),
    }
}

/// Whether a process whose command line holds `marker` is still alive on the host.
fn process_alive(marker: &str) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    for entry in entries.flatten() {
        let cmdline = entry.path().join("cmdline");
        if let Ok(bytes) = std::fs::read(&cmdline) {
            let text = String::from_utf8_lossy(&bytes).replace('\0', " ");
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // A zombie (state Z) is already dead.
            let zombie = stat
                .rsplit_once(')')
                .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'));
            if text.contains(marker) && !zombie {
                return true;
            }
        }
    }
    false
}

/// Waits up to 5 s for every process with `marker` to be gone.
async fn gone(marker: &str) -> bool {
    for _ in 0..50 {
        if !process_alive(marker) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// A unique `sleep` duration, to find the process on the host.
fn unique_sleep() -> String {
    static N: AtomicU64 = AtomicU64::new(1);
    format!(
        "3{}.{}{}",
        std::process::id() % 1000,
        N.fetch_add(1, Ordering::SeqCst),
        7
    )
}

/// A fake MCP bridge: a Unix socket that answers one JSON line per connection with the token
/// it got, and grants that record when they are dropped.
struct FakeBridge {
    socket: PathBuf,
    granted: Mutex<Vec<Arc<AtomicBool>>>,
}

struct Revoke(Arc<AtomicBool>);

impl Drop for Revoke {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl BridgeAccess for FakeBridge {
    fn socket_path(&self) -> &Path {
        &self.socket
    }

    fn grant(&self) -> BridgeGrant {
        let revoked = Arc::new(AtomicBool::new(false));
        self.granted.lock().unwrap().push(revoked.clone());
        BridgeGrant {
            token: "tok-123".to_owned(),
            guard: Box::new(Revoke(revoked)),
        }
    }
}

impl FakeBridge {
    fn start(socket: PathBuf) -> Arc<Self> {
        let listener = UnixListener::bind(&socket).unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut buf = [0u8; 256];
                let n = stream.read(&mut buf).unwrap_or(0);
                let got = String::from_utf8_lossy(&buf[..n]).trim().to_owned();
                let _ =
                    stream.write_all(format!("{{\"ok\":true,\"echo\":\"{got}\"}}\n").as_bytes());
            }
        });
        Arc::new(Self {
            socket,
            granted: Mutex::new(Vec::new()),
        })
    }
}

#[test]
fn isolation_report_is_detected_and_serializable() {
    let root = unique_dir("report");
    let report = IsolationReport::detect(&config(IsolationMode::Auto, &root));
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    assert!(report.rlimits, "the helper built with the tests is usable");
    assert_eq!(report.bwrap, report.layer == Layer::Bwrap);
    let back: IsolationReport =
        serde_json::from_value(serde_json::to_value(&report).unwrap()).unwrap();
    assert_eq!(back, report);
}

#[test]
fn require_isolation_refuses_the_unisolated_layer() {
    let root = unique_dir("require");
    let mut cfg = config(IsolationMode::None, &root);
    cfg.require_isolation = true;
    // `isolation: none` is an explicit choice: allowed, but not with require_isolation.
    let err = LocalSandbox::create(cfg, "x").unwrap_err();
    assert!(
        matches!(err, SandboxError::IsolationUnavailable(_)),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn ids_are_validated_and_open_needs_an_existing_sandbox() {
    let root = unique_dir("ids");
    let cfg = config(IsolationMode::None, &root);
    for bad in ["../x", "a/b", "..", ""] {
        assert!(matches!(
            LocalSandbox::create(cfg.clone(), bad),
            Err(SandboxError::InvalidId(_))
        ));
    }
    assert!(matches!(
        LocalSandbox::open(cfg.clone(), "missing"),
        Err(SandboxError::NotFound(_))
    ));
    let sb = LocalSandbox::create(cfg.clone(), "s1").unwrap();
    for dir in ["tools", "tools/docs", "results", "data", "code"] {
        assert!(sb.workspace_dir().join(dir).is_dir(), "{dir}");
    }
    assert_eq!(sb.bridge_socket_path(), root.join("s1/run/bridge.sock"));
    let reopened = LocalSandbox::open(cfg, "s1").unwrap();
    assert_eq!(reopened.workspace_dir(), sb.workspace_dir());
    sb.destroy().unwrap();
    assert!(!root.join("s1").exists());
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn no_isolation_layer_still_applies_limits_and_a_clean_env() {
    let Some(t) = sandbox_with(IsolationMode::None, "none", |c| {
        c.limits.memory_bytes = 256 << 20;
    }) else {
        return;
    };
    assert_eq!(t.sandbox.isolation().network, "host");
    let out = python(
        &t.sandbox,
        "import os\nprint(sorted(k for k in os.environ if k.startswith('CARGO')))\nb = bytearray(512 * 1024 * 1024)",
    )
    .await;
    assert_eq!(out.stdout, "[]\n", "{out:?}");
    assert!(out.stderr.contains("MemoryError"), "{out:?}");
}

macro_rules! layer_tests {
    ($layer:ident, $mode:expr) => {
        mod $layer {
            use super::*;

            const MODE: IsolationMode = $mode;

            #[tokio::test]
            async fn hello_world_runs_in_the_workspace() {
                let Some(t) = sandbox(MODE, "hello") else { return };
                let out = python(&t.sandbox, "import os; print('hello'); print(os.getcwd())").await;
                assert_eq!(out.exit_code, 0, "{out:?}");
                assert_eq!(out.stdout, format!("hello\n{}\n", t.sandbox.code_root()));
                assert!(!out.timed_out);
            }

            #[tokio::test]
            async fn exit_codes_are_reported() {
                let Some(t) = sandbox(MODE, "exit") else { return };
                let out = t
                    .sandbox
                    .exec(ExecRequest::new(["sh", "-c", "echo out; echo err >&2; exit 7"]))
                    .await
                    .unwrap();
                assert_eq!(
                    (out.exit_code, out.stdout.as_str(), out.stderr.as_str()),
                    (7, "out\n", "err\n")
                );
                let out = t
                    .sandbox
                    .exec(ExecRequest::new(["sh", "-c", "kill -9 $$"]))
                    .await
                    .unwrap();
                assert_eq!(out.exit_code, 137, "{out:?}");
                let out = t
                    .sandbox
                    .exec(ExecRequest::new(["no-such-command-xyz"]))
                    .await
                    .unwrap();
                assert_eq!(out.exit_code, 127, "{out:?}");
                assert!(out.stderr.contains("no-such-command-xyz"), "{out:?}");
            }

            #[tokio::test]
            async fn stdin_is_fed_and_cwd_is_honoured() {
                let Some(t) = sandbox(MODE, "stdin") else { return };
                let mut req = ExecRequest::new(["sh", "-c", "pwd; cat"]);
                req.stdin = Some(b"from stdin".to_vec());
                req.cwd = Some(format!("{}/data", t.sandbox.virtual_root()));
                let out = t.sandbox.exec(req).await.unwrap();
                assert_eq!(out.exit_code, 0, "{out:?}");
                assert_eq!(
                    out.stdout,
                    format!("{}/data\nfrom stdin", t.sandbox.code_root())
                );
                let mut outside = ExecRequest::new(["true"]);
                outside.cwd = Some(format!("{}/../etc", t.sandbox.virtual_root()));
                assert!(matches!(
                    t.sandbox.exec(outside).await,
                    Err(SandboxError::InvalidCwd(_))
                ));
                let mut bad_env = ExecRequest::new(["true"]);
                bad_env.env.push(("A=B".to_owned(), "x".to_owned()));
                assert!(matches!(
                    t.sandbox.exec(bad_env).await,
                    Err(SandboxError::InvalidEnv(_))
                ));
            }

            #[tokio::test]
            async fn timeout_kills_the_whole_process_group() {
                let Some(t) = sandbox(MODE, "timeout") else { return };
                let marker = unique_sleep();
                let code = format!(
                    "import subprocess, time\nsubprocess.Popen(['sleep', '{marker}'])\nprint('started', flush=True)\ntime.sleep(60)"
                );
                let mut req = ExecRequest::new(["python3", "-c", code.as_str()]);
                req.timeout = Some(Duration::from_secs(2));
                let out = t.sandbox.exec(req).await.unwrap();
                assert!(out.timed_out, "{out:?}");
                assert_eq!(out.exit_code, 124);
                assert_eq!(out.stdout, "started\n");
                assert!(out.duration < Duration::from_secs(10), "{out:?}");
                assert!(gone(&marker).await, "the sleep child survived the timeout");
            }

            #[tokio::test]
            async fn dropping_the_run_kills_it() {
                let Some(t) = sandbox(MODE, "cancel") else { return };
                let marker = unique_sleep();
                let req = ExecRequest::new(["sleep", marker.as_str()]);
                let run = t.sandbox.exec(req);
                let cut = tokio::time::timeout(Duration::from_millis(500), run).await;
                assert!(cut.is_err(), "the run should still be going");
                assert!(gone(&marker).await, "the sleep survived the cancelled run");
            }

            #[tokio::test]
            async fn memory_limit_stops_big_allocations() {
                let Some(t) = sandbox_with(MODE, "mem", |c| c.limits.memory_bytes = 256 << 20)
                else {
                    return;
                };
                let out = python(&t.sandbox, "b = bytearray(512 * 1024 * 1024)\nprint('allocated')").await;
                assert_ne!(out.exit_code, 0, "{out:?}");
                assert!(!out.stdout.contains("allocated"));
                assert!(out.stderr.contains("MemoryError"), "{out:?}");
                let ok = python(&t.sandbox, "b = bytearray(32 * 1024 * 1024)\nprint('fine')").await;
                assert_eq!(ok.stdout, "fine\n", "{ok:?}");
            }

            #[tokio::test]
            async fn cpu_limit_kills_a_busy_loop() {
                let Some(t) = sandbox_with(MODE, "cpu", |c| c.limits.cpu_secs = 1) else {
                    return;
                };
                let out = python(&t.sandbox, "while True:\n    pass").await;
                assert!(!out.timed_out, "{out:?}");
                // SIGXCPU (24) at the soft limit, else SIGKILL at the hard one.
                assert!(
                    out.exit_code == 128 + 24 || out.exit_code == 128 + 9,
                    "{out:?}"
                );
                assert!(out.duration < Duration::from_secs(10));
            }

            #[tokio::test]
            async fn file_size_limit_is_enforced() {
                let Some(t) = sandbox_with(MODE, "fsize", |c| c.limits.max_file_size = 1 << 20)
                else {
                    return;
                };
                let out = python(
                    &t.sandbox,
                    "with open('data/big.bin', 'wb') as f:\n    f.write(b'x' * (2 << 20))",
                )
                .await;
                assert_ne!(out.exit_code, 0, "{out:?}");
                assert!(out.stderr.contains("File too large"), "{out:?}");
                let size = std::fs::metadata(t.sandbox.workspace_dir().join("data/big.bin"))
                    .map(|m| m.len())
                    .unwrap_or(0);
                assert!(size <= 1 << 20, "{size}");
            }

            #[tokio::test]
            async fn network_is_blocked() {
                let Some(t) = sandbox(MODE, "net") else { return };
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                listener.set_nonblocking(true).unwrap();
                let port = listener.local_addr().unwrap().port();
                let code = format!(
                    "import socket\ntry:\n    s = socket.create_connection(('127.0.0.1', {port}), timeout=3)\n    print('connected')\nexcept OSError as e:\n    print('blocked', type(e).__name__)"
                );
                let out = python(&t.sandbox, &code).await;
                assert!(out.stdout.starts_with("blocked"), "{out:?}");
                assert!(listener.accept().is_err(), "the listener got a connection");
            }

            #[tokio::test]
            async fn environment_holds_only_the_sandbox_keys() {
                let Some(t) = sandbox(MODE, "env") else { return };
                // cargo runs tests with CARGO_* and the host's PATH/HOME set; none may leak.
                assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
                let mut req = ExecRequest::new([
                    "python3",
                    "-c",
                    "import os, json; print(json.dumps(dict(os.environ)))",
                ]);
                req.env.push(("EXTRA_KEY".to_owned(), "v".to_owned()));
                let out = t.sandbox.exec(req).await.unwrap();
                let env: std::collections::BTreeMap<String, String> =
                    serde_json::from_str(&out.stdout).unwrap();
                let allowed = [
                    "PATH",
                    "HOME",
                    "LANG",
                    "PYTHONPATH",
                    "PYTHONDONTWRITEBYTECODE",
                    "PTC_WORKDIR",
                    "TMPDIR",
                    "EXTRA_KEY",
                    "LC_CTYPE",
                    "PWD",
                ];
                for key in env.keys() {
                    assert!(allowed.contains(&key.as_str()), "unexpected {key} in {env:?}");
                }
                assert_eq!(env["PATH"], "/usr/bin:/bin");
                assert_eq!(env["HOME"], t.sandbox.code_root());
                assert_eq!(env["PYTHONPATH"], t.sandbox.code_root());
                assert_eq!(env["EXTRA_KEY"], "v");
            }

            #[tokio::test]
            async fn files_outside_the_workspace_are_not_writable() {
                let Some(t) = sandbox(MODE, "fs") else { return };
                let outside = t.root.join("outside.txt");
                std::fs::write(&outside, "original").unwrap();
                let code = format!(
                    "import os\nfor p in ['/usr/fba-probe', '/etc/fba-probe', {outside:?}, {parent:?}]:\n    try:\n        open(p, 'w').write('x')\n        print('WROTE', p)\n    except OSError as e:\n        print('denied', type(e).__name__)\nopen('results/in.txt', 'w').write('ok')\nopen('/tmp/t.txt' if os.environ.get('TMPDIR') is None else os.environ['TMPDIR'] + '/t.txt', 'w').write('ok')\nprint('done')",
                    outside = outside.to_string_lossy(),
                    parent = t.root.join("sb-1/escape.txt").to_string_lossy(),
                );
                let out = python(&t.sandbox, &code).await;
                assert_eq!(out.exit_code, 0, "{out:?}");
                assert!(!out.stdout.contains("WROTE"), "{out:?}");
                assert!(out.stdout.ends_with("done\n"));
                assert_eq!(std::fs::read_to_string(&outside).unwrap(), "original");
                assert!(!t.root.join("sb-1/escape.txt").exists());
                assert!(!Path::new("/usr/fba-probe").exists());
                assert!(t.sandbox.workspace_dir().join("results/in.txt").is_file());
                assert!(t.sandbox.tmp_dir().join("t.txt").is_file());
            }

            #[tokio::test]
            async fn symlink_escapes_are_refused() {
                let Some(t) = sandbox(MODE, "symlink") else { return };
                let outside = t.root.join("secret.txt");
                std::fs::write(&outside, "secret").unwrap();
                std::os::unix::fs::symlink(&outside, t.sandbox.workspace_dir().join("link"))
                    .unwrap();
                let out = python(
                    &t.sandbox,
                    "try:\n    open('link', 'w').write('x')\n    print('WROTE')\nexcept OSError as e:\n    print('denied')",
                )
                .await;
                assert_eq!(out.stdout, "denied\n", "{out:?}");
                assert_eq!(std::fs::read_to_string(&outside).unwrap(), "secret");
            }

            #[tokio::test]
            async fn output_is_capped_and_spilled() {
                let Some(t) = sandbox_with(MODE, "cap", |c| c.limits.max_output_bytes = 1000)
                else {
                    return;
                };
                let spill = t.sandbox.workspace_dir().join("code/out.txt");
                let mut req = ExecRequest::new(["python3", "-c", "print('x' * 5000)"]);
                req.stdout_spill = Some(spill.clone());
                let out = t.sandbox.exec(req).await.unwrap();
                assert_eq!(out.exit_code, 0);
                assert_eq!(out.stdout.len(), 1000);
                assert!(out.stdout_truncated);
                assert_eq!(out.stdout_bytes, 5001);
                assert_eq!(std::fs::read(&spill).unwrap().len(), 5001);
            }

            #[tokio::test]
            async fn execute_code_answers_like_upstream() {
                let Some(t) = sandbox(MODE, "exec-tool") else { return };
                let tool = ExecuteCodeTool::new(t.sandbox.clone(), None);
                assert_eq!(tool.spec().name, "execute_code");
                let call = |code: &str| {
                    let tool = &tool;
                    let args = json!({ "code": code });
                    async move { tool.call(args, &cx()).await }
                };
                let ok = call("print('hello')").await;
                assert_eq!(ok, ToolOutput::ok("SUCCESS\nhello\n"));
                let files = call(
                    "open('results/b.txt','w').write('b')\nopen('results/a.txt','w').write('a')\nprint('made')",
                )
                .await;
                assert_eq!(
                    files.text(),
                    "SUCCESS\nmade\n\nFiles created: results/a.txt, results/b.txt"
                );
                let silent = call("x = 1").await;
                assert_eq!(silent.text(), "SUCCESS");
                let err = call("raise ValueError('boom')").await;
                assert!(err.is_error);
                assert!(err.text().starts_with("ERROR\nTraceback"), "{err:?}");
                assert!(err.text().contains("ValueError: boom"));
                let long = "#".repeat(t.sandbox.limits().max_code_length + 1);
                let too_long = call(&long).await;
                assert!(too_long.is_error);
                assert!(too_long.text().starts_with("ERROR: Code is too long"), "{too_long:?}");
                assert!(t.sandbox.workspace_dir().join("code/exec_0001.py").is_file());
                assert!(t.sandbox.workspace_dir().join("code/exec_0004.py").is_file());
                assert!(!t.sandbox.workspace_dir().join("code/exec_0005.py").exists());
                // Numbers continue after a reopen.
                let reopened = Arc::new(
                    LocalSandbox::open(t.sandbox.config().clone(), t.sandbox.id()).unwrap(),
                );
                let tool2 = ExecuteCodeTool::new(reopened, None);
                let again = tool2.call(json!({"code": "print(2)"}), &cx()).await;
                assert_eq!(again.text(), "SUCCESS\n2\n");
                assert!(t.sandbox.workspace_dir().join("code/exec_0005.py").is_file());
                let bad_args = tool.call(json!({"source": "x"}), &cx()).await;
                assert!(bad_args.is_error && bad_args.text().starts_with("ERROR: "));
            }

            #[tokio::test]
            async fn execute_code_timeout_and_output_cap() {
                let Some(t) = sandbox_with(MODE, "exec-limits", |c| {
                    c.limits.max_execution_time_secs = 2;
                    c.limits.max_output_bytes = 100;
                }) else {
                    return;
                };
                let tool = ExecuteCodeTool::new(t.sandbox.clone(), None);
                let slow = tool
                    .call(json!({"code": "import time\nprint('begun', flush=True)\ntime.sleep(30)"}), &cx())
                    .await;
                assert!(slow.is_error);
                assert!(
                    slow.text().starts_with("ERROR: Code execution timed out after 2 seconds"),
                    "{slow:?}"
                );
                assert!(slow.text().contains("begun"));
                let big = tool.call(json!({"code": "print('y' * 1000)"}), &cx()).await;
                assert!(big.text().contains("[output truncated: showing the first 100 of 1001 bytes; the full output is saved in code/exec_0002.out]"), "{big:?}");
                let saved = std::fs::read_to_string(t.sandbox.workspace_dir().join("code/exec_0002.out")).unwrap();
                assert_eq!(saved.len(), 1001);
            }

            #[tokio::test]
            async fn execute_code_reaches_the_bridge_with_a_fresh_grant() {
                let Some(t) = sandbox(MODE, "bridge") else { return };
                let bridge = FakeBridge::start(t.sandbox.bridge_socket_path());
                let tool = ExecuteCodeTool::new(t.sandbox.clone(), Some(bridge.clone() as Arc<dyn BridgeAccess>));
                let code = "import os, socket\ns = socket.socket(socket.AF_UNIX)\ns.connect(os.environ['PTC_BRIDGE'])\ns.sendall(os.environ['PTC_TOKEN'].encode() + b'\\n')\nprint(s.recv(256).decode().strip())";
                let answer = tool.call(json!({ "code": code }), &cx()).await;
                assert_eq!(answer.text(), "SUCCESS\n{\"ok\":true,\"echo\":\"tok-123\"}\n");
                let granted = bridge.granted.lock().unwrap();
                assert_eq!(granted.len(), 1);
                assert!(granted[0].load(Ordering::SeqCst), "the grant outlived the run");
            }

            #[tokio::test]
            async fn bash_answers_like_upstream_with_the_real_exit_code() {
                let Some(t) = sandbox(MODE, "bash") else { return };
                let tool = BashTool::new(t.sandbox.clone());
                assert_eq!(tool.spec().name, "Bash");
                let ok = tool.call(json!({"command": "echo hi"}), &cx()).await;
                assert_eq!(ok, ToolOutput::ok("hi\n"));
                let pipes = tool
                    .call(
                        json!({"command": "echo abc | tr a-c x-z; (sleep 0.1 &); wait; python3 -c 'import subprocess; print(subprocess.run([\"true\"]).returncode)'"}),
                        &cx(),
                    )
                    .await;
                assert_eq!(pipes.text(), "xyz\n0\n", "pipes, subshells and subprocesses work");
                let quiet = tool.call(json!({"command": "mkdir -p data/new"}), &cx()).await;
                assert_eq!(quiet.text(), "Command completed successfully");
                assert!(t.sandbox.workspace_dir().join("data/new").is_dir());
                let failed = tool
                    .call(json!({"command": "echo partial; echo bad >&2; exit 3"}), &cx())
                    .await;
                assert!(failed.is_error);
                assert_eq!(failed.text(), "ERROR: Command failed (exit code 3)\nbad\n");
                let slow = tool
                    .call(json!({"command": "sleep 20", "timeout": 1000}), &cx())
                    .await;
                assert_eq!(
                    slow.text(),
                    "ERROR: Command failed (exit code 124)\nCommand timed out after 1 seconds"
                );
                let wd = format!("{}/data", t.sandbox.virtual_root());
                let pwd = tool.call(json!({"command": "pwd", "working_dir": wd}), &cx()).await;
                assert_eq!(pwd.text(), format!("{}/data\n", t.sandbox.code_root()));
                let bg = tool
                    .call(json!({"command": "sleep 1", "run_in_background": true}), &cx())
                    .await;
                assert!(bg.is_error && bg.text().contains("run_in_background is not supported"));
                let script = std::fs::read_to_string(t.sandbox.workspace_dir().join("code/bash_0001.sh")).unwrap();
                assert!(script.contains("# ID: bash_0001\n"), "{script}");
                assert!(script.ends_with("&& echo hi\n"), "{script}");
            }

            #[tokio::test]
            async fn bash_cancel_kills_the_command() {
                let Some(t) = sandbox(MODE, "bash-cancel") else { return };
                let tool = BashTool::new(t.sandbox.clone());
                let marker = unique_sleep();
                let ctx = cx();
                let cancel = ctx.cancel.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    cancel.cancel();
                });
                let answer = tool
                    .call(json!({"command": format!("sleep {marker}")}), &ctx)
                    .await;
                assert!(answer.is_error && answer.text().contains("cancelled"), "{answer:?}");
                assert!(gone(&marker).await, "the command survived the cancel");
            }
        }
    };
}

layer_tests!(bwrap, IsolationMode::Bwrap);
layer_tests!(landlock, IsolationMode::Landlock);
