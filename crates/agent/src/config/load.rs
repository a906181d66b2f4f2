//! Finding and reading the files: upstream's search paths and overrides.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{AgentConfig, EnvMap, LlmCatalog, LlmSelection};
use crate::AgentError;

/// Where the files are looked for, as upstream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConfigContext {
    /// A library or server: the working directory, then the git root, then `~/.ptc-agent/`.
    #[default]
    Sdk,
    /// The terminal chat: `~/.ptc-agent/`, then the working directory.
    Cli,
}

/// How to load the configuration.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `config.yaml`, else `PTC_CONFIG_FILE`, else the search paths.
    pub config_file: Option<PathBuf>,
    /// `llms.json`, else `PTC_LLMS_FILE`, else the search paths (optional file).
    pub llms_file: Option<PathBuf>,
    /// `.env`, else `.env` in the working directory when present.
    pub env_file: Option<PathBuf>,
    /// The search order.
    pub context: ConfigContext,
    /// The working directory (default: the process's).
    pub cwd: Option<PathBuf>,
    /// The home directory (default: `$HOME`).
    pub home: Option<PathBuf>,
    /// The environment (default: the process's).
    pub env: Option<EnvMap>,
}

/// The sections upstream knows; any other top-level key is reported.
const SECTIONS: &[&str] = &[
    "llm",
    "daytona",
    "security",
    "mcp",
    "logging",
    "filesystem",
    "agent",
    "subagents",
    "skills",
    "storage",
    "cli",
    "sandbox",
];

impl AgentConfig {
    /// Finds and reads `config.yaml`, `llms.json` and `.env`.
    pub fn load(opts: LoadOptions) -> Result<Self, AgentError> {
        let cwd = match opts.cwd.clone() {
            Some(cwd) => cwd,
            None => std::env::current_dir()?,
        };
        let mut env = opts.env.clone().unwrap_or_else(EnvMap::from_process);
        let home = opts
            .home
            .clone()
            .or_else(|| env.get("HOME").map(PathBuf::from))
            .map(|h| h.join(".ptc-agent"));
        let search = search_paths(&cwd, home.as_deref(), opts.context);

        let env_file = opts
            .env_file
            .clone()
            .or_else(|| Some(cwd.join(".env")).filter(|p| p.is_file()));
        if let Some(file) = &env_file {
            env.overlay_dotenv(file)?;
        }

        let config_file = opts
            .config_file
            .clone()
            .or_else(|| env.get("PTC_CONFIG_FILE").map(PathBuf::from).filter(|p| p.exists()))
            .or_else(|| find(&search, "config.yaml"))
            .ok_or_else(|| {
                let list: Vec<String> = search.iter().map(|p| format!("  {}", p.display())).collect();
                AgentError::Config(format!(
                    "config.yaml not found in search paths:\n{}\nCreate one or set PTC_CONFIG_FILE environment variable.",
                    list.join("\n")
                ))
            })?;
        let llms_file = opts
            .llms_file
            .clone()
            .or_else(|| {
                env.get("PTC_LLMS_FILE")
                    .map(PathBuf::from)
                    .filter(|p| p.exists())
            })
            .or_else(|| find(&search, "llms.json"));

        let yaml = std::fs::read_to_string(&config_file)
            .map_err(|e| AgentError::Config(format!("{}: {e}", config_file.display())))?;
        let catalog = match &llms_file {
            Some(file) => {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| AgentError::Config(format!("{}: {e}", file.display())))?;
                LlmCatalog::parse(&text, &file.display().to_string())?
            }
            None => LlmCatalog::default(),
        };
        let base_dir = config_file
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(cwd);
        Self::from_yaml(
            &yaml,
            &config_file.display().to_string(),
            catalog,
            base_dir,
            env,
        )
    }

    /// Builds the configuration from `config.yaml`'s text (`origin` names it in errors).
    pub fn from_yaml(
        yaml: &str,
        origin: &str,
        llms: LlmCatalog,
        base_dir: PathBuf,
        env: EnvMap,
    ) -> Result<Self, AgentError> {
        let value: Value = if yaml.trim().is_empty() {
            Value::Object(Default::default())
        } else {
            serde_yaml_ng::from_str(yaml)
                .map_err(|e| AgentError::Config(format!("Failed to parse {origin}: {e}")))?
        };
        let Value::Object(root) = value else {
            return Err(AgentError::Config(format!(
                "{origin}: expected a mapping of sections"
            )));
        };
        let mut warnings = Vec::new();
        for key in root.keys().filter(|k| !SECTIONS.contains(&k.as_str())) {
            warnings.push(format!("{origin}: unknown section `{key}` ignored"));
        }
        if root.contains_key("daytona") {
            warnings.push(format!(
                "{origin}: `daytona` is not used: code runs in the local sandbox"
            ));
        }
        if root.contains_key("storage") {
            warnings.push(format!(
                "{origin}: `storage` is not used: files are served by the API"
            ));
        }
        let mut cx = Sections {
            root: &root,
            origin,
            warnings: &mut warnings,
        };
        let config = Self {
            llm: LlmSelection::from_section(root.get("llm"))?,
            llms,
            security: cx.section("security")?,
            mcp: root.get("mcp").cloned().unwrap_or(Value::Null),
            filesystem: cx.section("filesystem")?,
            sandbox: root.get("sandbox").cloned().unwrap_or(Value::Null),
            agent: cx.section("agent")?,
            subagents: cx.section("subagents")?,
            skills: cx.section("skills")?,
            logging: cx.section("logging")?,
            base_dir,
            env,
            warnings,
        };
        Ok(config)
    }
}

/// Reads typed sections and notes their unknown keys.
struct Sections<'a> {
    root: &'a serde_json::Map<String, Value>,
    origin: &'a str,
    warnings: &'a mut Vec<String>,
}

impl Sections<'_> {
    fn section<T: DeserializeOwned + Serialize + Default>(
        &mut self,
        name: &str,
    ) -> Result<T, AgentError> {
        let Some(raw) = self.root.get(name).filter(|v| !v.is_null()) else {
            return Ok(T::default());
        };
        let parsed: T = serde_json::from_value(raw.clone())
            .map_err(|e| AgentError::Config(format!("{} {name}: {e}", self.origin)))?;
        // Keys the typed section did not take are unknown.
        if let (Some(given), Ok(Value::Object(known))) =
            (raw.as_object(), serde_json::to_value(&parsed))
        {
            for key in given.keys().filter(|k| !known.contains_key(*k)) {
                self.warnings.push(format!(
                    "{}: unknown key `{name}.{key}` ignored",
                    self.origin
                ));
            }
        }
        Ok(parsed)
    }
}

fn search_paths(cwd: &Path, home: Option<&Path>, context: ConfigContext) -> Vec<PathBuf> {
    let mut paths = Vec::new();
    match context {
        ConfigContext::Cli => {
            paths.extend(home.map(Path::to_path_buf));
            paths.push(cwd.to_path_buf());
        }
        ConfigContext::Sdk => {
            paths.push(cwd.to_path_buf());
            if let Some(root) = git_root(cwd).filter(|r| r != cwd) {
                paths.push(root);
            }
            paths.extend(home.map(Path::to_path_buf));
        }
    }
    paths
}

fn git_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
}

fn find(paths: &[PathBuf], name: &str) -> Option<PathBuf> {
    paths.iter().map(|dir| dir.join(name)).find(|p| p.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fba-agent-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    const UPSTREAM: &str = r#"
cli:
  theme: "auto"
llm:
  name: "claude-sonnet-4-5"
daytona:
  base_url: "https://app.daytona.io/api"
  auto_stop_interval: 3600
  python_version: "3.12"
security:
  max_execution_time: 300
  max_code_length: 10000
  max_file_size: 10485760
  enable_code_validation: true
  allowed_imports: [os, sys]
  blocked_patterns: ["eval("]
mcp:
  servers:
    - name: "tickertick"
      transport: "stdio"
      command: "uv"
      args: ["run", "python", "mcp_servers/tickertick_mcp_server.py"]
      env: {}
  tool_discovery_enabled: true
  lazy_load: true
  cache_duration: 300
filesystem:
  working_directory: "/home/daytona"
  allowed_directories: ["/home/daytona", "/tmp"]
  enable_path_validation: true
storage:
  provider: "s3"
logging:
  level: "INFO"
  file: "logs/ptc.log"
agent:
  use_custom_filesystem_tools: true
  colour: blue
subagents:
  enabled: [general-purpose, research]
"#;

    #[test]
    fn upstream_files_load_unchanged_with_warnings() {
        let dir = temp_dir();
        std::fs::write(dir.join("config.yaml"), UPSTREAM).unwrap();
        std::fs::write(
            dir.join("llms.json"),
            r#"{"llms": {"claude-sonnet-4-5": {"model_id": "claude-sonnet-4-5-20250929", "provider": "anthropic",
                "sdk": "langchain_anthropic.ChatAnthropic", "api_key_env": "ANTHROPIC_API_KEY"}}}"#,
        )
        .unwrap();
        std::fs::write(dir.join(".env"), "ANTHROPIC_API_KEY=from-dotenv\n").unwrap();
        let config = AgentConfig::load(LoadOptions {
            cwd: Some(dir.clone()),
            home: Some(dir.join("nohome")),
            env: Some(EnvMap::default()),
            ..LoadOptions::default()
        })
        .unwrap();
        let (alias, def) = config.selected_llm().unwrap();
        assert_eq!(alias, "claude-sonnet-4-5");
        assert_eq!(def.model_id, "claude-sonnet-4-5-20250929");
        assert_eq!(config.env.get("ANTHROPIC_API_KEY"), Some("from-dotenv"));
        assert_eq!(config.subagents.enabled, ["general-purpose", "research"]);
        assert_eq!(config.security.max_code_length, 10_000);
        assert_eq!(config.base_dir, dir);
        assert_eq!(config.mcp["servers"][0]["name"], "tickertick");
        assert!(
            config
                .warnings
                .iter()
                .any(|w| w.ends_with("unknown key `agent.colour` ignored")),
            "{:?}",
            config.warnings
        );
        assert!(
            config
                .warnings
                .iter()
                .any(|w| w.contains("`daytona` is not used"))
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn overrides_and_search_order() {
        let dir = temp_dir();
        let home = dir.join("home");
        std::fs::create_dir_all(home.join(".ptc-agent")).unwrap();
        std::fs::write(
            home.join(".ptc-agent/config.yaml"),
            "llm: {name: from-home}\n",
        )
        .unwrap();
        let cwd = dir.join("work");
        std::fs::create_dir_all(&cwd).unwrap();
        std::fs::write(cwd.join("config.yaml"), "llm: {name: from-cwd}\n").unwrap();
        std::fs::write(dir.join("explicit.yaml"), "llm: {name: explicit}\n").unwrap();
        let load = |context, env: EnvMap| {
            AgentConfig::load(LoadOptions {
                cwd: Some(cwd.clone()),
                home: Some(home.clone()),
                env: Some(env),
                context,
                ..LoadOptions::default()
            })
            .unwrap()
            .llm
        };
        assert_eq!(
            load(ConfigContext::Sdk, EnvMap::default()),
            LlmSelection::Alias("from-cwd".into())
        );
        assert_eq!(
            load(ConfigContext::Cli, EnvMap::default()),
            LlmSelection::Alias("from-home".into())
        );
        let env = EnvMap::from_pairs([(
            "PTC_CONFIG_FILE",
            dir.join("explicit.yaml").display().to_string(),
        )]);
        assert_eq!(
            load(ConfigContext::Sdk, env),
            LlmSelection::Alias("explicit".into())
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn errors_name_the_file_and_key() {
        let err = AgentConfig::from_yaml(
            "security: {max_code_length: lots}",
            "c.yaml",
            LlmCatalog::default(),
            PathBuf::from("."),
            EnvMap::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("c.yaml security: invalid type"), "{err}");
        let err = AgentConfig::from_yaml(
            "- a\n- b\n",
            "c.yaml",
            LlmCatalog::default(),
            PathBuf::from("."),
            EnvMap::default(),
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "c.yaml: expected a mapping of sections");
        let missing = AgentConfig::load(LoadOptions {
            cwd: Some(std::env::temp_dir().join("fba-agent-nowhere")),
            home: Some(std::env::temp_dir().join("fba-agent-nohome")),
            env: Some(EnvMap::default()),
            ..LoadOptions::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            missing.starts_with("config.yaml not found in search paths:"),
            "{missing}"
        );
    }
}
