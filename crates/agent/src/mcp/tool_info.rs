//! What the registry knows about one MCP tool, and upstream's heuristics on it: the parameter
//! table, the `Returns:` return-type guesses (the registry's and the code generator's) and
//! `to_dict()`.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

/// One tool of one server, as listed by `tools/list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpToolInfo {
    /// The server's name (registry key).
    pub server: String,
    /// The tool's name as the server spells it.
    pub name: String,
    /// The description ("" when the server gives none).
    pub description: String,
    /// The JSON Schema of the arguments (an object; `{}` when absent).
    pub input_schema: Value,
}

/// One parameter from the input schema, as upstream's `get_parameters()` reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamInfo {
    /// The property name, as the server expects it.
    pub name: String,
    /// The JSON Schema type (`"any"` when absent; the first non-null one of a type list).
    #[serde(rename = "type")]
    pub json_type: String,
    /// The property description ("" when absent).
    pub description: String,
    /// Whether `required` lists it.
    pub required: bool,
    /// The schema default (`None` when absent or null).
    pub default: Option<Value>,
}

impl McpToolInfo {
    /// A tool from its parts.
    pub fn new(
        server: impl Into<String>,
        name: impl Into<String>,
        description: impl Into<String>,
        input_schema: Value,
    ) -> Self {
        Self {
            server: server.into(),
            name: name.into(),
            description: description.into(),
            input_schema,
        }
    }

    /// The parameters: the required ones in the order of the schema's `required` list, then the
    /// others in property-name order (serde_json does not keep the schema's own key order).
    pub fn parameters(&self) -> Vec<ParamInfo> {
        let Some(properties) = self
            .input_schema
            .get("properties")
            .and_then(Value::as_object)
        else {
            return Vec::new();
        };
        let required: Vec<&str> = self
            .input_schema
            .get("required")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut out = Vec::with_capacity(properties.len());
        for name in &required {
            if let Some(schema) = properties.get(*name)
                && !out.iter().any(|p: &ParamInfo| p.name == *name)
            {
                out.push(param(name, schema, true));
            }
        }
        for (name, schema) in properties {
            if !required.contains(&name.as_str()) {
                out.push(param(name, schema, false));
            }
        }
        out
    }

    /// The registry's return-type guess (upstream `_extract_return_type_from_description`): the
    /// first word after `Returns:` mapped to dict, list, str, int, float or bool, else `Any`.
    pub fn return_type(&self) -> &'static str {
        let Some(re) = REGISTRY_RETURNS.as_ref() else {
            return "Any";
        };
        let Some(word) = re.captures(&self.description).and_then(|c| c.get(1)) else {
            return "Any";
        };
        match word.as_str().to_lowercase().as_str() {
            "dict" | "dictionary" => "dict",
            "list" | "array" => "list",
            "str" | "string" => "str",
            "int" | "integer" => "int",
            "float" | "number" => "float",
            "bool" | "boolean" => "bool",
            _ => "Any",
        }
    }

    /// The code generator's return information (upstream `_extract_return_info`): a type hint
    /// (`dict`, `list[dict]`, `list`, `str`…, else `Any`) and the `Returns:` text, or
    /// `("Any", "Tool execution result")` without such a section.
    pub fn return_info(&self) -> (&'static str, String) {
        let fallback = ("Any", "Tool execution result".to_string());
        let Some(re) = CODEGEN_RETURNS.as_ref() else {
            return fallback;
        };
        let Some(text) = re.captures(&self.description).and_then(|c| c.get(1)) else {
            return fallback;
        };
        let text = text.as_str().trim();
        if text.is_empty() {
            return fallback;
        }
        let hint = TYPE_HINTS
            .iter()
            .find(|(re, _)| re.as_ref().is_some_and(|re| re.is_match(text)))
            .map_or("Any", |(_, hint)| *hint);
        (hint, text.to_string())
    }

    /// Upstream's `to_dict()`: name, description, parameters (by name), server_name, return_type.
    pub fn to_dict(&self) -> Value {
        let mut parameters = Map::new();
        for p in self.parameters() {
            parameters.insert(
                p.name.clone(),
                json!({
                    "type": p.json_type,
                    "description": p.description,
                    "required": p.required,
                    "default": p.default,
                }),
            );
        }
        json!({
            "name": self.name,
            "description": self.description,
            "parameters": parameters,
            "server_name": self.server,
            "return_type": self.return_type(),
        })
    }
}

fn param(name: &str, schema: &Value, required: bool) -> ParamInfo {
    let json_type = match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .or_else(|| types.iter().find_map(Value::as_str))
            .unwrap_or("any")
            .to_string(),
        _ => "any".to_string(),
    };
    ParamInfo {
        name: name.to_string(),
        json_type,
        description: schema
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        required,
        default: schema.get("default").filter(|d| !d.is_null()).cloned(),
    }
}

static REGISTRY_RETURNS: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)Returns?:\s*\n?\s*(\w+(?:\[[\w,\s]+\])?)").ok());

static CODEGEN_RETURNS: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?is)Returns?:\s*\n?\s*(.*?)(?:\n\s*(?:Args?:|Example|Note|Raises?:|HIGH PTC|VERY HIGH|MEDIUM PTC|$)|\z)",
    )
    .ok()
});

static TYPE_HINTS: LazyLock<Vec<(Option<Regex>, &'static str)>> = LazyLock::new(|| {
    [
        (r"^(dict|Dict)\s*[:{]", "dict"),
        (r"^(list|List)\s*\[?\s*(dict|Dict)", "list[dict]"),
        (r"^(list|List)\b", "list"),
        (r"^(str|string)\b", "str"),
        (r"^(int|integer)\b", "int"),
        (r"^(float|number)\b", "float"),
        (r"^(bool|boolean)\b", "bool"),
        (r"[Dd]ictionary\s+(?:with|containing)", "dict"),
        (r"[Ll]ist\s+of\s+(?:dict|record)", "list[dict]"),
    ]
    .into_iter()
    .map(|(pattern, hint)| (Regex::new(&format!("(?i){pattern}")).ok(), hint))
    .collect()
});

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(description: &str, schema: Value) -> McpToolInfo {
        McpToolInfo::new("server", "test", description, schema)
    }

    #[test]
    fn parameters_like_upstream() {
        let t = tool(
            "Search for items",
            json!({"type": "object", "properties": {
                "query": {"type": "string", "description": "Search query"},
                "limit": {"type": "integer", "description": "Max results", "default": 10},
                "param": {"description": "No type specified"},
                "opt": {"type": ["string", "null"]}
            }, "required": ["query"]}),
        );
        let params = t.parameters();
        assert_eq!(params[0].name, "query");
        assert!(params[0].required);
        assert_eq!(params[0].json_type, "string");
        assert_eq!(params[0].description, "Search query");
        let limit = params.iter().find(|p| p.name == "limit").unwrap();
        assert!(!limit.required);
        assert_eq!(limit.default, Some(json!(10)));
        let untyped = params.iter().find(|p| p.name == "param").unwrap();
        assert_eq!(untyped.json_type, "any");
        let opt = params.iter().find(|p| p.name == "opt").unwrap();
        assert_eq!(opt.json_type, "string");
        assert!(tool("T", json!({"type": "object"})).parameters().is_empty());
    }

    #[test]
    fn required_parameters_keep_the_required_order() {
        let t = tool(
            "",
            json!({"properties": {"symbol": {"type": "string"}, "period": {"type": "string"},
                   "b": {"type": "integer"}, "a": {"type": "integer"}},
                   "required": ["symbol", "period"]}),
        );
        let names: Vec<_> = t.parameters().into_iter().map(|p| p.name).collect();
        assert_eq!(names, ["symbol", "period", "a", "b"]);
    }

    #[test]
    fn registry_return_type_heuristic() {
        assert_eq!(
            tool("Get data.\n\nReturns:\n    dict with results", json!({})).return_type(),
            "dict"
        );
        assert_eq!(
            tool("Get items.\n\nReturns: list of items", json!({})).return_type(),
            "list"
        );
        assert_eq!(
            tool("Get name.\n\nReturns: string", json!({})).return_type(),
            "str"
        );
        assert_eq!(
            tool("Just a description without returns.", json!({})).return_type(),
            "Any"
        );
        assert_eq!(tool("", json!({})).return_type(), "Any");
    }

    #[test]
    fn codegen_return_info_heuristic() {
        let t = tool(
            "Fetch history.\n\nReturns:\n    dict: {\"rows\": [...]}\n    more text\n\nExample:\n    x",
            json!({}),
        );
        let (hint, text) = t.return_info();
        assert_eq!(hint, "dict");
        assert_eq!(text, "dict: {\"rows\": [...]}\n    more text");
        assert_eq!(
            tool("Returns: List of dicts", json!({})).return_info().0,
            "list"
        );
        assert_eq!(
            tool("Returns: A list of records", json!({}))
                .return_info()
                .0,
            "list[dict]"
        );
        assert_eq!(
            tool("Returns: list[dict] rows", json!({})).return_info().0,
            "list[dict]"
        );
        assert_eq!(
            tool("Returns: Dictionary containing x", json!({}))
                .return_info()
                .0,
            "dict"
        );
        assert_eq!(
            tool("Returns: something", json!({})).return_info(),
            ("Any", "something".into())
        );
        assert_eq!(
            tool("nothing here", json!({})).return_info(),
            ("Any", "Tool execution result".into())
        );
    }

    #[test]
    fn to_dict_keys_and_unicode() {
        let t = McpToolInfo::new(
            "test_server",
            "get-user_data.v2",
            "Search für Bücher 📚",
            json!({"type": "object", "properties": {"query": {"type": "string"}}}),
        );
        let d = t.to_dict();
        assert_eq!(d["name"], "get-user_data.v2");
        assert_eq!(d["server_name"], "test_server");
        assert_eq!(d["return_type"], "Any");
        assert_eq!(d["parameters"]["query"]["type"], "string");
        assert_eq!(d["parameters"]["query"]["required"], false);
        assert!(d["description"].as_str().unwrap().contains("Bücher 📚"));
    }
}
