//! FBA's `plugin.toml`: parsed and validated at start-up, served as JSON in `/sys/plugins` and
//! stored under `fba:plugin:{name}` with `plugin.name` and `plugin.enable` added.

use serde_json::{Map, Value};

use super::PluginError;

/// The tags FBA's manifest schema allows.
const TAGS: &[&str] = &[
    "ai",
    "mcp",
    "agent",
    "auth",
    "storage",
    "notification",
    "task",
    "payment",
    "other",
];

/// A plugin's parsed manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The plugin's name (its folder name in FBA).
    pub name: &'static str,
    /// The whole manifest as JSON (`plugin`, `app`, `api`, `settings` tables).
    pub json: Value,
    /// `plugin.depends_on`.
    pub depends_on: Vec<String>,
}

impl Manifest {
    /// Parses and validates `text` as the `plugin.toml` of `name` with FBA's rules: `[plugin]`
    /// with `summary` (1–100 chars), `version` (`x.y.z`), `description` (1–500), `author`
    /// (1–50), `tags` (FBA's list), `database` (`mysql`, `postgresql`); `[app]` with `extend`
    /// or `router`; `[api.*]` tables with a `prefix` for an extend-level plugin.
    ///
    /// # Errors
    /// [`PluginError::Manifest`] naming the plugin and the field.
    pub fn parse(name: &'static str, text: &str) -> Result<Self, PluginError> {
        let bad = |why: String| PluginError::Manifest { plugin: name, why };
        let table: toml::Table = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        let json = serde_json::to_value(&table).map_err(|e| bad(e.to_string()))?;
        let plugin = json
            .get("plugin")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("no [plugin] table".into()))?;
        for (field, max) in [("summary", 100), ("description", 500), ("author", 50)] {
            let len = plugin
                .get(field)
                .and_then(Value::as_str)
                .map(|s| s.chars().count())
                .unwrap_or(0);
            if len == 0 || len > max {
                return Err(bad(format!("plugin.{field} must be 1 to {max} characters")));
            }
        }
        let version = plugin.get("version").and_then(Value::as_str).unwrap_or("");
        let parts: Vec<&str> = version.split('.').collect();
        if parts.len() != 3
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad(format!("plugin.version {version:?} is not x.y.z")));
        }
        for tag in strings(plugin.get("tags")) {
            if !TAGS.contains(&tag.as_str()) {
                return Err(bad(format!("plugin.tags: unknown tag {tag:?}")));
            }
        }
        for db in strings(plugin.get("database")) {
            if db != "mysql" && db != "postgresql" {
                return Err(bad(format!("plugin.database: unknown database {db:?}")));
            }
        }
        let app = json.get("app").and_then(Value::as_object);
        let extend = app.and_then(|a| a.get("extend")).is_some();
        let router = app.and_then(|a| a.get("router")).is_some();
        if extend == router {
            return Err(bad("[app] needs exactly one of extend or router".into()));
        }
        if extend {
            let api = json
                .get("api")
                .and_then(Value::as_object)
                .filter(|a| !a.is_empty())
                .ok_or_else(|| bad("an extend plugin needs at least one [api.*] table".into()))?;
            for (file, table) in api {
                let prefix = table.get("prefix").and_then(Value::as_str).unwrap_or("");
                let ok = prefix.starts_with('/')
                    && prefix
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_/-".contains(&b));
                if !ok {
                    return Err(bad(format!("api.{file}.prefix {prefix:?} is not a path")));
                }
            }
        }
        let depends_on = strings(plugin.get("depends_on"));
        Ok(Self {
            name,
            json,
            depends_on,
        })
    }

    /// The JSON stored in the Kv store and listed by `GET /sys/plugins`: the manifest with
    /// `plugin.name` and `plugin.enable` (`"1"` / `"0"`, a string as in FBA).
    pub fn info(&self, enabled: bool) -> Value {
        let mut json = self.json.clone();
        if let Some(plugin) = json.get_mut("plugin").and_then(Value::as_object_mut) {
            plugin.insert("name".into(), Value::String(self.name.to_owned()));
            plugin.insert(
                "enable".into(),
                Value::String(if enabled { "1" } else { "0" }.to_owned()),
            );
        }
        json
    }
}

/// Whether the stored info `json` says enabled (`plugin.enable` is `"1"`).
pub fn info_enabled(json: &Value) -> Option<bool> {
    json.get("plugin")
        .and_then(|p| p.get("enable"))
        .and_then(Value::as_str)
        .map(|v| v == "1")
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// An empty JSON object (for tests and defaults).
pub fn empty() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[plugin]
summary = "s"
version = "0.0.1"
description = "d"
author = "a"
tags = ["other"]
database = ["mysql", "postgresql"]
depends_on = ["dict"]

[app]
extend = "admin"

[api.thing]
prefix = "/things"
tags = "t"
"#;

    #[test]
    fn a_valid_manifest_parses_and_gains_name_and_enable() {
        let m = Manifest::parse("thing", GOOD).unwrap();
        assert_eq!(m.depends_on, ["dict"]);
        let info = m.info(true);
        assert_eq!(info["plugin"]["name"], "thing");
        assert_eq!(info["plugin"]["enable"], "1");
        assert_eq!(info["api"]["thing"]["prefix"], "/things");
        assert_eq!(info_enabled(&m.info(false)), Some(false));
    }

    #[test]
    fn invalid_manifests_name_the_field() {
        for (from, to, field) in [
            ("version = \"0.0.1\"", "version = \"1\"", "plugin.version"),
            ("tags = [\"other\"]", "tags = [\"games\"]", "plugin.tags"),
            ("summary = \"s\"", "summary = \"\"", "plugin.summary"),
            (
                "prefix = \"/things\"",
                "prefix = \"things\"",
                "api.thing.prefix",
            ),
            ("extend = \"admin\"", "", "[app]"),
        ] {
            let err = Manifest::parse("thing", &GOOD.replace(from, to)).unwrap_err();
            assert!(err.to_string().contains(field), "{err}");
        }
        assert!(Manifest::parse("thing", "not toml = = =").is_err());
    }
}
