//! The chat's conversation on disk: `<session-dir>/session.json`, written atomically (a temp
//! file in the same directory, then a rename), so a crash never leaves half a file.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use fba_agent::AgentError;
use fba_agent::runtime::{Checkpointer, SessionState};

/// The file name of the saved state inside the session directory.
pub const STATE_FILE: &str = "session.json";

/// Saves a session's state as JSON in one file.
#[derive(Debug)]
pub struct JsonCheckpointer {
    path: PathBuf,
    /// Saves are serialised so an older state never lands after a newer one.
    lock: tokio::sync::Mutex<()>,
}

impl JsonCheckpointer {
    /// A checkpointer writing `<dir>/session.json`.
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            path: dir.join(STATE_FILE),
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// The file it writes.
    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The saved state, or `None` when nothing was saved yet.
    pub fn load(&self) -> Result<Option<SessionState>, AgentError> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(AgentError::Store(format!("{}: {e}", self.path.display())));
            }
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| AgentError::Store(format!("{}: {e}", self.path.display())))
    }

    /// Writes `state` (blocking).
    fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| STATE_FILE.to_owned());
        let tmp = path.with_file_name(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let written = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }
}

#[async_trait]
impl Checkpointer for JsonCheckpointer {
    async fn save(&self, state: &SessionState) -> Result<(), AgentError> {
        let bytes = serde_json::to_vec_pretty(state)
            .map_err(|e| AgentError::Store(format!("{}: {e}", self.path.display())))?;
        let _guard = self.lock.lock().await;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || Self::write(&path, &bytes))
            .await
            .map_err(|e| AgentError::Store(format!("{}: {e}", self.path.display())))?
            .map_err(|e| AgentError::Store(format!("{}: {e}", self.path.display())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn saves_atomically_and_loads_back() {
        let dir = std::env::temp_dir().join(format!("fba-cli-store-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = JsonCheckpointer::in_dir(&dir);
        assert_eq!(store.load().unwrap(), None);
        let state = SessionState {
            plan: Some("1. add".into()),
            runs: 3,
            ..SessionState::default()
        };
        store.save(&state).await.unwrap();
        assert_eq!(store.load().unwrap(), Some(state));
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [STATE_FILE], "no temp file is left behind");
        std::fs::write(store.path(), "{not json").unwrap();
        let err = store.load().unwrap_err().to_string();
        assert!(err.contains("session.json"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
