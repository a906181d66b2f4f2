//! The workspace's files for the API: the tree (internal `tools/` and `code/` hidden unless
//! asked), and one file read through the sandbox's [`VirtualFs`] (no `..` or symlink escape).

use std::io::Read;
use std::path::Path;

use super::error::ApiError;
use super::schema::{FileEntry, FileView};
use crate::sandbox::paths::{PathError, VirtualFs};

/// Directories of the workspace the tree hides unless `all`.
pub const INTERNAL_DIRS: &[&str] = &["tools", "code"];

/// The workspace tree under `root`, sorted; symlinks are not followed.
pub fn tree(root: &Path, all: bool) -> Vec<FileEntry> {
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .min_depth(1)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            all || e.depth() != 1
                || !INTERNAL_DIRS
                    .iter()
                    .any(|d| e.file_name().to_str() == Some(d))
        });
    for entry in walker.flatten() {
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let kind = if entry.file_type().is_dir() {
            "dir"
        } else if entry.file_type().is_file() {
            "file"
        } else {
            continue;
        };
        // The sandbox's own sockets and hidden files are not the user's.
        if rel
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        {
            continue;
        }
        out.push(FileEntry {
            path: rel.to_string_lossy().into_owned(),
            kind,
            size: entry.metadata().map(|m| m.len()).unwrap_or(0),
        });
    }
    out
}

fn path_error(e: PathError) -> ApiError {
    match e {
        PathError::AccessDenied(_) => ApiError::AccessDenied(e.to_string()),
        PathError::NotFound(p) | PathError::NotAFile(p) => ApiError::FileNotFound(p),
        PathError::Io { source, .. } => ApiError::Agent(crate::AgentError::Io(source)),
    }
}

/// The bytes of `path` (relative to the workspace, or virtual) and its path relative to the
/// workspace.
///
/// # Errors
/// 403 for a path leading out, 404 for a missing file or a directory.
pub fn read(fs: &VirtualFs, path: &str, max: u64) -> Result<(Vec<u8>, String), ApiError> {
    if path.split('/').any(|c| c == "..") {
        return Err(ApiError::AccessDenied(format!(
            "Access denied: {path} is not in allowed directories"
        )));
    }
    let host = fs.resolve(path).map_err(path_error)?;
    let file = fs.open_read(&host, path).map_err(path_error)?;
    let mut bytes = Vec::new();
    file.take(max)
        .read_to_end(&mut bytes)
        .map_err(|e| ApiError::Agent(crate::AgentError::Io(e)))?;
    let rel = fs
        .virtualize_host(&host)
        .map(|v| {
            v.strip_prefix(&fs.virtual_root)
                .unwrap_or(&v)
                .trim_start_matches('/')
                .to_owned()
        })
        .unwrap_or_else(|| path.to_owned());
    Ok((bytes, rel))
}

/// The text view of a file.
pub fn view(path: String, bytes: Vec<u8>) -> FileView {
    let size = bytes.len() as u64;
    match String::from_utf8(bytes) {
        Ok(text) => FileView {
            path,
            size,
            binary: false,
            content: Some(text),
        },
        Err(_) => FileView {
            path,
            size,
            binary: true,
            content: None,
        },
    }
}
