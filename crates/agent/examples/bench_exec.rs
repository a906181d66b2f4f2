//! Round-trip times of the agent's `execute_code` tool in the real local sandbox, for
//! `scripts/bench-agent.sh` (issue 13): a trivial script, one and ten MCP calls through the
//! host-side bridge, and the same MCP call made directly on the host, plus the costs underneath
//! (Python's start-up, bubblewrap's start-up, the sandbox's wrapper) for comparison.
//!
//! ```text
//! cargo build --release -p fba-agent --features testkit --example bench_exec --bin fba-sandbox-exec
//! target/release/examples/bench_exec [--isolation auto|bwrap|landlock|none] \
//!   [--helper target/release/fba-sandbox-exec] [--runs 200] [--warmup 10]
//! ```
//!
//! One sandbox in a fresh temp dir, the test kit's fake stdio MCP server (`add_numbers`) as
//! server `fake`, its generated `tools/` package in the workspace and a bridge bound on the
//! sandbox's socket, exactly as a session wires them. Every round runs each case once, in turn
//! (so slow phases of the machine hit every case alike); the warm-up rounds are not counted.
//! Every answer is checked: a wrong one aborts the run (exit code 1; an isolation layer that is
//! not available here: exit code 3). Prints a table (milliseconds) and the
//! per-call bridge overhead derived from it.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fba_agent::mcp::{Bridge, BridgeSettings, McpRegistry, generate_tool_files};
use fba_agent::sandbox::bwrap::system_dir_args;
use fba_agent::sandbox::{ExecRequest, IsolationMode, LocalSandbox, SandboxConfig, SandboxError};
use fba_agent::testkit::mcp::fake_stdio_config;
use fba_agent::tools::execute_code::ExecuteCodeTool;
use fba_agent::tools::{BridgeAccess, Tool, ToolCx};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// The MCP server's name (and so its module, `tools.fake`).
const SERVER: &str = "fake";
/// How many MCP calls case (c) makes.
const LOOP_CALLS: u32 = 10;
/// The time limit of one MCP call and of one execution.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The command line.
#[derive(Debug)]
struct Args {
    isolation: IsolationMode,
    helper: PathBuf,
    runs: usize,
    warmup: usize,
}

/// The usage line printed for `--help` and after a bad argument.
const USAGE: &str = "usage: bench_exec [--isolation auto|bwrap|landlock|none] [--helper PATH] [--runs N] [--warmup N]";

/// Parses the command line; a bad flag or value is an error naming it.
fn parse_args(argv: impl IntoIterator<Item = String>) -> Result<Option<Args>, String> {
    let mut args = Args {
        isolation: IsolationMode::Auto,
        helper: PathBuf::from("target/release/fba-sandbox-exec"),
        runs: 200,
        warmup: 10,
    };
    let mut it = argv.into_iter();
    while let Some(flag) = it.next() {
        if flag == "--help" || flag == "-h" {
            return Ok(None);
        }
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--isolation" => {
                let v = value()?;
                args.isolation = match v.as_str() {
                    "auto" => IsolationMode::Auto,
                    "bwrap" => IsolationMode::Bwrap,
                    "landlock" => IsolationMode::Landlock,
                    "none" => IsolationMode::None,
                    _ => {
                        return Err(format!(
                            "--isolation {v:?}: use auto, bwrap, landlock or none"
                        ));
                    }
                };
            }
            "--helper" => args.helper = PathBuf::from(value()?),
            "--runs" => args.runs = count(&flag, &value()?, 1)?,
            "--warmup" => args.warmup = count(&flag, &value()?, 0)?,
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }
    Ok(Some(args))
}

/// A count of at least `min`.
fn count(flag: &str, value: &str, min: usize) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(n) if n >= min => Ok(n),
        _ => Err(format!(
            "{flag} {value:?}: expected a whole number >= {min}"
        )),
    }
}

/// The measured cases, in the order each round runs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Case {
    /// (a) `execute_code` with `print(1)`.
    Trivial,
    /// `execute_code` importing the tool module without calling it.
    ImportOnly,
    /// (b) `execute_code` with one MCP call.
    OneCall,
    /// (c) `execute_code` with ten MCP calls in a loop.
    TenCalls,
    /// (d) the same MCP call on the host, `McpRegistry::call`.
    HostCall,
    /// `LocalSandbox::exec` of `python3 -c pass` (no `execute_code` bookkeeping).
    SandboxPython,
    /// `LocalSandbox::exec` of `/usr/bin/true` (the layer's wrapper alone).
    SandboxTrue,
    /// `python3 -c pass` on the host, no sandbox.
    HostPython,
    /// `bwrap … /usr/bin/true` with the isolation probe's arguments, no helper.
    BwrapTrue,
}

impl Case {
    /// The row's name in the table.
    fn label(self) -> &'static str {
        match self {
            Self::Trivial => "(a) execute_code `print(1)`",
            Self::ImportOnly => "execute_code `import tools.fake` (no call)",
            Self::OneCall => "(b) execute_code, 1 MCP call",
            Self::TenCalls => "(c) execute_code, 10 MCP calls",
            Self::HostCall => "(d) McpRegistry::call on the host",
            Self::SandboxPython => "sandbox exec `python3 -c pass`",
            Self::SandboxTrue => "sandbox exec `/usr/bin/true`",
            Self::HostPython => "`python3 -c pass` on the host",
            Self::BwrapTrue => "`bwrap … /usr/bin/true` (probe's args)",
        }
    }
}

/// What the cases run on.
struct Bench {
    sandbox: Arc<LocalSandbox>,
    tool: ExecuteCodeTool,
    registry: Arc<McpRegistry>,
    python: PathBuf,
    bwrap: Option<PathBuf>,
}

/// The context of one tool call (never cancelled).
fn cx() -> ToolCx {
    ToolCx {
        call_id: "bench".to_owned(),
        cancel: CancellationToken::new(),
    }
}

/// Case (b): one MCP call, answering 5.
fn one_call_code() -> String {
    format!("from tools.{SERVER} import add_numbers; print(add_numbers(a=2, b=3))")
}

/// Case (c): `LOOP_CALLS` MCP calls in a loop, printing the sum of their answers.
fn ten_calls_code() -> String {
    format!(
        "from tools.{SERVER} import add_numbers\ns = 0\nfor i in range({LOOP_CALLS}):\n    s += int(add_numbers(a=i, b=1))\nprint(s)"
    )
}

/// The answer case (c) must print: the sum of `i + 1` for `i < LOOP_CALLS`.
fn ten_calls_sum() -> u32 {
    (1..=LOOP_CALLS).sum()
}

impl Bench {
    /// Runs `code` through `execute_code` and checks the answer.
    async fn execute(&self, code: &str, expected: &str) -> Result<(), String> {
        let answer = self.tool.call(json!({ "code": code }), &cx()).await;
        let text = answer.text();
        if answer.is_error || text != expected {
            return Err(format!(
                "execute_code answered {text:?}, expected {expected:?} (code: {code:?})"
            ));
        }
        Ok(())
    }

    /// Runs `argv` in the sandbox and checks it exits 0 with no output.
    async fn sandbox_exec(&self, argv: &[&str]) -> Result<(), String> {
        let out = self
            .sandbox
            .exec(ExecRequest::new(argv.iter().copied()))
            .await
            .map_err(|e| format!("sandbox exec {argv:?}: {e}"))?;
        if out.exit_code != 0 || !out.stdout.is_empty() {
            return Err(format!(
                "sandbox exec {argv:?} exited {} with stdout {:?}, stderr {:?}",
                out.exit_code, out.stdout, out.stderr
            ));
        }
        Ok(())
    }

    /// Runs a host command and checks it exits 0.
    async fn host_command(program: &Path, args: &[OsString]) -> Result<(), String> {
        let out = tokio::process::Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|e| format!("{}: {e}", program.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} exited with {}: {}",
                program.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(())
    }

    /// Runs one case once and checks its answer.
    async fn run(&self, case: Case) -> Result<(), String> {
        match case {
            Case::Trivial => self.execute("print(1)", "SUCCESS\n1\n").await,
            Case::ImportOnly => {
                let code = format!("import tools.{SERVER}\nprint(1)");
                self.execute(&code, "SUCCESS\n1\n").await
            }
            Case::OneCall => self.execute(&one_call_code(), "SUCCESS\n5\n").await,
            Case::TenCalls => {
                let expected = format!("SUCCESS\n{}\n", ten_calls_sum());
                self.execute(&ten_calls_code(), &expected).await
            }
            Case::HostCall => {
                let result = self
                    .registry
                    .call(SERVER, "add_numbers", json!({"a": 2, "b": 3}), CALL_TIMEOUT)
                    .await
                    .map_err(|e| format!("McpRegistry::call: {e}"))?;
                let text = result["content"][0]["text"].as_str();
                if text != Some("5") {
                    return Err(format!("add_numbers on the host answered {result}"));
                }
                Ok(())
            }
            Case::SandboxPython => self.sandbox_exec(&["python3", "-c", "pass"]).await,
            Case::SandboxTrue => self.sandbox_exec(&["/usr/bin/true"]).await,
            Case::HostPython => {
                Self::host_command(&self.python, &["-c".into(), "pass".into()]).await
            }
            Case::BwrapTrue => match &self.bwrap {
                Some(bwrap) => Self::host_command(bwrap, &bwrap_true_args()).await,
                None => Err("bwrap is not usable here".to_owned()),
            },
        }
    }
}

/// Nearest-rank percentile of sorted samples (milliseconds).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// One table row: p50, p90, p99, mean, min, max.
fn row(label: &str, samples: &[f64]) -> String {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mean = sorted.iter().sum::<f64>() / sorted.len().max(1) as f64;
    let (min, max) = (
        sorted.first().copied().unwrap_or(f64::NAN),
        sorted.last().copied().unwrap_or(f64::NAN),
    );
    format!(
        "| {label} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
        percentile(&sorted, 50.0),
        percentile(&sorted, 90.0),
        percentile(&sorted, 99.0),
        mean,
        min,
        max
    )
}

/// The median of unsorted samples.
fn p50(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    percentile(&sorted, 50.0)
}

/// Removes the bench's temp dir when dropped.
struct TempRoot(PathBuf);

impl Drop for TempRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes the generated `tools/` package into the workspace.
fn write_tool_files(workspace: &Path, registry: &McpRegistry) -> Result<(), String> {
    for file in generate_tool_files(&registry.tools()) {
        let path = workspace.join(&file.path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, &file.content).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

/// The isolation probe's bwrap command line: every namespace unshared, the system dirs
/// read-only, `/proc` and `/dev`, running `/usr/bin/true` (no helper, no Python).
fn bwrap_true_args() -> Vec<OsString> {
    let mut args: Vec<OsString> = ["--unshare-all", "--die-with-parent", "--new-session"]
        .map(Into::into)
        .to_vec();
    args.extend(system_dir_args());
    args.extend(["--proc", "/proc", "--dev", "/dev", "/usr/bin/true"].map(Into::into));
    args
}

/// `bwrap` when it runs [`bwrap_true_args`] here (the `bwrap … true` row needs it).
async fn bwrap_usable(bwrap: &Path) -> Option<PathBuf> {
    let probe = if bwrap.is_file() {
        Bench::host_command(bwrap, &bwrap_true_args()).await
    } else {
        Err(format!("{} not found", bwrap.display()))
    };
    match probe {
        Ok(()) => Some(bwrap.to_path_buf()),
        Err(e) => {
            println!("note: no `bwrap … true` row: {e}");
            None
        }
    }
}

/// Why the bench stopped.
#[derive(Debug)]
enum Failure {
    /// The requested isolation layer is not available here (exit code 3).
    Unavailable(String),
    /// Anything else, a wrong answer included (exit code 1).
    Other(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Self::Other(message)
    }
}

/// Sets up the sandbox, the MCP server and the bridge, runs the rounds and prints the table.
async fn bench(args: Args) -> Result<(), Failure> {
    let helper = std::fs::canonicalize(&args.helper).map_err(|e| {
        format!(
            "the exec helper {}: {e} (build it: cargo build --release -p fba-agent --bin fba-sandbox-exec)",
            args.helper.display()
        )
    })?;
    let root = TempRoot(std::env::temp_dir().join(format!(
        "fba-bench-exec-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    )));
    let mut config = SandboxConfig {
        root_dir: root.0.join("sandboxes"),
        isolation: args.isolation,
        exec_helper: Some(helper.clone()),
        ..SandboxConfig::default()
    };
    config.limits.max_execution_time_secs = CALL_TIMEOUT.as_secs();
    let python = config.python.clone();
    let bwrap_path = config.bwrap.clone();
    let sandbox = tokio::task::spawn_blocking(move || LocalSandbox::create(config, "bench"))
        .await
        .map_err(|e| format!("sandbox creation panicked: {e}"))?
        .map_err(|e| match e {
            SandboxError::IsolationUnavailable(why) => Failure::Unavailable(why),
            e => Failure::Other(format!("cannot create the sandbox: {e}")),
        })?;
    let sandbox = Arc::new(sandbox);
    let report = sandbox.isolation().clone();

    let server = fake_stdio_config(SERVER).map_err(|e| format!("fake MCP server: {e}"))?;
    let registry = Arc::new(
        McpRegistry::new(vec![server], &root.0, BTreeMap::new())
            .with_connect_timeout(Duration::from_secs(20)),
    );
    let status = registry.connect_all().await;
    if let Some(s) = status.iter().find(|s| !s.connected) {
        return Err(Failure::Other(format!(
            "the fake MCP server did not connect: {}",
            s.error.as_deref().unwrap_or("unknown error")
        )));
    }
    write_tool_files(sandbox.workspace_dir(), &registry)?;
    let bridge = Bridge::bind(
        &sandbox.bridge_socket_path(),
        registry.clone(),
        BridgeSettings::default(),
    )
    .map_err(|e| format!("cannot bind the bridge: {e}"))?;
    let bridge: Arc<dyn BridgeAccess> = Arc::new(bridge);
    let bench = Bench {
        tool: ExecuteCodeTool::new(sandbox.clone(), Some(bridge)),
        sandbox: sandbox.clone(),
        registry: registry.clone(),
        bwrap: bwrap_usable(&bwrap_path).await,
        python,
    };

    let mut cases = vec![
        Case::Trivial,
        Case::ImportOnly,
        Case::OneCall,
        Case::TenCalls,
        Case::HostCall,
        Case::SandboxPython,
        Case::SandboxTrue,
        Case::HostPython,
    ];
    if bench.bwrap.is_some() {
        cases.push(Case::BwrapTrue);
    }
    let mut samples: BTreeMap<Case, Vec<f64>> = BTreeMap::new();
    for round in 0..args.warmup + args.runs {
        for &case in &cases {
            let started = Instant::now();
            bench.run(case).await?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            if round >= args.warmup {
                samples.entry(case).or_default().push(ms);
            }
        }
    }
    registry.shutdown().await;

    println!(
        "isolation: {:?} (requested {:?}), seccomp {}, landlock ABI {}, network {}; helper {}",
        report.layer,
        args.isolation,
        report.seccomp,
        report
            .landlock_abi
            .map_or_else(|| "none".to_owned(), |n| n.to_string()),
        report.network,
        helper.display()
    );
    println!(
        "{} rounds after {} warm-up rounds; every round runs each case once, in this order",
        args.runs, args.warmup
    );
    println!();
    println!("| case | p50 ms | p90 ms | p99 ms | mean ms | min ms | max ms |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (case, s) in &samples {
        println!("{}", row(case.label(), s));
    }
    let get = |case: Case| samples.get(&case).map(Vec::as_slice).unwrap_or_default();
    let paired = |x: &[f64], y: &[f64], per: f64| -> Vec<f64> {
        x.iter().zip(y).map(|(x, y)| (x - y) / per).collect()
    };
    let (a, b, c, d) = (
        get(Case::Trivial),
        get(Case::OneCall),
        get(Case::TenCalls),
        get(Case::HostCall),
    );
    let calls = f64::from(LOOP_CALLS);
    let per_call = paired(c, a, calls);
    let marginal = paired(c, b, calls - 1.0);
    let one = paired(b, a, 1.0);
    println!(
        "{}",
        row(
            "per MCP call: ((c) − (a)) / 10, paired per round",
            &per_call
        )
    );
    println!(
        "{}",
        row("per MCP call: ((c) − (b)) / 9, paired per round", &marginal)
    );
    println!(
        "{}",
        row("first MCP call: (b) − (a), paired per round", &one)
    );
    println!();
    println!(
        "bridge overhead per MCP call (p50): {:.2} ms = ((c) − (a)) / 10, of which the server's own call (d) is {:.2} ms: {:.2} ms is the sandbox client + bridge; marginal call ((c) − (b)) / 9: {:.2} ms",
        p50(&per_call),
        p50(d),
        p50(&per_call) - p50(d),
        p50(&marginal)
    );
    println!(
        "targets: trivial script p50 {:.2} ms (target < 50 ms: {}); bridge overhead per call {:.2} ms (target < 5 ms: {})",
        p50(a),
        if p50(a) < 50.0 { "met" } else { "NOT met" },
        p50(&per_call),
        if p50(&per_call) < 5.0 {
            "met"
        } else {
            "NOT met"
        }
    );
    drop(bench);
    let _ = sandbox.destroy();
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("bench_exec: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match bench(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Unavailable(why)) => {
            eprintln!("bench_exec: isolation unavailable: {why}");
            ExitCode::from(3)
        }
        Err(Failure::Other(e)) => {
            eprintln!("bench_exec: {e}");
            ExitCode::FAILURE
        }
    }
}
