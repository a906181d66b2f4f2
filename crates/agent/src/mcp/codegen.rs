//! Port of upstream's `ToolFunctionGenerator`: the Python files the sandboxed code imports.
//!
//! `tools/__init__.py`, `tools/mcp_client.py` (the bridge client: no configs, no secrets),
//! `tools/<server>.py` (one function per tool) and `tools/docs/<server>/<tool>.md`. Docstrings,
//! docs markdown, type mapping and examples follow upstream; the changes of spec §8.5 are in
//! [`super::python`] (safe parameter, function and module names).

use std::collections::{BTreeMap, BTreeSet};

use super::python::{
    doc_file_stem, dq_literal, function_names, module_names, parameter_names, repr, str_of,
};
use super::tool_info::{McpToolInfo, ParamInfo};

/// The bridge client module, written as `tools/mcp_client.py`.
pub const MCP_CLIENT_PY: &str = include_str!("mcp_client.py");

/// The package marker, written as `tools/__init__.py` (upstream's text).
pub const TOOLS_INIT_PY: &str = "\"\"\"Auto-generated tool modules from MCP servers.\"\"\"\n";

/// One file for the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Its path relative to the workspace root (`tools/…`).
    pub path: String,
    /// Its text.
    pub content: String,
}

/// Every file of the `tools/` package for these servers and tools: `__init__.py`,
/// `mcp_client.py`, one module per server and one docs page per tool (`<tool name>.md`, with
/// unsafe characters replaced and `_2`… for names that then collide).
pub fn generate_tool_files(
    tools_by_server: &BTreeMap<String, Vec<McpToolInfo>>,
) -> Vec<GeneratedFile> {
    let modules = module_names(tools_by_server.keys());
    let mut files = vec![
        GeneratedFile {
            path: "tools/__init__.py".into(),
            content: TOOLS_INIT_PY.into(),
        },
        GeneratedFile {
            path: "tools/mcp_client.py".into(),
            content: MCP_CLIENT_PY.into(),
        },
    ];
    for (server, tools) in tools_by_server {
        let Some(module) = modules.get(server) else {
            continue;
        };
        files.push(GeneratedFile {
            path: format!("tools/{module}.py"),
            content: generate_tool_module(server, tools),
        });
        let functions = function_names(tools);
        let mut stems = BTreeSet::new();
        for (tool, function) in tools.iter().zip(&functions) {
            let base = doc_file_stem(&tool.name);
            let mut stem = base.clone();
            let mut n = 2;
            while !stems.insert(stem.clone()) {
                stem = format!("{base}_{n}");
                n += 1;
            }
            files.push(GeneratedFile {
                path: format!("tools/docs/{module}/{stem}.md"),
                content: generate_tool_documentation(tool, module, function),
            });
        }
    }
    files
}

/// The Python module for one server's tools (upstream `generate_tool_module`).
pub fn generate_tool_module(server: &str, tools: &[McpToolInfo]) -> String {
    let shown = docstring_text(server);
    let mut code = format!(
        r#""""
Auto-generated tool functions for MCP server: {shown}

This module provides Python functions that call tools on the {shown} MCP server.
Functions are automatically generated from the MCP tool schemas.
"""

from __future__ import annotations  # annotations stay text: no `typing` import at run time

# Import MCP client
try:
    from .mcp_client import _call_mcp_tool
except ImportError:
    # Fallback for when mcp_client is not available
    def _call_mcp_tool(server_name: str, tool_name: str, arguments: dict[str, Any]) -> Any:
        raise NotImplementedError(
            "MCP client not initialized. "
            "This module must be used within a PTC sandbox with mcp_client.py installed."
        )


"#
    );
    for (tool, function) in tools.iter().zip(function_names(tools)) {
        code.push_str(&generate_function(tool, server, &function));
        code.push_str("\n\n");
    }
    code
}

/// A parameter with its Python name.
struct PyParam {
    info: ParamInfo,
    py: String,
}

fn py_params(tool: &McpToolInfo) -> Vec<PyParam> {
    let names: BTreeMap<String, String> = parameter_names(tool).into_iter().collect();
    tool.parameters()
        .into_iter()
        .map(|info| {
            let py = names
                .get(&info.name)
                .cloned()
                .unwrap_or_else(|| info.name.clone());
            PyParam { info, py }
        })
        .collect()
}

fn generate_function(tool: &McpToolInfo, server: &str, function: &str) -> String {
    let params = py_params(tool);
    let mut signature = Vec::with_capacity(params.len());
    for p in params.iter().filter(|p| p.info.required) {
        signature.push(format!("{}: {}", p.py, python_type(&p.info.json_type)));
    }
    for p in params.iter().filter(|p| !p.info.required) {
        let ty = python_type(&p.info.json_type);
        signature.push(match &p.info.default {
            None if ty == "None" => format!("{}: None = None", p.py),
            None => format!("{}: {ty} | None = None", p.py),
            Some(default) => format!("{}: {ty} = {}", p.py, repr(default)),
        });
    }
    let entries: Vec<String> = params
        .iter()
        .map(|p| format!("        {}: {},", dq_literal(&p.info.name), p.py))
        .collect();
    let (return_type, _) = tool.return_info();
    format!(
        r#"def {function}({signature}) -> {return_type}:
    """{docstring}"""
    arguments = {{
{entries}
    }}

    # Remove None values
    arguments = {{k: v for k, v in arguments.items() if v is not None}}

    return _call_mcp_tool({server}, {tool_name}, arguments)"#,
        signature = signature.join(", "),
        docstring = docstring_text(&generate_docstring(tool, &params, function)),
        entries = entries.join("\n"),
        server = dq_literal(server),
        tool_name = dq_literal(&tool.name),
    )
}

fn generate_docstring(tool: &McpToolInfo, params: &[PyParam], function: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    if !tool.description.is_empty() {
        lines.push(tool.description.clone());
        lines.push(String::new());
    }
    if !params.is_empty() {
        lines.push("Args:".into());
        for p in params {
            let required = if p.info.required { " (required)" } else { "" };
            lines.push(format!(
                "    {} ({}){required}: {}",
                p.py, p.info.json_type, p.info.description
            ));
        }
        lines.push(String::new());
    }
    let (return_type, return_desc) = tool.return_info();
    lines.push("Returns:".into());
    let mut return_lines = return_desc.split('\n');
    let first = return_lines.next().unwrap_or_default().trim();
    if return_type == "Any" {
        lines.push(format!("    {first}"));
    } else {
        lines.push(format!("    {return_type}: {first}"));
    }
    for line in return_lines {
        let stripped = line.trim();
        if !stripped.is_empty() {
            lines.push(format!("    {stripped}"));
        }
    }
    lines.push(String::new());
    let example: Vec<String> = example_args(params);
    if !example.is_empty() {
        lines.push("Example:".into());
        let shown: Vec<&str> = example.iter().take(2).map(String::as_str).collect();
        lines.push(format!("    result = {function}({})", shown.join(", ")));
    }
    lines.join("\n    ")
}

/// The markdown page for one tool (upstream `generate_tool_documentation`).
pub fn generate_tool_documentation(tool: &McpToolInfo, module: &str, function: &str) -> String {
    let params = py_params(tool);
    let signature: Vec<String> = params
        .iter()
        .map(|p| {
            let ty = python_type(&p.info.json_type);
            if p.info.required {
                format!("{}: {ty}", p.py)
            } else {
                let default = p
                    .info
                    .default
                    .as_ref()
                    .map_or_else(|| "None".into(), str_of);
                format!("{}: {ty} = {default}", p.py)
            }
        })
        .collect();
    let mut doc = format!("# {function}({})\n\n", signature.join(", "));
    if !tool.description.is_empty() {
        doc.push_str(&format!("{}\n\n", tool.description));
    }
    doc.push_str("## Parameters\n\n");
    if params.is_empty() {
        doc.push_str("No parameters\n\n");
    }
    for p in &params {
        let marker = if p.info.required {
            "**Required**"
        } else {
            "Optional"
        };
        doc.push_str(&format!("- `{}` ({}) - {marker}\n", p.py, p.info.json_type));
        if !p.info.description.is_empty() {
            doc.push_str(&format!("  {}\n", p.info.description));
        }
        doc.push('\n');
    }
    let (return_type, return_desc) = tool.return_info();
    doc.push_str("## Returns\n\n");
    doc.push_str(&format!("**Type:** `{return_type}`\n\n"));
    doc.push_str(&format!("{return_desc}\n\n"));
    doc.push_str("## Example\n\n```python\n");
    doc.push_str(&format!("from tools.{module} import {function}\n\n"));
    doc.push_str(&format!(
        "result = {function}({})\n",
        example_args(&params).join(", ")
    ));
    doc.push_str("print(result)  # noqa: T201\n```\n");
    doc
}

fn example_args(params: &[PyParam]) -> Vec<String> {
    params
        .iter()
        .filter(|p| p.info.required)
        .map(|p| format!("{}={}", p.py, example_value(&p.info.json_type)))
        .collect()
}

/// Upstream's JSON Schema → Python annotation map (`Any` for anything else).
pub fn python_type(json_type: &str) -> &'static str {
    match json_type {
        "string" => "str",
        "number" => "float",
        "integer" => "int",
        "boolean" => "bool",
        "array" => "List",
        "object" => "Dict",
        "null" => "None",
        _ => "Any",
    }
}

fn example_value(json_type: &str) -> &'static str {
    match json_type {
        "string" => "\"example\"",
        "number" => "42.0",
        "integer" => "42",
        "boolean" => "True",
        "array" => "[]",
        "object" => "{}",
        _ => "\"\"",
    }
}

/// Text safe inside a `"""` docstring: backslashes doubled (as upstream) and `"""` broken up.
fn docstring_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn optional_params_and_defaults() {
        let tool = McpToolInfo::new(
            "srv",
            "list_issues",
            "List issues",
            json!({"properties": {
                "repo": {"type": "string", "description": "Repository"},
                "state": {"type": "string", "default": "open"},
                "labels": {"type": "array"},
                "nothing": {"type": "null"}
            }, "required": ["repo"]}),
        );
        let code = generate_function(&tool, "srv", "list_issues");
        assert!(code.starts_with(
            "def list_issues(repo: str, labels: List | None = None, nothing: None = None, state: str = 'open') -> Any:\n"
        ), "{code}");
        let doc = generate_tool_documentation(&tool, "srv", "list_issues");
        assert!(doc.starts_with(
            "# list_issues(repo: str, labels: List = None, nothing: None = None, state: str = open)\n\n"
        ), "{doc}");
    }

    #[test]
    fn triple_quotes_and_backslashes_stay_inside_the_docstring() {
        let tool = McpToolInfo::new("srv", "q", "Say \"\"\"hi\"\"\" \\d", json!({}));
        let code = generate_function(&tool, "srv", "q");
        assert!(
            code.contains("Say \\\"\\\"\\\"hi\\\"\\\"\\\" \\\\d"),
            "{code}"
        );
    }
}
