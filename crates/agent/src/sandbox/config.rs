//! The `sandbox:` section of `config.yaml`: where sandboxes live, what the code sees, the
//! isolation layer and the resource limits.
//!
//! Upstream's `security.max_execution_time`, `max_code_length` and `max_file_size` map onto
//! [`Limits`]; unlike upstream, they are enforced here.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One GiB.
const GIB: u64 = 1024 * 1024 * 1024;
/// One MiB.
const MIB: u64 = 1024 * 1024;

/// Which isolation layer runs the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IsolationMode {
    /// The strongest layer available: bubblewrap, then Landlock + seccomp, then none.
    #[default]
    Auto,
    /// bubblewrap only (namespaces: no network, private view of the filesystem).
    Bwrap,
    /// Landlock + seccomp on the host, without namespaces (the code sees host paths).
    Landlock,
    /// rlimits, timeout and a cleared environment only (development).
    None,
}

/// Resource limits of one execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Limits {
    /// Wall-clock limit of one execution (upstream `security.max_execution_time`).
    pub max_execution_time_secs: u64,
    /// Address-space limit per process (`RLIMIT_AS`), in bytes.
    pub memory_bytes: u64,
    /// CPU-time limit per process (`RLIMIT_CPU`), in seconds.
    pub cpu_secs: u64,
    /// Process limit (`RLIMIT_NPROC`). The kernel does not apply it to host uid 0 (see the
    /// isolation report's notes).
    pub max_processes: u64,
    /// Largest file a process may write (`RLIMIT_FSIZE`; upstream `security.max_file_size`).
    pub max_file_size: u64,
    /// Open file descriptors per process (`RLIMIT_NOFILE`).
    pub max_open_files: u64,
    /// Bytes of stdout and of stderr kept for the answer; the rest is counted (and saved to a
    /// file when the caller asks).
    pub max_output_bytes: u64,
    /// Largest program `execute_code` accepts, in characters (upstream `security.max_code_length`).
    pub max_code_length: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_execution_time_secs: 300,
            memory_bytes: 2 * GIB,
            cpu_secs: 300,
            max_processes: 256,
            max_file_size: 10 * MIB,
            max_open_files: 1024,
            max_output_bytes: MIB,
            max_code_length: 10_000,
        }
    }
}

/// The `sandbox:` section of `config.yaml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SandboxConfig {
    /// Host directory holding every sandbox (`<root_dir>/<id>/{home,run,tmp}`).
    pub root_dir: PathBuf,
    /// The workspace path the code sees (upstream's Daytona home; prompts rely on it).
    pub virtual_root: String,
    /// The Python interpreter that runs `execute_code` programs.
    pub python: PathBuf,
    /// The bubblewrap binary.
    pub bwrap: PathBuf,
    /// Which isolation layer to use.
    pub isolation: IsolationMode,
    /// Refuse to run code when only the no-isolation layer is available.
    pub require_isolation: bool,
    /// The `fba-sandbox-exec` helper; by default the one next to the current executable.
    pub exec_helper: Option<PathBuf>,
    /// Extra host paths made visible read-only (at the same path), e.g. a Python venv.
    pub extra_ro_binds: Vec<PathBuf>,
    /// Resource limits.
    pub limits: Limits,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            root_dir: std::env::temp_dir().join("fba-agent-sandboxes"),
            virtual_root: "/home/daytona".to_owned(),
            python: PathBuf::from("/usr/bin/python3"),
            bwrap: PathBuf::from("/usr/bin/bwrap"),
            isolation: IsolationMode::Auto,
            require_isolation: false,
            exec_helper: None,
            extra_ro_binds: Vec::new(),
            limits: Limits::default(),
        }
    }
}

/// The helper's file name when it is looked up next to the current executable.
pub const EXEC_HELPER_NAME: &str = "fba-sandbox-exec";

impl SandboxConfig {
    /// The `fba-sandbox-exec` helper to run: the configured one, else `fba-sandbox-exec` next to
    /// the current executable (or next to its parent dir, for test binaries in `deps/`).
    pub fn exec_helper_path(&self) -> PathBuf {
        if let Some(path) = &self.exec_helper {
            return path.clone();
        }
        let Ok(exe) = std::env::current_exe() else {
            return PathBuf::from(EXEC_HELPER_NAME);
        };
        let mut dir = exe.parent().map(PathBuf::from);
        while let Some(d) = dir {
            let candidate = d.join(EXEC_HELPER_NAME);
            if candidate.is_file() {
                return candidate;
            }
            if d.file_name().is_some_and(|n| n != "deps") {
                break;
            }
            dir = d.parent().map(PathBuf::from);
        }
        exe.with_file_name(EXEC_HELPER_NAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_upstream_security_section() {
        let config: SandboxConfig = serde_yaml_ng::from_str("root_dir: /srv/sb\n").unwrap();
        assert_eq!(config.root_dir, PathBuf::from("/srv/sb"));
        assert_eq!(config.virtual_root, "/home/daytona");
        assert_eq!(config.limits.max_execution_time_secs, 300);
        assert_eq!(config.limits.max_code_length, 10_000);
        assert_eq!(config.limits.max_file_size, 10 * MIB);
        assert_eq!(config.limits.memory_bytes, 2 * GIB);
        assert_eq!(config.isolation, IsolationMode::Auto);
    }

    #[test]
    fn isolation_and_partial_limits_parse() {
        let config: SandboxConfig =
            serde_yaml_ng::from_str("isolation: landlock\nlimits:\n  cpu_secs: 5\n").unwrap();
        assert_eq!(config.isolation, IsolationMode::Landlock);
        assert_eq!(config.limits.cpu_secs, 5);
        assert_eq!(config.limits.max_processes, 256);
    }
}
