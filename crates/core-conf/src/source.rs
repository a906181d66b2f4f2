//! Where setting values come from: the process environment over a `.env` file.
//!
//! This module only gathers raw strings; parsing and validation live in [`crate::settings`].

use std::collections::HashMap;
use std::path::Path;

use crate::ConfigError;

/// Raw `NAME -> value` pairs, process environment taking precedence over `.env`.
#[derive(Debug, Clone, Default)]
pub struct Source {
    vars: HashMap<String, String>,
}

impl Source {
    /// Builds a source from explicit pairs (tests, embedding services).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// Reads `env_file` (when it exists) and then the process environment, which wins.
    ///
    /// # Errors
    /// [`ConfigError::EnvFile`] when the file exists but cannot be parsed.
    pub fn from_env_and_file(env_file: &Path) -> Result<Self, ConfigError> {
        let mut vars = HashMap::new();
        if env_file.exists() {
            let iter = dotenvy::from_path_iter(env_file).map_err(|e| ConfigError::EnvFile {
                path: env_file.display().to_string(),
                reason: e.to_string(),
            })?;
            for item in iter {
                let (k, v) = item.map_err(|e| ConfigError::EnvFile {
                    path: env_file.display().to_string(),
                    reason: e.to_string(),
                })?;
                vars.insert(k, v);
            }
        }
        for (k, v) in std::env::vars() {
            vars.insert(k, v);
        }
        Ok(Self { vars })
    }

    /// Sets or replaces one value (used for CLI flags such as `--port`).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    /// The raw value of `name`, with surrounding whitespace removed; empty counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// The raw value of `name` even when empty (for values where `''` is meaningful).
    pub fn get_raw(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }

    /// A string value or its default.
    pub fn string(&self, name: &str, default: &str) -> String {
        self.get(name).unwrap_or(default).to_owned()
    }

    /// An optional string value.
    pub fn opt_string(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }

    /// A boolean in the spellings pydantic accepts (`true/false`, `1/0`, `yes/no`, `on/off`).
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the variable for any other text.
    pub fn bool(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" | "y" | "t" => Ok(true),
                "0" | "false" | "no" | "off" | "n" | "f" => Ok(false),
                _ => Err(ConfigError::invalid(name, v, "a boolean (true/false, 1/0)")),
            },
        }
    }

    /// An integer of type `T` within `min..=max`.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] when the text is not an integer or is out of range.
    pub fn int<T>(&self, name: &str, default: T, min: T, max: T) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + Copy + std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(v) => match v.parse::<T>() {
                Ok(n) if n >= min && n <= max => Ok(n),
                _ => Err(ConfigError::invalid(
                    name,
                    v,
                    &format!("an integer from {min} to {max}"),
                )),
            },
        }
    }

    /// An optional integer within `min..=max`.
    ///
    /// # Errors
    /// As [`Source::int`].
    pub fn opt_int<T>(&self, name: &str, min: T, max: T) -> Result<Option<T>, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + Copy + std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(None),
            Some(_) => self.int(name, min, min, max).map(Some),
        }
    }

    /// A list: either a JSON-style array (`["a", "b"]`, as pydantic-settings reads it) or
    /// comma-separated text.
    pub fn list(&self, name: &str, default: &[&str]) -> Vec<String> {
        match self.get(name) {
            None => default.iter().map(|s| (*s).to_owned()).collect(),
            Some(v) => {
                let inner = v
                    .strip_prefix('[')
                    .and_then(|s| s.strip_suffix(']'))
                    .unwrap_or(v);
                inner
                    .split(',')
                    .map(|s| s.trim().trim_matches(|c| c == '"' || c == '\'').trim())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            }
        }
    }

    /// One of a fixed set of values (compared case-insensitively), returned lower-cased.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] listing the allowed values.
    pub fn choice(
        &self,
        name: &str,
        default: &str,
        allowed: &[&str],
    ) -> Result<String, ConfigError> {
        let v = self.get(name).unwrap_or(default);
        let lower = v.to_ascii_lowercase();
        if allowed.contains(&lower.as_str()) {
            Ok(lower)
        } else {
            Err(ConfigError::invalid(
                name,
                v,
                &format!("one of {}", allowed.join(", ")),
            ))
        }
    }
}
