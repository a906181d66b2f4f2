//! Python spelling helpers for the generated code: identifiers that are safe to use (spec §8.5),
//! and `repr()`/`str()` of JSON values the way Python prints them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::tool_info::McpToolInfo;

/// Python's hard keywords: not usable as parameter or function names.
const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// Names the generated module itself uses; a parameter or function must not shadow them.
const RESERVED: &[&str] = &["_call_mcp_tool", "Any", "List", "Dict", "json"];

/// Whether `name` is a valid Python identifier (letters, digits and `_`, not starting with a
/// digit) and not a keyword.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first == '_' || first.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
        && !KEYWORDS.contains(&name)
}

/// Makes `name` a usable identifier: unchanged when it already is one and is not `reserved`;
/// otherwise invalid characters become `_`, a leading digit gets a `_` prefix, and a `_` suffix
/// marks the rename (`from` → `from_`, `max-results` → `max_results_`).
pub fn safe_identifier(name: &str, reserved: &[&str]) -> String {
    if is_identifier(name) && !reserved.contains(&name) {
        return name.to_string();
    }
    let mut out: String = name
        .chars()
        .map(|c| {
            if c == '_' || c.is_alphanumeric() {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().next().is_none_or(|c| c.is_numeric()) {
        out.insert(0, '_');
    }
    out.push('_');
    out
}

/// The Python name of each parameter of `tool`, in [`McpToolInfo::parameters`] order: keywords
/// and non-identifiers get a `_` suffix; clashes get more underscores.
pub fn parameter_names(tool: &McpToolInfo) -> Vec<(String, String)> {
    let params = tool.parameters();
    let originals: BTreeSet<String> = params.iter().map(|p| p.name.clone()).collect();
    let mut used = BTreeSet::new();
    let mut out = Vec::with_capacity(params.len());
    for p in params {
        let mut py = safe_identifier(&p.name, RESERVED);
        while used.contains(&py) || (py != p.name && originals.contains(&py)) {
            py.push('_');
        }
        used.insert(py.clone());
        out.push((p.name, py));
    }
    out
}

/// The Python function name of each tool of one server, in order: upstream's `-`/`.` → `_`,
/// made a safe identifier, with `_2`, `_3`… for names that collide.
pub fn function_names(tools: &[McpToolInfo]) -> Vec<String> {
    let mut used = BTreeSet::new();
    let mut out = Vec::with_capacity(tools.len());
    for tool in tools {
        let base = safe_identifier(&tool.name.replace(['-', '.'], "_"), RESERVED);
        let mut name = base.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        used.insert(name.clone());
        out.push(name);
    }
    out
}

/// The Python module name of each server (`tools/<module>.py`), unique across servers.
pub fn module_names<'a>(servers: impl IntoIterator<Item = &'a String>) -> BTreeMap<String, String> {
    let mut used = BTreeSet::from(["mcp_client".to_string(), "docs".to_string()]);
    let mut out = BTreeMap::new();
    for server in servers {
        let base = safe_identifier(server, &["mcp_client", "docs"]);
        let mut name = base.clone();
        let mut n = 2;
        while used.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        used.insert(name.clone());
        out.insert(server.clone(), name);
    }
    out
}

/// A file name for a tool's docs page: the tool name with anything but letters, digits, `_`,
/// `-` and `.` replaced by `_` (and no leading dot).
pub fn doc_file_stem(tool_name: &str) -> String {
    let mut out: String = tool_name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with('.') {
        out.insert(0, '_');
    }
    out
}

/// Python's `repr()` of a JSON value (`None`, `True`, `'text'`, `[1, 2]`, `{'k': 1.5}`).
pub fn repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Number(n) => number_repr(n),
        Value::String(s) => str_repr(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", str_repr(k), repr(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// Python's `str()` of a JSON value: a string as is, anything else as [`repr`].
pub fn str_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => repr(other),
    }
}

fn number_repr(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let Some(f) = n.as_f64() else {
        return n.to_string();
    };
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e16 {
        return format!("{f:.1}");
    }
    let s = format!("{f:?}");
    match s.split_once('e') {
        Some((mantissa, exp)) if !exp.starts_with('-') => format!("{mantissa}e+{exp}"),
        _ => s,
    }
}

/// Python's `repr()` of a string: single quotes unless the text has `'` and no `"`.
pub fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A double-quoted Python string literal (for keys and names in generated code).
pub fn dq_literal(s: &str) -> String {
    // A JSON string literal is a valid Python literal with the same value.
    Value::String(s.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn identifiers_and_renames() {
        assert!(is_identifier("query"));
        assert!(is_identifier("größe"));
        assert!(!is_identifier("from"));
        assert!(!is_identifier("max-results"));
        assert!(!is_identifier("1x"));
        assert_eq!(safe_identifier("from", &[]), "from_");
        assert_eq!(safe_identifier("class", &[]), "class_");
        assert_eq!(safe_identifier("max-results", &[]), "max_results_");
        assert_eq!(safe_identifier("1x", &[]), "_1x_");
        assert_eq!(safe_identifier("", &[]), "__");
        assert_eq!(safe_identifier("json", RESERVED), "json_");
        assert_eq!(safe_identifier("match", &[]), "match");
    }

    #[test]
    fn parameter_names_never_clash() {
        let tool = McpToolInfo::new(
            "s",
            "t",
            "",
            json!({"properties": {"from": {}, "from_": {}, "a-b": {}, "a_b_": {}}}),
        );
        let names: BTreeMap<String, String> = parameter_names(&tool).into_iter().collect();
        assert_eq!(names["from_"], "from_");
        assert_eq!(names["from"], "from__");
        assert_eq!(names["a_b_"], "a_b_");
        assert_eq!(names["a-b"], "a_b__");
    }

    #[test]
    fn colliding_function_names_get_numbers() {
        let tools: Vec<McpToolInfo> = ["get-data", "get.data", "get_data", "import"]
            .iter()
            .map(|n| McpToolInfo::new("s", *n, "", json!({})))
            .collect();
        assert_eq!(
            function_names(&tools),
            ["get_data", "get_data_2", "get_data_3", "import_"]
        );
    }

    #[test]
    fn module_names_are_safe_and_unique() {
        let servers = [
            "my-server".to_string(),
            "my_server".to_string(),
            "mcp_client".to_string(),
        ];
        let names = module_names(servers.iter());
        assert_eq!(names["my-server"], "my_server_");
        assert_eq!(names["my_server"], "my_server");
        assert_eq!(names["mcp_client"], "mcp_client_");
    }

    #[test]
    fn python_repr_and_str() {
        assert_eq!(repr(&json!(null)), "None");
        assert_eq!(repr(&json!(true)), "True");
        assert_eq!(repr(&json!(10)), "10");
        assert_eq!(repr(&json!(1.0)), "1.0");
        assert_eq!(repr(&json!(0.25)), "0.25");
        assert_eq!(repr(&json!(1e20)), "1e+20");
        assert_eq!(repr(&json!("open")), "'open'");
        assert_eq!(repr(&json!("it's")), "\"it's\"");
        assert_eq!(repr(&json!("a\nb\\")), "'a\\nb\\\\'");
        assert_eq!(repr(&json!(["a", 1])), "['a', 1]");
        assert_eq!(repr(&json!({"k": false})), "{'k': False}");
        assert_eq!(str_of(&json!("open")), "open");
        assert_eq!(str_of(&json!([1])), "[1]");
        assert_eq!(dq_literal("max-results"), "\"max-results\"");
        assert_eq!(doc_file_stem("a/b"), "a_b");
        assert_eq!(doc_file_stem("..x"), "_..x");
    }
}
