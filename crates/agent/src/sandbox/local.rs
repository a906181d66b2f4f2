//! [`LocalSandbox`]: one sandbox on this machine. `<root_dir>/<id>/home` is the workspace (the
//! code sees it at the virtual root), `<root_dir>/<id>/run` holds the bridge socket and
//! `<root_dir>/<id>/tmp` is the code's `/tmp`. "Stop" is a no-op and reopening is instant.

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use super::bwrap::{BRIDGE_INSIDE, BwrapSpec, bwrap_args, etc_entries};
use super::config::{Limits, SandboxConfig};
use super::error::SandboxError;
use super::helper_cli::{HelperArgs, RlimitSpec};
use super::isolation::{IsolationReport, Layer};
use super::process::{ExecOutput, Spawn, run};

/// The workspace dirs every sandbox has (upstream's layout; the prompts rely on it).
pub const WORKSPACE_DIRS: [&str; 5] = ["tools", "tools/docs", "results", "data", "code"];

/// Host paths readable (not writable) by code under the Landlock layer, besides `/etc`'s
/// entries and the configured extra paths.
const LANDLOCK_RO: [&str; 10] = [
    "/usr",
    "/lib",
    "/lib64",
    "/lib32",
    "/libx32",
    "/bin",
    "/sbin",
    "/dev/urandom",
    "/dev/random",
    "/dev/zero",
];

/// One command to run in the sandbox.
#[derive(Debug, Clone, Default)]
pub struct ExecRequest {
    /// The program (looked up in `PATH=/usr/bin:/bin`) and its arguments.
    pub argv: Vec<String>,
    /// Extra environment (on top of `PATH`, `HOME`, `LANG`, `PYTHONPATH`, `PTC_WORKDIR`…).
    pub env: Vec<(String, String)>,
    /// The working directory as the code sees it (inside the virtual root); the virtual root
    /// when `None`.
    pub cwd: Option<String>,
    /// The wall-clock limit; `limits.max_execution_time_secs` when `None`.
    pub timeout: Option<Duration>,
    /// Bytes fed to stdin (stdin is `/dev/null` when `None`).
    pub stdin: Option<Vec<u8>>,
    /// The host bridge socket to make reachable (`PTC_BRIDGE` is set to where the code sees it).
    pub bridge_socket: Option<PathBuf>,
    /// Host file that gets the whole stdout (up to `max_file_size`) when it passes the cap.
    pub stdout_spill: Option<PathBuf>,
    /// Host file that gets the whole stderr (up to `max_file_size`) when it passes the cap.
    pub stderr_spill: Option<PathBuf>,
}

impl ExecRequest {
    /// A request to run `argv` with the defaults.
    pub fn new<I, S>(argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            argv: argv.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
}

/// A file claimed under the workspace's `code/` dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeFile {
    /// Its number (`exec_0007.py` → 7).
    pub number: u32,
    /// `code/<prefix>_NNNN` without the extension, relative to the workspace.
    pub stem: String,
    /// Its path relative to the workspace (`code/exec_0007.py`).
    pub relative: String,
    /// Its host path.
    pub host_path: PathBuf,
}

/// A sandbox on this machine.
#[derive(Debug)]
pub struct LocalSandbox {
    config: SandboxConfig,
    id: String,
    base: PathBuf,
    workspace: PathBuf,
    run_dir: PathBuf,
    tmp_dir: PathBuf,
    helper: PathBuf,
    report: IsolationReport,
    /// The last number given out per `code/` prefix.
    counters: Mutex<HashMap<String, u32>>,
}

/// Checks a sandbox id: 1–128 characters of `[A-Za-z0-9._-]`, not `.` or `..`.
fn validate_id(id: &str) -> Result<(), SandboxError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && id != "."
        && id != ".."
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(SandboxError::InvalidId(id.to_owned()))
    }
}

impl LocalSandbox {
    /// Creates the sandbox `id` (or reuses its dirs when they exist) and makes the workspace
    /// dirs. Probes the isolation the first time (see [`IsolationReport::detect`]); blocking.
    ///
    /// # Errors
    /// A bad id, the configured isolation unavailable, or a filesystem error.
    pub fn create(config: SandboxConfig, id: &str) -> Result<Self, SandboxError> {
        validate_id(id)?;
        let sandbox = Self::new(config, id)?;
        for dir in [&sandbox.workspace, &sandbox.run_dir, &sandbox.tmp_dir] {
            std::fs::create_dir_all(dir)?;
        }
        for dir in WORKSPACE_DIRS {
            std::fs::create_dir_all(sandbox.workspace.join(dir))?;
        }
        Ok(sandbox)
    }

    /// Opens the existing sandbox `id` (recreating missing workspace dirs).
    ///
    /// # Errors
    /// A bad id, no such sandbox, the configured isolation unavailable, or a filesystem error.
    pub fn open(config: SandboxConfig, id: &str) -> Result<Self, SandboxError> {
        validate_id(id)?;
        let base = config.root_dir.join(id);
        if !base.join("home").is_dir() {
            return Err(SandboxError::NotFound(id.to_owned()));
        }
        Self::create(config, id)
    }

    /// The sandbox's paths and isolation report; refuses when the isolation is unavailable.
    fn new(config: SandboxConfig, id: &str) -> Result<Self, SandboxError> {
        let report = IsolationReport::detect(&config);
        if let Some(why) = &report.unavailable {
            return Err(SandboxError::IsolationUnavailable(why.clone()));
        }
        let base = config.root_dir.join(id);
        Ok(Self {
            helper: config.exec_helper_path(),
            id: id.to_owned(),
            workspace: base.join("home"),
            run_dir: base.join("run"),
            tmp_dir: base.join("tmp"),
            base,
            config,
            report,
            counters: Mutex::new(HashMap::new()),
        })
    }

    /// The sandbox id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The host dir of the workspace (`<root_dir>/<id>/home`).
    pub fn workspace_dir(&self) -> &Path {
        &self.workspace
    }

    /// The host dir for the bridge socket (`<root_dir>/<id>/run`).
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// The host dir the code sees as `/tmp` (`<root_dir>/<id>/tmp`).
    pub fn tmp_dir(&self) -> &Path {
        &self.tmp_dir
    }

    /// Where the MCP bridge of this sandbox binds its socket (`<run>/bridge.sock`).
    pub fn bridge_socket_path(&self) -> PathBuf {
        self.run_dir.join("bridge.sock")
    }

    /// The configuration.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// The resource limits.
    pub fn limits(&self) -> &Limits {
        &self.config.limits
    }

    /// The isolation this sandbox runs code under.
    pub fn isolation(&self) -> &IsolationReport {
        &self.report
    }

    /// The virtual root (`/home/daytona` by default): the workspace path in prompts and tools.
    pub fn virtual_root(&self) -> &str {
        &self.config.virtual_root
    }

    /// The workspace path as the running code sees it: the virtual root under bubblewrap, the
    /// host path under the other layers.
    pub fn code_root(&self) -> String {
        match self.report.layer {
            Layer::Bwrap => self.config.virtual_root.clone(),
            Layer::Landlock | Layer::None => self.workspace.to_string_lossy().into_owned(),
        }
    }

    /// Maps a path under the virtual root to the path the running code sees (see
    /// [`Self::code_root`]); `..` components are refused.
    ///
    /// # Errors
    /// [`SandboxError::InvalidCwd`] for a path outside the virtual root.
    pub fn code_path(&self, virtual_path: &str) -> Result<String, SandboxError> {
        let rel = self.relative_to_root(virtual_path)?;
        let root = self.code_root();
        Ok(if rel.as_os_str().is_empty() {
            root
        } else {
            Path::new(&root).join(rel).to_string_lossy().into_owned()
        })
    }

    /// The part of `virtual_path` under the virtual root.
    fn relative_to_root(&self, virtual_path: &str) -> Result<PathBuf, SandboxError> {
        let bad = || SandboxError::InvalidCwd(virtual_path.to_owned());
        let rest = Path::new(virtual_path)
            .strip_prefix(&self.config.virtual_root)
            .map_err(|_| bad())?;
        let mut rel = PathBuf::new();
        for component in rest.components() {
            match component {
                Component::Normal(part) => rel.push(part),
                Component::CurDir => {}
                _ => return Err(bad()),
            }
        }
        Ok(rel)
    }

    /// Claims the next free `code/<prefix>_NNNN.<ext>` (numbers continue after the highest one
    /// already in `code/`, also across reopens) and writes `contents` to it.
    ///
    /// # Errors
    /// A filesystem error.
    pub fn claim_code_file(
        &self,
        prefix: &str,
        ext: &str,
        contents: &[u8],
    ) -> Result<CodeFile, SandboxError> {
        let code_dir = self.workspace.join("code");
        std::fs::create_dir_all(&code_dir)?;
        let mut counters = self
            .counters
            .lock()
            .map_err(|_| std::io::Error::other("code file counter poisoned"))?;
        let mut number = match counters.get(prefix) {
            Some(n) => *n,
            None => highest_number(&code_dir, prefix)?,
        };
        loop {
            number = number.saturating_add(1);
            let stem = format!("{prefix}_{number:04}");
            let host_path = code_dir.join(format!("{stem}.{ext}"));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&host_path)
            {
                Ok(mut file) => {
                    file.write_all(contents)?;
                    counters.insert(prefix.to_owned(), number);
                    return Ok(CodeFile {
                        number,
                        relative: format!("code/{stem}.{ext}"),
                        stem: format!("code/{stem}"),
                        host_path,
                    });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Runs a command in the sandbox under its isolation layer, with the rlimits and the
    /// timeout. Dropping the returned future kills the process group.
    ///
    /// # Errors
    /// Bad request (empty argv, cwd outside the root, a missing bridge socket), the helper
    /// missing, or a spawn failure. The code's own failure is an `Ok` with its exit code.
    pub async fn exec(&self, req: ExecRequest) -> Result<ExecOutput, SandboxError> {
        if req.argv.is_empty() {
            return Err(SandboxError::EmptyCommand);
        }
        if !self.helper.is_file() {
            return Err(SandboxError::HelperMissing(self.helper.clone()));
        }
        if let Some(socket) = &req.bridge_socket
            && !socket.exists()
        {
            return Err(SandboxError::BridgeMissing(socket.clone()));
        }
        let cwd_virtual = req
            .cwd
            .clone()
            .unwrap_or_else(|| self.config.virtual_root.clone());
        let cwd_rel = self.relative_to_root(&cwd_virtual)?;
        let limits = &self.config.limits;
        let layer = self.report.layer;
        let code_root = self.code_root();
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("HOME".into(), code_root.clone()),
            ("LANG".into(), "C.UTF-8".into()),
            ("PYTHONPATH".into(), code_root.clone()),
            ("PYTHONDONTWRITEBYTECODE".into(), "1".into()),
            ("PTC_WORKDIR".into(), code_root.clone()),
        ];
        if layer != Layer::Bwrap {
            env.push(("TMPDIR".into(), self.tmp_dir.to_string_lossy().into_owned()));
        }
        if let Some(socket) = &req.bridge_socket {
            let seen = match layer {
                Layer::Bwrap => BRIDGE_INSIDE.to_owned(),
                Layer::Landlock | Layer::None => socket.to_string_lossy().into_owned(),
            };
            env.push(("PTC_BRIDGE".into(), seen));
        }
        for (key, value) in &req.env {
            if key.is_empty() || key.contains(['=', '\0']) || value.contains('\0') {
                return Err(SandboxError::InvalidEnv(key.clone()));
            }
            env.retain(|(k, _)| k != key);
            env.push((key.clone(), value.clone()));
        }
        let mut helper_args = HelperArgs {
            rlimits: RlimitSpec {
                address_space: Some(limits.memory_bytes),
                cpu_secs: Some(limits.cpu_secs),
                processes: Some(limits.max_processes),
                file_size: Some(limits.max_file_size),
                open_files: Some(limits.max_open_files),
            },
            seccomp: layer != Layer::None,
            command: req.argv.iter().map(OsString::from).collect(),
            ..HelperArgs::default()
        };
        let (program, args, host_cwd, env) = match layer {
            Layer::Bwrap => {
                let cwd_inside = if cwd_rel.as_os_str().is_empty() {
                    self.config.virtual_root.clone()
                } else {
                    Path::new(&self.config.virtual_root)
                        .join(&cwd_rel)
                        .to_string_lossy()
                        .into_owned()
                };
                let spec = BwrapSpec {
                    workspace: &self.workspace,
                    tmp: &self.tmp_dir,
                    virtual_root: &self.config.virtual_root,
                    helper: &self.helper,
                    bridge_socket: req.bridge_socket.as_deref(),
                    extra_ro: &self.config.extra_ro_binds,
                    cwd: &cwd_inside,
                    env: &env,
                    helper_args: helper_args.to_args(),
                };
                // bwrap gets no environment of its own: everything is in --setenv.
                (
                    self.config.bwrap.clone(),
                    bwrap_args(&spec),
                    self.workspace.clone(),
                    Vec::new(),
                )
            }
            Layer::Landlock | Layer::None => {
                if layer == Layer::Landlock {
                    helper_args.landlock = true;
                    helper_args.landlock_ro = self.landlock_read_only();
                    helper_args.landlock_rw =
                        self.landlock_read_write(req.bridge_socket.as_deref());
                }
                (
                    self.helper.clone(),
                    helper_args.to_args(),
                    self.workspace.join(&cwd_rel),
                    env,
                )
            }
        };
        let timeout = req
            .timeout
            .unwrap_or(Duration::from_secs(limits.max_execution_time_secs));
        run(Spawn {
            program,
            args,
            env,
            cwd: host_cwd,
            stdin: req.stdin,
            timeout,
            cap: limits.max_output_bytes,
            stdout_spill: req.stdout_spill,
            stderr_spill: req.stderr_spill,
            spill_limit: limits.max_file_size,
        })
        .await
    }

    /// Landlock's read-only paths: system dirs, `/etc`'s visible entries, the Python
    /// interpreter's dir and the configured extra paths.
    fn landlock_read_only(&self) -> Vec<PathBuf> {
        let mut paths: Vec<PathBuf> = LANDLOCK_RO.iter().map(PathBuf::from).collect();
        paths.extend(etc_entries());
        if let Some(dir) = self.config.python.parent() {
            paths.push(dir.to_path_buf());
        }
        paths.extend(self.config.extra_ro_binds.iter().cloned());
        paths
    }

    /// Landlock's read-write paths: the workspace, the sandbox's tmp and run dirs, the bridge
    /// socket's dir and `/dev/null`.
    fn landlock_read_write(&self, bridge: Option<&Path>) -> Vec<PathBuf> {
        let mut paths = vec![
            self.workspace.clone(),
            self.tmp_dir.clone(),
            self.run_dir.clone(),
            PathBuf::from("/dev/null"),
        ];
        if let Some(dir) = bridge.and_then(Path::parent) {
            paths.push(dir.to_path_buf());
        }
        paths
    }

    /// Deletes the sandbox's directory (workspace, run and tmp dirs).
    ///
    /// # Errors
    /// A filesystem error other than "already gone".
    pub fn destroy(&self) -> Result<(), SandboxError> {
        match std::fs::remove_dir_all(&self.base) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// The highest `N` of the `<prefix>_NNNN.*` files in `dir` (0 when there is none).
fn highest_number(dir: &Path, prefix: &str) -> Result<u32, SandboxError> {
    let mut highest = 0;
    let lead = format!("{prefix}_");
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        let Some(rest) = name.strip_prefix(&lead) else {
            continue;
        };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(n) = digits.parse::<u32>() {
            highest = highest.max(n);
        }
    }
    Ok(highest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_could_escape_are_refused() {
        for bad in ["", ".", "..", "a/b", "../x", "a b", "x\0"] {
            assert!(validate_id(bad).is_err(), "{bad:?}");
        }
        for good in ["abc", "sess-1_2.x", "0"] {
            assert!(validate_id(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn highest_number_scans_the_prefix_only() {
        let dir = std::env::temp_dir().join(format!("fba-sb-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for name in ["exec_0003.py", "exec_0012.out", "bash_0040.sh", "exec_x.py"] {
            std::fs::write(dir.join(name), "").unwrap();
        }
        assert_eq!(highest_number(&dir, "exec").unwrap(), 12);
        assert_eq!(highest_number(&dir, "bash").unwrap(), 40);
        assert_eq!(highest_number(&dir, "other").unwrap(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
