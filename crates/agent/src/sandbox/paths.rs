//! Virtual paths: the model's view of the workspace (`/home/daytona/...`, `/results/x`,
//! `data/f`) mapped onto host directories, with `..` and symlink escapes refused.
//!
//! The normalisation rules are upstream's (`PTCSandbox.normalize_path`, `virtualize_path`,
//! `validate_path`) with one deliberate difference: `..` is resolved lexically, so a path such as
//! `/home/daytona/../../etc/passwd` becomes `/etc/passwd` and is refused, where upstream kept the
//! `..` and let it through. On the host, [`VirtualFs::resolve`] also refuses any symlink that
//! leads out of the workspace, and the `open_*` helpers open the final component with
//! `O_NOFOLLOW` and check, after opening, that the file really is inside.
//!
//! This module owns path mapping and safe opening only; the tools' messages live in
//! `crate::tools`.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The workspace as the model sees it (upstream's Daytona working directory).
pub const DEFAULT_VIRTUAL_ROOT: &str = "/home/daytona";
/// The sandbox's private temporary directory, mapped only when [`VirtualFs::tmp_host`] is set.
pub const VIRTUAL_TMP: &str = "/tmp";
/// Default cap on the size of a file a tool reads or writes (`filesystem.max_file_size`).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// Why a path cannot be used. The messages are upstream's (without the tools' `ERROR: `).
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    /// Outside every allowed (and mapped) directory, or reached through a symlink leading out.
    #[error("Access denied: {0} is not in allowed directories")]
    AccessDenied(String),
    /// Nothing at that path.
    #[error("File not found: {0}")]
    NotFound(String),
    /// A directory (or another non-regular file) where a regular file was needed.
    #[error("Not a regular file: {0}")]
    NotAFile(String),
    /// Any other I/O failure.
    #[error("{path}: {source}")]
    Io {
        /// The path as the model gave it.
        path: String,
        /// The underlying error.
        source: io::Error,
    },
}

impl PathError {
    fn io(path: &str, source: io::Error) -> Self {
        match source.kind() {
            io::ErrorKind::NotFound => Self::NotFound(path.to_string()),
            _ => Self::Io {
                path: path.to_string(),
                source,
            },
        }
    }
}

/// The virtual filesystem of one sandbox: which virtual directories exist and where they live on
/// the host.
#[derive(Debug, Clone)]
pub struct VirtualFs {
    /// The workspace directory on the host (mapped to `virtual_root`).
    pub host_root: PathBuf,
    /// The workspace as the model sees it (default `/home/daytona`).
    pub virtual_root: String,
    /// Virtual directories a path may be in (default: `[virtual_root]`). A path that starts with
    /// one of them is kept as it is; any other absolute path is taken as relative to the root.
    pub allowed: Vec<String>,
    /// The host directory behind the sandbox's `/tmp`; `None` refuses `/tmp` paths.
    pub tmp_host: Option<PathBuf>,
    /// Check normalised paths against `allowed` (upstream's `enable_path_validation`). Even when
    /// off, nothing outside the mapped directories (workspace, `/tmp`) can be reached.
    pub validate: bool,
}

impl VirtualFs {
    /// A workspace at `host_root` seen as `/home/daytona`, with validation on and no `/tmp`.
    pub fn new(host_root: impl Into<PathBuf>) -> Self {
        Self {
            host_root: host_root.into(),
            virtual_root: DEFAULT_VIRTUAL_ROOT.to_string(),
            allowed: vec![DEFAULT_VIRTUAL_ROOT.to_string()],
            tmp_host: None,
            validate: true,
        }
    }

    /// Maps the sandbox's `/tmp` to `tmp_host` and allows it (upstream allows `/tmp` by default).
    #[must_use]
    pub fn with_tmp(mut self, tmp_host: impl Into<PathBuf>) -> Self {
        self.tmp_host = Some(tmp_host.into());
        if !self.allowed.iter().any(|a| lexical(a) == VIRTUAL_TMP) {
            self.allowed.push(VIRTUAL_TMP.to_string());
        }
        self
    }

    /// Uses `root` as the virtual workspace path (also replacing the old root in `allowed`).
    #[must_use]
    pub fn with_virtual_root(mut self, root: &str) -> Self {
        let old = self.root();
        let new = lexical(root);
        for dir in &mut self.allowed {
            if lexical(dir) == old {
                dir.clone_from(&new);
            }
        }
        self.virtual_root = new;
        self
    }

    /// The virtual root without a trailing slash.
    fn root(&self) -> String {
        lexical(&self.virtual_root)
    }

    /// Upstream's `normalize_path`, with `..` resolved: `""`, `"."`, `"/"` → the root; a path in
    /// an allowed directory is kept; `/x` → `<root>/x`; `x` → `<root>/x`; surrounding whitespace
    /// is stripped, `//` and `.` collapse, and `..` is resolved lexically (never above `/`).
    pub fn normalize(&self, path: &str) -> String {
        let root = self.root();
        let path = path.trim();
        if path.is_empty() || path == "." || path == "/" {
            return root;
        }
        let joined = if path.starts_with('/') {
            let kept = collapse(path);
            if self
                .allowed
                .iter()
                .any(|dir| is_under(&kept, &lexical(dir)))
            {
                kept
            } else {
                format!("{root}{kept}")
            }
        } else {
            format!("{root}/{path}")
        };
        lexical(&joined)
    }

    /// Upstream's `validate_path` on a normalised path: inside an allowed directory (always
    /// true when validation is off).
    pub fn is_allowed(&self, normalized: &str) -> bool {
        !self.validate
            || self
                .allowed
                .iter()
                .any(|dir| is_under(normalized, &lexical(dir)))
    }

    /// Upstream's `virtualize_path`: `<root>/x` → `/x`, `<root>` → `/`; also takes host paths
    /// (the workspace dir → `/…`, the `/tmp` dir → `/tmp/…`). Anything else is unchanged.
    pub fn virtualize(&self, path: &str) -> String {
        if let Some(v) = self.virtualize_host(Path::new(path)) {
            return v;
        }
        let root = self.root();
        if path == root {
            return "/".to_string();
        }
        match path.strip_prefix(&root) {
            Some(rest) if rest.starts_with('/') => rest.to_string(),
            _ => path.to_string(),
        }
    }

    /// The virtual path of a host path inside the workspace or the `/tmp` dir.
    pub fn virtualize_host(&self, host: &Path) -> Option<String> {
        for (base, prefix) in self.host_bases() {
            for candidate in [Some(base.clone()), std::fs::canonicalize(&base).ok()]
                .into_iter()
                .flatten()
            {
                if let Ok(rest) = host.strip_prefix(&candidate) {
                    let mut out = prefix.to_string();
                    for comp in rest.components() {
                        out.push('/');
                        out.push_str(&comp.as_os_str().to_string_lossy());
                    }
                    if out.is_empty() {
                        out.push('/');
                    }
                    return Some(out);
                }
            }
        }
        None
    }

    /// The mapped host directories with the virtual prefix their contents are shown under
    /// (the workspace's prefix is empty: its files show as `/x`).
    fn host_bases(&self) -> Vec<(PathBuf, &'static str)> {
        let mut bases = vec![(self.host_root.clone(), "")];
        if let Some(tmp) = &self.tmp_host {
            bases.push((tmp.clone(), VIRTUAL_TMP));
        }
        bases
    }

    /// The host directory and the path components below it for a normalised virtual path.
    fn host_base(&self, normalized: &str) -> Option<(PathBuf, Vec<String>)> {
        let root = self.root();
        let mut mounts = vec![(root, self.host_root.clone())];
        if let Some(tmp) = &self.tmp_host {
            mounts.push((VIRTUAL_TMP.to_string(), tmp.clone()));
        }
        mounts.into_iter().find_map(|(virt, host)| {
            if !is_under(normalized, &virt) {
                return None;
            }
            let rest = normalized[virt.len()..]
                .split('/')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect();
            Some((host, rest))
        })
    }

    /// The host path of `path` (as the model wrote it), such that neither `..` nor a symlink
    /// leads out of the mapped directory. Existing components are resolved (a symlink is followed
    /// only when its target stays inside); components that do not exist yet are appended as
    /// they are.
    ///
    /// # Errors
    /// [`PathError::AccessDenied`] (message with `path` as given) when the path is outside the
    /// allowed and mapped directories or a symlink on the way leads out (or dangles);
    /// [`PathError::Io`] when the workspace itself cannot be read.
    pub fn resolve(&self, path: &str) -> Result<PathBuf, PathError> {
        let normalized = self.normalize(path);
        if !self.is_allowed(&normalized) {
            return Err(PathError::AccessDenied(path.to_string()));
        }
        let (base, rest) = self
            .host_base(&normalized)
            .ok_or_else(|| PathError::AccessDenied(path.to_string()))?;
        let base = std::fs::canonicalize(&base).map_err(|e| PathError::Io {
            path: path.to_string(),
            source: e,
        })?;
        let mut current = base.clone();
        let mut parts = rest.iter();
        for part in parts.by_ref() {
            let next = current.join(part);
            match std::fs::symlink_metadata(&next) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    let target = std::fs::canonicalize(&next)
                        .map_err(|_| PathError::AccessDenied(path.to_string()))?;
                    if !target.starts_with(&base) {
                        return Err(PathError::AccessDenied(path.to_string()));
                    }
                    current = target;
                }
                Ok(_) => current = next,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    current = next;
                    break;
                }
                Err(e) => return Err(PathError::io(path, e)),
            }
        }
        for part in parts {
            current.push(part);
        }
        Ok(current)
    }

    /// Whether a host path lies inside a mapped directory (compared canonically).
    pub fn contains_host(&self, host: &Path) -> bool {
        self.host_bases().into_iter().any(|(base, _)| {
            std::fs::canonicalize(&base).is_ok_and(|canon| host.starts_with(canon))
        })
    }

    /// Refuses an open file whose real location (per `/proc/self/fd`) is outside: catches a
    /// directory swapped for a symlink between [`resolve`](Self::resolve) and the open.
    fn check_opened(&self, file: &File, shown: &str) -> Result<(), PathError> {
        let link = format!("/proc/self/fd/{}", file.as_raw_fd());
        match std::fs::read_link(link) {
            Ok(real) if !self.contains_host(&real) => {
                Err(PathError::AccessDenied(shown.to_string()))
            }
            _ => Ok(()),
        }
    }

    /// Opens a resolved host path for reading: a regular file only, the last component not
    /// followed if it is a symlink, never blocking on a FIFO.
    ///
    /// # Errors
    /// [`PathError::NotFound`], [`PathError::NotAFile`], [`PathError::AccessDenied`] (a symlink
    /// appeared, or the file is outside after all) or [`PathError::Io`]; `shown` is the path the
    /// messages name.
    pub fn open_read(&self, host: &Path, shown: &str) -> Result<File, PathError> {
        let file = open_regular(host, false).map_err(|e| open_error(shown, e))?;
        self.check_opened(&file, shown)?;
        Ok(file)
    }

    /// Opens a resolved host path for writing, creating it and its parent directories; the file
    /// is truncated only once it is known to be a regular file inside.
    ///
    /// # Errors
    /// As [`open_read`](Self::open_read); a parent that resolves outside is refused.
    pub fn open_write(&self, host: &Path, shown: &str) -> Result<File, PathError> {
        if let Some(parent) = host.parent() {
            std::fs::create_dir_all(parent).map_err(|e| PathError::io(shown, e))?;
            let real = std::fs::canonicalize(parent).map_err(|e| PathError::io(shown, e))?;
            if !self.contains_host(&real) {
                return Err(PathError::AccessDenied(shown.to_string()));
            }
        }
        let file = open_regular(host, true).map_err(|e| open_error(shown, e))?;
        self.check_opened(&file, shown)?;
        file.set_len(0).map_err(|e| PathError::io(shown, e))?;
        Ok(file)
    }
}

/// Opens a regular file without following a final symlink (`O_NOFOLLOW`) and without blocking
/// on a FIFO (`O_NONBLOCK`, which changes nothing for regular files). `write` also creates it.
///
/// # Errors
/// The open's error; `ELOOP` for a symlink; `InvalidInput` when the path is not a regular file.
pub fn open_regular(host: &Path, write: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    if write {
        options.write(true).create(true);
    } else {
        options.read(true);
    }
    options.custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_NONBLOCK);
    let file = options.open(host)?;
    if !file.metadata()?.file_type().is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    Ok(file)
}

fn open_error(shown: &str, e: io::Error) -> PathError {
    if e.raw_os_error() == Some(nix::libc::ELOOP) {
        return PathError::AccessDenied(shown.to_string());
    }
    match e.kind() {
        io::ErrorKind::InvalidInput | io::ErrorKind::IsADirectory => {
            PathError::NotAFile(shown.to_string())
        }
        _ => PathError::io(shown, e),
    }
}

/// `path` equals `dir` or lies below it (component-wise: `/tmpfoo` is not under `/tmp`).
fn is_under(path: &str, dir: &str) -> bool {
    if dir == "/" {
        return path.starts_with('/');
    }
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// `//` and `.` collapsed and any trailing slash dropped, `..` kept (an absolute path).
fn collapse(path: &str) -> String {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    format!("/{}", parts.join("/"))
}

/// [`collapse`] with `..` resolved lexically, never above `/`.
fn lexical(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for comp in path.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    format!("/{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upstream_fs() -> VirtualFs {
        VirtualFs::new("/nonexistent-host-root").with_tmp("/nonexistent-host-tmp")
    }

    #[test]
    fn special_paths_map_to_the_root() {
        let fs = upstream_fs();
        for p in ["", ".", "/", "  ", " . "] {
            assert_eq!(fs.normalize(p), "/home/daytona", "{p:?}");
        }
    }

    #[test]
    fn upstream_normalize_table() {
        let fs = upstream_fs();
        let table = [
            ("data/file.txt", "/home/daytona/data/file.txt"),
            ("/results/output.txt", "/home/daytona/results/output.txt"),
            ("/home/daytona/test.py", "/home/daytona/test.py"),
            ("/tmp/file.txt", "/tmp/file.txt"),
            ("  data/file.txt  ", "/home/daytona/data/file.txt"),
            ("data//file.txt", "/home/daytona/data/file.txt"),
            ("./data/./f", "/home/daytona/data/f"),
            ("données/fichier.txt", "/home/daytona/données/fichier.txt"),
            ("/home/daytona/", "/home/daytona"),
            // Ours: `..` resolved (upstream kept it).
            ("/home/daytona/data/../test.py", "/home/daytona/test.py"),
            ("/home/daytona/../../etc/passwd", "/etc/passwd"),
            ("../x", "/home/x"),
            ("/tmp/../etc/shadow", "/etc/shadow"),
            // Component-wise prefix (upstream's string prefix kept `/tmpfoo`).
            ("/tmpfoo/x", "/home/daytona/tmpfoo/x"),
            ("/home/daytonax", "/home/daytona/home/daytonax"),
        ];
        for (input, want) in table {
            assert_eq!(fs.normalize(input), want, "{input:?}");
        }
    }

    #[test]
    fn tmp_is_inside_the_root_when_not_allowed() {
        let fs = VirtualFs::new("/nonexistent");
        assert_eq!(
            fs.normalize("/tmp/secret.txt"),
            "/home/daytona/tmp/secret.txt"
        );
        assert!(fs.is_allowed(&fs.normalize("/tmp/secret.txt")));
    }

    #[test]
    fn upstream_virtualize_table() {
        let fs = upstream_fs();
        let table = [
            ("/home/daytona/results/file.txt", "/results/file.txt"),
            ("/home/daytona", "/"),
            ("/tmp/file.txt", "/tmp/file.txt"),
            ("/etc/config", "/etc/config"),
            ("/home/daytonax/y", "/home/daytonax/y"),
            ("/nonexistent-host-root/a/b", "/a/b"),
            ("/nonexistent-host-root", "/"),
            ("/nonexistent-host-tmp/a", "/tmp/a"),
        ];
        for (input, want) in table {
            assert_eq!(fs.virtualize(input), want, "{input:?}");
        }
    }

    #[test]
    fn validation_table() {
        let fs = upstream_fs();
        for p in [
            "/home/daytona/test.py",
            "/tmp/test.txt",
            "/results/output.txt",
            "data/file.txt",
            "/home/daytona",
        ] {
            assert!(fs.is_allowed(&fs.normalize(p)), "{p}");
        }
        for p in ["/home/daytona/../../etc/passwd", "../../etc", "/tmp/../etc"] {
            assert!(!fs.is_allowed(&fs.normalize(p)), "{p}");
        }
    }

    #[test]
    fn validation_off_still_maps_nothing_outside() {
        let mut fs = upstream_fs();
        fs.validate = false;
        assert!(fs.is_allowed("/etc/passwd"));
        assert!(matches!(
            fs.resolve("/home/daytona/../../etc/passwd"),
            Err(PathError::AccessDenied(p)) if p == "/home/daytona/../../etc/passwd"
        ));
    }

    #[test]
    fn tmp_without_a_host_dir_is_refused() {
        let mut fs = VirtualFs::new("/nonexistent");
        fs.allowed.push("/tmp".to_string());
        assert_eq!(fs.normalize("/tmp/x"), "/tmp/x");
        assert!(matches!(
            fs.resolve("/tmp/x"),
            Err(PathError::AccessDenied(_))
        ));
    }

    #[test]
    fn another_virtual_root() {
        let fs = VirtualFs::new("/nonexistent").with_virtual_root("/workspace/");
        assert_eq!(fs.normalize("a"), "/workspace/a");
        assert_eq!(fs.normalize("/workspace/b"), "/workspace/b");
        assert_eq!(fs.virtualize("/workspace/b"), "/b");
        assert_eq!(fs.allowed, vec!["/workspace".to_string()]);
    }

    #[test]
    fn error_messages_are_upstreams() {
        assert_eq!(
            PathError::AccessDenied("/etc/x".into()).to_string(),
            "Access denied: /etc/x is not in allowed directories"
        );
        assert_eq!(
            PathError::NotFound("a.txt".into()).to_string(),
            "File not found: a.txt"
        );
    }
}
