//! Runs one sandboxed process: its own process group, a cleared environment, stdout and stderr
//! read concurrently with a cap, a wall-clock timeout that kills the whole group (exit 124), and
//! a kill of the group when the run is dropped (cancelled).

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

use super::error::SandboxError;

/// The exit code reported when the timeout killed the process (as `timeout(1)` does).
pub const TIMEOUT_EXIT_CODE: i32 = 124;

/// How long to wait for the output pipes to close once the process group is gone.
const DRAIN_GRACE: Duration = Duration::from_secs(3);

/// What the code did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutput {
    /// The exit code; 128 + signal when a signal ended it; 124 on timeout.
    pub exit_code: i32,
    /// The first `max_output_bytes` of stdout (invalid UTF-8 replaced).
    pub stdout: String,
    /// The first `max_output_bytes` of stderr (invalid UTF-8 replaced).
    pub stderr: String,
    /// The timeout ended the run.
    pub timed_out: bool,
    /// stdout was longer than the cap.
    pub stdout_truncated: bool,
    /// All the bytes written to stdout.
    pub stdout_bytes: u64,
    /// stderr was longer than the cap.
    pub stderr_truncated: bool,
    /// All the bytes written to stderr.
    pub stderr_bytes: u64,
    /// Wall-clock time of the run.
    pub duration: Duration,
}

/// One process to run (built by the sandbox for its layer).
#[derive(Debug, Clone)]
pub(crate) struct Spawn {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    /// The whole environment (the server's is cleared).
    pub env: Vec<(String, String)>,
    /// The host directory the process starts in.
    pub cwd: PathBuf,
    pub stdin: Option<Vec<u8>>,
    pub timeout: Duration,
    /// Bytes kept per stream.
    pub cap: u64,
    /// Where to save a stream in full when it is longer than the cap.
    pub stdout_spill: Option<PathBuf>,
    pub stderr_spill: Option<PathBuf>,
    /// The most bytes a spill file gets.
    pub spill_limit: u64,
}

/// One stream as read.
#[derive(Debug, Default)]
struct Captured {
    head: Vec<u8>,
    total: u64,
}

/// Kills a process group with SIGKILL when dropped (unless disarmed).
struct GroupKill(Option<Pid>);

impl GroupKill {
    fn kill_now(&mut self) {
        if let Some(pgid) = self.0.take() {
            // ESRCH (the group is already gone) is the normal case after a clean exit.
            let _ = killpg(pgid, Signal::SIGKILL);
        }
    }
}

impl Drop for GroupKill {
    fn drop(&mut self) {
        self.kill_now();
    }
}

/// Where a stream's full copy stands.
enum Spill {
    /// Not needed yet (or no spill file asked for).
    Idle,
    /// Being written; the bytes written so far.
    Open(tokio::fs::File, u64),
    /// Finished (limit reached, or a write failed).
    Done,
}

/// Appends `data` to the spill file up to `limit` bytes in all; `Done` when the limit is
/// reached or the write fails.
async fn spill_write(state: Spill, data: &[u8], limit: u64) -> Spill {
    let Spill::Open(mut file, written) = state else {
        return state;
    };
    let take = usize::try_from(limit.saturating_sub(written))
        .unwrap_or(usize::MAX)
        .min(data.len());
    if file.write_all(&data[..take]).await.is_err() {
        return Spill::Done;
    }
    let written = written + take as u64;
    if written >= limit {
        let _ = file.flush().await;
        return Spill::Done;
    }
    Spill::Open(file, written)
}

/// Reads `reader` to its end, keeping the first `cap` bytes in `out` and writing the whole
/// stream (up to `spill_limit` bytes) to `spill` once it passes the cap.
async fn read_capped<R: AsyncRead + Unpin>(
    mut reader: R,
    out: &mut Captured,
    cap: u64,
    spill: Option<PathBuf>,
    spill_limit: u64,
) {
    let cap_len = usize::try_from(cap).unwrap_or(usize::MAX);
    let mut buf = vec![0u8; 64 * 1024];
    let mut state = Spill::Idle;
    loop {
        let n = match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let chunk = &buf[..n];
        out.total += n as u64;
        let keep = cap_len.saturating_sub(out.head.len()).min(n);
        out.head.extend_from_slice(&chunk[..keep]);
        if out.total <= cap {
            continue;
        }
        state = match state {
            Spill::Idle => match &spill {
                Some(path) => match tokio::fs::File::create(path).await {
                    Ok(file) => {
                        let opened =
                            spill_write(Spill::Open(file, 0), &out.head, spill_limit).await;
                        spill_write(opened, &chunk[keep..], spill_limit).await
                    }
                    Err(e) => {
                        tracing::warn!(path = %path.display(), error = %e, "cannot save the full output");
                        Spill::Done
                    }
                },
                None => Spill::Done,
            },
            open @ Spill::Open(..) => spill_write(open, chunk, spill_limit).await,
            Spill::Done => Spill::Done,
        };
    }
    if let Spill::Open(mut file, _) = state {
        let _ = file.flush().await;
    }
}

/// Runs the process to its end, its timeout, or until the returned future is dropped.
pub(crate) async fn run(spawn: Spawn) -> Result<ExecOutput, SandboxError> {
    let started = Instant::now();
    let mut cmd = Command::new(&spawn.program);
    cmd.args(&spawn.args)
        .env_clear()
        .envs(spawn.env.iter().map(|(k, v)| (k, v)))
        .current_dir(&spawn.cwd)
        .stdin(if spawn.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = cmd.spawn()?;
    let mut group = GroupKill(
        child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw),
    );
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let stdin = child.stdin.take();
    let mut out = Captured::default();
    let mut err = Captured::default();
    let deadline = tokio::time::Instant::now() + spawn.timeout;
    let (status, timed_out) = {
        let read_out = async {
            if let Some(s) = stdout {
                read_capped(
                    s,
                    &mut out,
                    spawn.cap,
                    spawn.stdout_spill.clone(),
                    spawn.spill_limit,
                )
                .await;
            }
        };
        let read_err = async {
            if let Some(s) = stderr {
                read_capped(
                    s,
                    &mut err,
                    spawn.cap,
                    spawn.stderr_spill.clone(),
                    spawn.spill_limit,
                )
                .await;
            }
        };
        let write_in = async {
            if let (Some(mut pipe), Some(data)) = (stdin, spawn.stdin.as_deref()) {
                // A process that does not read its input closes the pipe: not an error.
                let _ = pipe.write_all(data).await;
                let _ = pipe.shutdown().await;
            }
        };
        let io = async { tokio::join!(read_out, read_err, write_in) };
        tokio::pin!(io);
        let mut io_done = false;
        let waited = loop {
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => break None,
                status = child.wait() => break Some(status?),
                _ = &mut io, if !io_done => io_done = true,
            }
        };
        let (status, timed_out) = match waited {
            Some(status) => {
                // Whatever the command left running in its group goes too.
                group.kill_now();
                (status, false)
            }
            None => {
                group.kill_now();
                (child.wait().await?, true)
            }
        };
        if !io_done {
            let _ = tokio::time::timeout(DRAIN_GRACE, &mut io).await;
        }
        (status, timed_out)
    };
    let exit_code = if timed_out {
        TIMEOUT_EXIT_CODE
    } else {
        status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
    };
    Ok(ExecOutput {
        exit_code,
        stdout_truncated: out.total > out.head.len() as u64,
        stdout_bytes: out.total,
        stdout: String::from_utf8_lossy(&out.head).into_owned(),
        stderr_truncated: err.total > err.head.len() as u64,
        stderr_bytes: err.total,
        stderr: String::from_utf8_lossy(&err.head).into_owned(),
        timed_out,
        duration: started.elapsed(),
    })
}
