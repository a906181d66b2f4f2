//! The environment the configuration reads: the process environment over `.env`, and
//! upstream's `${VAR}` expansion.

use std::collections::BTreeMap;
use std::path::Path;

use crate::AgentError;

/// Environment variables by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvMap(BTreeMap<String, String>);

impl EnvMap {
    /// The process environment (variables that are not valid UTF-8 are left out).
    pub fn from_process() -> Self {
        Self(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        )
    }

    /// A map of the given pairs (tests, embedding applications).
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self(
            pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }

    /// Adds the variables of a `.env` file that are not set already (the process wins).
    pub fn overlay_dotenv(&mut self, path: &Path) -> Result<(), AgentError> {
        let entries = dotenvy::from_path_iter(path)
            .map_err(|e| AgentError::Config(format!("{}: {e}", path.display())))?;
        for entry in entries {
            let (key, value) =
                entry.map_err(|e| AgentError::Config(format!("{}: {e}", path.display())))?;
            self.0.entry(key).or_insert(value);
        }
        Ok(())
    }

    /// A variable's value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The variables as a map.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// Sets a variable (in this map only).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }
}

/// Expands `${VAR}` (and `$VAR`) as Python's `os.path.expandvars` does: a variable that is not
/// set keeps its placeholder.
pub fn expand_vars(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let (name, consumed) = match after.strip_prefix('{') {
            Some(inner) => match inner.find('}') {
                Some(end) => (&inner[..end], end + 2),
                None => ("", 0),
            },
            None => {
                let end = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        match valid.then(|| lookup(name)).flatten() {
            Some(value) => {
                out.push_str(&value);
                rest = &after[consumed..];
            }
            None => {
                // Not a variable, or not set: the placeholder stays as written.
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "KEY" => Some("s3cr3t".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_like_python_expandvars() {
        assert_eq!(expand_vars("${KEY}", lookup), "s3cr3t");
        assert_eq!(
            expand_vars("https://x/mcp?apikey=${KEY}&a=1", lookup),
            "https://x/mcp?apikey=s3cr3t&a=1"
        );
        assert_eq!(expand_vars("$KEY/x", lookup), "s3cr3t/x");
        assert_eq!(expand_vars("${MISSING}", lookup), "${MISSING}");
        assert_eq!(expand_vars("$MISSING-x", lookup), "$MISSING-x");
        assert_eq!(expand_vars("a$", lookup), "a$");
        assert_eq!(expand_vars("${unclosed", lookup), "${unclosed");
        assert_eq!(expand_vars("${EMPTY}x", lookup), "x");
        assert_eq!(expand_vars("price $5", lookup), "price $5");
    }

    #[test]
    fn the_process_wins_over_dotenv() {
        let dir = std::env::temp_dir().join(format!("fba-agent-env-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(".env");
        std::fs::write(&file, "A=from_file\nB=from_file\n").unwrap();
        let mut env = EnvMap::from_pairs([("A", "from_process")]);
        env.overlay_dotenv(&file).unwrap();
        assert_eq!(env.get("A"), Some("from_process"));
        assert_eq!(env.get("B"), Some("from_file"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
