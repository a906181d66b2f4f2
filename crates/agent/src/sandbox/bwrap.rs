//! The bubblewrap command line of layer 0: every namespace unshared, read-only system dirs, the
//! workspace at the virtual root, a per-sandbox `/tmp`, the exec helper and the bridge socket
//! under `/run/ptc/`, and only the environment given.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Where the exec helper is bound inside the sandbox.
pub const HELPER_INSIDE: &str = "/run/ptc/sandbox-exec";
/// Where the bridge socket is bound inside the sandbox.
pub const BRIDGE_INSIDE: &str = "/run/ptc/bridge.sock";

/// Top-level system entries besides `/usr`: symlinks on merged-/usr systems, otherwise bound
/// read-only.
const SYSTEM_ENTRIES: [&str; 6] = ["/lib", "/lib64", "/lib32", "/libx32", "/bin", "/sbin"];

/// Read-only `/etc` entries the code may need (certificates, alternatives symlinks, time zone,
/// user names, the dynamic linker's cache); bound only when present. No other host
/// configuration is visible (no `/etc/shadow`, no credentials).
const ETC_ENTRIES: [&str; 11] = [
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/passwd",
    "/etc/group",
    "/etc/nsswitch.conf",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/mime.types",
];

/// The `/etc` entries visible to the code: [`ETC_ENTRIES`] and the Python dirs
/// (`/etc/python3*`, where Debian keeps `sitecustomize.py`) that exist on this host.
pub fn etc_entries() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = ETC_ENTRIES
        .iter()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect();
    if let Ok(dir) = std::fs::read_dir("/etc") {
        let mut python: Vec<PathBuf> = dir
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("python3"))
            .map(|e| e.path())
            .collect();
        python.sort();
        out.extend(python);
    }
    out
}

/// `--ro-bind /usr /usr` plus the `/lib*`, `/bin`, `/sbin` entries as the host has them.
pub fn system_dir_args() -> Vec<OsString> {
    let mut args: Vec<OsString> = ["--ro-bind", "/usr", "/usr"].map(OsString::from).to_vec();
    for entry in SYSTEM_ENTRIES {
        let path = Path::new(entry);
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            if let Ok(target) = std::fs::read_link(path) {
                args.push("--symlink".into());
                args.push(target.into_os_string());
                args.push(entry.into());
            }
        } else if meta.is_dir() {
            args.extend(["--ro-bind", entry, entry].map(OsString::from));
        }
    }
    args
}

/// What one bwrap run binds and runs.
#[derive(Debug, Clone)]
pub struct BwrapSpec<'a> {
    /// The host workspace (bound read-write at `virtual_root`).
    pub workspace: &'a Path,
    /// The host per-sandbox tmp dir (bound read-write at `/tmp`).
    pub tmp: &'a Path,
    /// The path the code sees as its workspace.
    pub virtual_root: &'a str,
    /// The host exec helper (bound read-only at [`HELPER_INSIDE`]).
    pub helper: &'a Path,
    /// The host bridge socket (bound at [`BRIDGE_INSIDE`]).
    pub bridge_socket: Option<&'a Path>,
    /// More host paths bound read-only at the same path.
    pub extra_ro: &'a [PathBuf],
    /// The working directory inside.
    pub cwd: &'a str,
    /// The whole environment of the code.
    pub env: &'a [(String, String)],
    /// The helper's arguments (limits, `--`, the command).
    pub helper_args: Vec<OsString>,
}

/// The bwrap arguments (without the bwrap program itself).
pub fn bwrap_args(spec: &BwrapSpec<'_>) -> Vec<OsString> {
    let mut args: Vec<OsString> = [
        "--unshare-all",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--clearenv",
    ]
    .map(OsString::from)
    .to_vec();
    args.extend(system_dir_args());
    for entry in etc_entries() {
        args.push("--ro-bind-try".into());
        args.push(entry.clone().into_os_string());
        args.push(entry.into_os_string());
    }
    for path in spec.extra_ro {
        args.push("--ro-bind".into());
        args.push(path.clone().into_os_string());
        args.push(path.clone().into_os_string());
    }
    args.push("--bind".into());
    args.push(spec.workspace.as_os_str().to_owned());
    args.push(spec.virtual_root.into());
    args.push("--bind".into());
    args.push(spec.tmp.as_os_str().to_owned());
    args.push("/tmp".into());
    args.extend(["--proc", "/proc", "--dev", "/dev"].map(OsString::from));
    args.push("--ro-bind".into());
    args.push(spec.helper.as_os_str().to_owned());
    args.push(HELPER_INSIDE.into());
    if let Some(socket) = spec.bridge_socket {
        args.push("--bind".into());
        args.push(socket.as_os_str().to_owned());
        args.push(BRIDGE_INSIDE.into());
    }
    args.extend(["--remount-ro", "/"].map(OsString::from));
    args.push("--chdir".into());
    args.push(spec.cwd.into());
    for (key, value) in spec.env {
        args.push("--setenv".into());
        args.push(key.into());
        args.push(value.into());
    }
    args.push("--".into());
    args.push(HELPER_INSIDE.into());
    args.extend(spec.helper_args.iter().cloned());
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_bind_the_workspace_and_isolate() {
        let env = vec![("HOME".to_owned(), "/home/daytona".to_owned())];
        let spec = BwrapSpec {
            workspace: Path::new("/srv/sb/x/home"),
            tmp: Path::new("/srv/sb/x/tmp"),
            virtual_root: "/home/daytona",
            helper: Path::new("/opt/fba-sandbox-exec"),
            bridge_socket: Some(Path::new("/srv/sb/x/run/bridge.sock")),
            extra_ro: &[],
            cwd: "/home/daytona",
            env: &env,
            helper_args: vec!["--".into(), "python3".into()],
        };
        let args: Vec<String> = bwrap_args(&spec)
            .into_iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let joined = args.join(" ");
        assert!(joined.starts_with("--unshare-all --die-with-parent --new-session"));
        assert!(joined.contains("--clearenv"));
        assert!(joined.contains("--bind /srv/sb/x/home /home/daytona"));
        assert!(joined.contains("--bind /srv/sb/x/tmp /tmp"));
        assert!(joined.contains("--bind /srv/sb/x/run/bridge.sock /run/ptc/bridge.sock"));
        assert!(joined.contains("--ro-bind /opt/fba-sandbox-exec /run/ptc/sandbox-exec"));
        assert!(joined.contains("--setenv HOME /home/daytona"));
        assert!(joined.ends_with("-- /run/ptc/sandbox-exec -- python3"));
    }
}
