//! `AGENT_*`: the agent module's settings section ([`AgentSettings`]).

use std::path::PathBuf;

use fba_core_conf::{ConfigError, Section, Source};

/// The agent module's settings.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// `AGENT_CONFIG_FILE`: upstream's `config.yaml`; unset, upstream's search from the working
    /// directory (and `PTC_CONFIG_FILE`).
    pub config_file: Option<PathBuf>,
    /// `AGENT_LLMS_FILE`: upstream's `llms.json`; unset, upstream's search.
    pub llms_file: Option<PathBuf>,
    /// `AGENT_DATA_DIR`: where the sessions' sandboxes live (`<working dir>/data/agent`; a
    /// relative path is taken from the working directory).
    pub data_dir: PathBuf,
    /// `AGENT_MAX_SESSIONS_PER_USER` (20).
    pub max_sessions_per_user: u64,
    /// `AGENT_RUN_EVENT_BUFFER` (10000): events kept per run for a client that reattaches.
    pub run_event_buffer: usize,
}

impl AgentSettings {
    /// The section registered in `settings`, or the defaults.
    pub fn of(settings: &fba_core_conf::Settings) -> Self {
        settings.section::<Self>().cloned().unwrap_or_default()
    }
}

impl Default for AgentSettings {
    fn default() -> Self {
        Self {
            config_file: None,
            llms_file: None,
            data_dir: PathBuf::from("data/agent"),
            max_sessions_per_user: 20,
            run_event_buffer: 10_000,
        }
    }
}

/// An optional path setting that must name an existing file when set.
fn file(src: &Source, var: &str) -> Result<Option<PathBuf>, ConfigError> {
    match src.opt_string(var) {
        None => Ok(None),
        Some(value) => {
            let path = PathBuf::from(&value);
            if path.is_file() {
                Ok(Some(path))
            } else {
                Err(ConfigError::invalid(var, &value, "an existing file"))
            }
        }
    }
}

impl Section for AgentSettings {
    const NAME: &'static str = "agent";

    fn from_source(src: &Source) -> Result<Self, ConfigError> {
        // Relative to the working directory (not to config.yaml's, as `sandbox.root_dir` is).
        let cwd = std::env::current_dir().unwrap_or_default();
        let data_dir = match src.opt_string("AGENT_DATA_DIR") {
            Some(dir) => cwd.join(dir),
            None => cwd.join("data").join("agent"),
        };
        if data_dir.exists() && !data_dir.is_dir() {
            return Err(ConfigError::invalid(
                "AGENT_DATA_DIR",
                &data_dir.display().to_string(),
                "a directory",
            ));
        }
        Ok(Self {
            config_file: file(src, "AGENT_CONFIG_FILE")?,
            llms_file: file(src, "AGENT_LLMS_FILE")?,
            data_dir,
            max_sessions_per_user: src.int("AGENT_MAX_SESSIONS_PER_USER", 20, 1, 10_000)?,
            run_event_buffer: src.int("AGENT_RUN_EVENT_BUFFER", 10_000, 100, 1_000_000)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_values_name_their_variable() {
        let d = AgentSettings::from_source(&Source::default()).unwrap();
        assert_eq!(d.max_sessions_per_user, 20);
        assert_eq!(d.run_event_buffer, 10_000);
        assert!(d.data_dir.ends_with("data/agent"));
        assert_eq!(d.config_file, None);
        for (var, value) in [
            ("AGENT_MAX_SESSIONS_PER_USER", "0"),
            ("AGENT_RUN_EVENT_BUFFER", "x"),
            ("AGENT_CONFIG_FILE", "/nonexistent/config.yaml"),
        ] {
            let err = AgentSettings::from_source(&Source::from_pairs([(var, value)])).unwrap_err();
            assert_eq!(err.var(), var, "{var}={value}");
        }
    }
}
