//! Which isolation layer this machine can give the sandbox, found once by probing (a `bwrap`
//! run of `/usr/bin/true`, and `fba-sandbox-exec --probe` for Landlock and seccomp), then
//! cached per (bwrap, helper) pair.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, OnceLock};

use serde::{Deserialize, Serialize};

use super::bwrap::system_dir_args;
use super::config::{IsolationMode, SandboxConfig};
use super::helper_cli::HelperArgs;

/// The isolation layer code runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layer {
    /// bubblewrap: user, mount, pid, net, ipc, uts and cgroup namespaces.
    Bwrap,
    /// Landlock + seccomp on the host (no namespaces).
    Landlock,
    /// rlimits, timeout and a cleared environment only.
    None,
}

/// What isolation a sandbox gets on this machine (shown in `/health` and on session creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IsolationReport {
    /// The layer `exec` uses.
    pub layer: Layer,
    /// bubblewrap runs here.
    pub bwrap: bool,
    /// User namespaces are enabled.
    pub user_namespaces: bool,
    /// The kernel's Landlock ABI, when Landlock is available.
    pub landlock_abi: Option<u32>,
    /// The seccomp filter is applied to the sandboxed code.
    pub seccomp: bool,
    /// `"none"` (no network) or `"host"`.
    pub network: String,
    /// rlimits are applied (the exec helper is present).
    pub rlimits: bool,
    /// Why the configured isolation cannot be had (then `create`/`open` refuse).
    pub unavailable: Option<String>,
    /// Caveats worth knowing.
    pub notes: Vec<String>,
}

/// What the probes found (independent of the config's choices).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Probe {
    bwrap: Result<(), String>,
    user_namespaces: bool,
    helper: Result<HelperProbe, String>,
    uid: Option<u32>,
}

/// What `fba-sandbox-exec --probe` reported.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HelperProbe {
    landlock_abi: Option<u32>,
    landlock_full: bool,
    seccomp: Result<(), String>,
}

/// The probe results, per (bwrap, helper) pair.
fn cache() -> &'static Mutex<HashMap<(PathBuf, PathBuf), Probe>> {
    static CACHE: OnceLock<Mutex<HashMap<(PathBuf, PathBuf), Probe>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

impl IsolationReport {
    /// Probes the machine (once per bwrap and helper path; the result is cached) and says which
    /// layer `config` gets. Runs two short processes the first time: call it at start-up or
    /// from a blocking context.
    pub fn detect(config: &SandboxConfig) -> Self {
        let helper = config.exec_helper_path();
        let key = (config.bwrap.clone(), helper.clone());
        let cached = cache().lock().ok().and_then(|map| map.get(&key).cloned());
        let probe = match cached {
            Some(probe) => probe,
            None => {
                let probe = run_probes(&config.bwrap, &helper);
                if let Ok(mut map) = cache().lock() {
                    map.insert(key, probe.clone());
                }
                probe
            }
        };
        Self::from_probe(config, &probe)
    }

    /// Composes the report from the probe results and the config.
    fn from_probe(config: &SandboxConfig, probe: &Probe) -> Self {
        let helper_ok = probe.helper.is_ok();
        let bwrap_ok = probe.bwrap.is_ok() && helper_ok;
        let (landlock_abi, landlock_full, seccomp_ok) = match &probe.helper {
            Ok(h) => (h.landlock_abi, h.landlock_full, h.seccomp.is_ok()),
            Err(_) => (None, false, false),
        };
        let landlock_ok = helper_ok && landlock_abi.is_some() && seccomp_ok;
        let mut notes = Vec::new();
        if let Err(e) = &probe.helper {
            notes.push(format!("exec helper unusable: {e}"));
        }
        if let Err(e) = &probe.bwrap {
            notes.push(format!("bubblewrap unavailable: {e}"));
        }
        let mut unavailable = None;
        let layer = match config.isolation {
            IsolationMode::Auto if bwrap_ok => Layer::Bwrap,
            IsolationMode::Auto if landlock_ok => Layer::Landlock,
            IsolationMode::Auto => Layer::None,
            IsolationMode::Bwrap if bwrap_ok => Layer::Bwrap,
            IsolationMode::Bwrap => {
                unavailable = Some("isolation: bwrap was configured but bubblewrap (with the exec helper) does not run here".to_owned());
                Layer::None
            }
            IsolationMode::Landlock if landlock_ok => Layer::Landlock,
            IsolationMode::Landlock => {
                unavailable = Some("isolation: landlock was configured but Landlock and seccomp (through the exec helper) are not available here".to_owned());
                Layer::None
            }
            IsolationMode::None => Layer::None,
        };
        if layer == Layer::None && unavailable.is_none() {
            if config.require_isolation {
                unavailable = Some(
                    "require_isolation is set but neither bubblewrap nor Landlock + seccomp is available"
                        .to_owned(),
                );
            }
            if !helper_ok {
                unavailable = Some(format!(
                    "the exec helper {} is missing or broken; code cannot run without it",
                    config.exec_helper_path().display()
                ));
            }
        }
        match layer {
            Layer::Bwrap => {}
            Layer::Landlock => {
                notes.push(format!(
                    "Landlock layer: the code sees host paths, not {}: PTC_WORKDIR, PYTHONPATH and HOME hold the workspace's host path, PTC_BRIDGE the host path of the bridge socket, TMPDIR the sandbox's tmp dir",
                    config.virtual_root
                ));
                notes.push(
                    "Landlock layer: no pid or mount namespace; connecting to pathname Unix sockets on the host is not restricted by Landlock".to_owned(),
                );
                if !landlock_full {
                    notes.push("Landlock is only partially enforced by this kernel".to_owned());
                }
            }
            Layer::None => notes.push(
                "no isolation (development only): the code runs as the server's user with host network and filesystem access".to_owned(),
            ),
        }
        if probe.uid == Some(0) && helper_ok {
            notes.push(
                "RLIMIT_NPROC is not enforced: the kernel exempts host uid 0, also inside a user namespace; run the server as an unprivileged user for a process limit (the timeout still kills the whole sandbox)".to_owned(),
            );
        }
        let seccomp = seccomp_ok && matches!(layer, Layer::Bwrap | Layer::Landlock);
        Self {
            layer,
            bwrap: probe.bwrap.is_ok(),
            user_namespaces: probe.user_namespaces,
            landlock_abi,
            seccomp,
            network: if layer == Layer::None { "host" } else { "none" }.to_owned(),
            rlimits: helper_ok,
            unavailable,
            notes,
        }
    }
}

/// Runs the probes.
fn run_probes(bwrap: &Path, helper: &Path) -> Probe {
    Probe {
        bwrap: probe_bwrap(bwrap),
        user_namespaces: std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .is_some_and(|n| n > 0),
        helper: probe_helper(helper),
        uid: std::fs::metadata("/proc/self").ok().map(|m| m.uid()),
    }
}

/// Runs `/usr/bin/true` under bwrap with every namespace unshared.
fn probe_bwrap(bwrap: &Path) -> Result<(), String> {
    if !bwrap.is_file() {
        return Err(format!("{} not found", bwrap.display()));
    }
    let mut cmd = Command::new(bwrap);
    cmd.args(["--unshare-all", "--die-with-parent", "--new-session"])
        .args(system_dir_args())
        .args(["--proc", "/proc", "--dev", "/dev", "/usr/bin/true"]);
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", bwrap.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} exited with {}: {}",
            bwrap.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

/// Runs `fba-sandbox-exec --probe` and parses its one line.
fn probe_helper(helper: &Path) -> Result<HelperProbe, String> {
    if !helper.is_file() {
        return Err(format!("{} not found", helper.display()));
    }
    let args = HelperArgs {
        probe: true,
        ..HelperArgs::default()
    };
    let output = Command::new(helper)
        .args(args.to_args())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{}: {e}", helper.display()))?;
    if !output.status.success() {
        return Err(format!(
            "{} --probe exited with {}: {}",
            helper.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(parse_probe_line(&String::from_utf8_lossy(&output.stdout)))
}

/// The helper's probe line: `landlock_abi=7 landlock=full seccomp=ok`
/// (`landlock_abi=none`, `landlock=partial|none`, `seccomp=error:<why>`).
fn parse_probe_line(line: &str) -> HelperProbe {
    let mut probe = HelperProbe {
        landlock_abi: None,
        landlock_full: false,
        seccomp: Err("not reported".to_owned()),
    };
    for field in line.split_whitespace() {
        if let Some(v) = field.strip_prefix("landlock_abi=") {
            probe.landlock_abi = v.parse().ok();
        } else if let Some(v) = field.strip_prefix("landlock=") {
            probe.landlock_full = v == "full";
        } else if let Some(v) = field.strip_prefix("seccomp=") {
            probe.seccomp = if v == "ok" {
                Ok(())
            } else {
                Err(v.trim_start_matches("error:").to_owned())
            };
        }
    }
    probe
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(bwrap: bool, landlock: Option<u32>) -> Probe {
        Probe {
            bwrap: if bwrap { Ok(()) } else { Err("no".into()) },
            user_namespaces: bwrap,
            helper: Ok(HelperProbe {
                landlock_abi: landlock,
                landlock_full: true,
                seccomp: Ok(()),
            }),
            uid: Some(1000),
        }
    }

    #[test]
    fn probe_line_parses() {
        let p = parse_probe_line("landlock_abi=7 landlock=full seccomp=ok\n");
        assert_eq!(p.landlock_abi, Some(7));
        assert!(p.landlock_full);
        assert!(p.seccomp.is_ok());
        let p = parse_probe_line("landlock_abi=none landlock=none seccomp=error:EINVAL");
        assert_eq!(p.landlock_abi, None);
        assert_eq!(p.seccomp, Err("EINVAL".to_owned()));
    }

    #[test]
    fn auto_prefers_bwrap_then_landlock_then_none() {
        let config = SandboxConfig::default();
        let r = IsolationReport::from_probe(&config, &probe(true, Some(7)));
        assert_eq!((r.layer, r.network.as_str()), (Layer::Bwrap, "none"));
        let r = IsolationReport::from_probe(&config, &probe(false, Some(7)));
        assert_eq!(r.layer, Layer::Landlock);
        assert!(r.notes.iter().any(|n| n.contains("host paths")));
        let r = IsolationReport::from_probe(&config, &probe(false, None));
        assert_eq!((r.layer, r.network.as_str()), (Layer::None, "host"));
        assert_eq!(r.unavailable, None);
    }

    #[test]
    fn forced_or_required_isolation_that_is_missing_is_reported() {
        let mut config = SandboxConfig {
            isolation: IsolationMode::Bwrap,
            ..SandboxConfig::default()
        };
        let r = IsolationReport::from_probe(&config, &probe(false, Some(7)));
        assert!(r.unavailable.is_some());
        config.isolation = IsolationMode::Auto;
        config.require_isolation = true;
        let r = IsolationReport::from_probe(&config, &probe(false, None));
        assert!(r.unavailable.unwrap().contains("require_isolation"));
    }
}
