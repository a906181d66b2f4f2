//! The MCP part of the system prompt (upstream `format_tool_summary`, spec §1.4).
//!
//! With server configs, each server uses its own `tool_exposure_mode` or the global one, and the
//! docs note ends the text; without configs the global mode applies to all (upstream's
//! fallback, where detailed mode has no note). Unknown modes mean summary; `full` means detailed.
//! Module, import and docs paths use the generated module names, and detailed lines the
//! generated function and parameter names, so what the prompt shows can be imported as is.

use std::collections::BTreeMap;

use super::config::{McpServerConfig, ToolExposureMode};
use super::python::{function_names, module_names, parameter_names, str_of};
use super::tool_info::McpToolInfo;

const NO_SERVERS: &str = "\nNo MCP servers configured.";
const NOTE: &str = "\n\n**Note**: Check `tools/docs/{server_name}/{tool_name}.md` for exact function signatures before use.";

/// The tool summary for the prompt. `global_mode` is `summary`, `detailed` or `full`; anything
/// else means summary. `servers` are the enabled server configs (for descriptions,
/// instructions and per-server modes); empty means "use the global mode for every server".
pub fn format_tool_summary(
    tools_by_server: &BTreeMap<String, Vec<McpToolInfo>>,
    global_mode: &str,
    servers: &[McpServerConfig],
) -> String {
    let global = ToolExposureMode::parse(global_mode).unwrap_or_default();
    let modules = module_names(tools_by_server.keys());
    let mut lines = Vec::new();
    for (server, tools) in tools_by_server {
        let config = servers.iter().find(|s| &s.name == server);
        let mode = config.and_then(|c| c.tool_exposure_mode).unwrap_or(global);
        let module = modules.get(server).map_or(server.as_str(), String::as_str);
        match mode {
            ToolExposureMode::Summary => server_brief(&mut lines, server, module, tools, config),
            ToolExposureMode::Detailed => {
                server_detailed(&mut lines, server, module, tools, config)
            }
        }
    }
    if lines.is_empty() {
        return NO_SERVERS.to_string();
    }
    let summary = lines.join("\n");
    if servers.is_empty() && global == ToolExposureMode::Detailed {
        summary
    } else {
        format!("{summary}{NOTE}")
    }
}

fn header(lines: &mut Vec<String>, server: &str, config: Option<&McpServerConfig>) {
    match config.filter(|c| !c.description.is_empty()) {
        Some(c) => lines.push(format!("\n{server}: {}", c.description)),
        None => lines.push(format!("\n{server}:")),
    }
    if let Some(c) = config.filter(|c| !c.instruction.is_empty()) {
        lines.push(format!("  Instructions: {}", c.instruction));
    }
}

fn server_brief(
    lines: &mut Vec<String>,
    server: &str,
    module: &str,
    tools: &[McpToolInfo],
    config: Option<&McpServerConfig>,
) {
    header(lines, server, config);
    let word = if tools.len() == 1 { "tool" } else { "tools" };
    lines.push(format!("  - Module: tools/{module}.py"));
    lines.push(format!("  - Tools: {} {word} available", tools.len()));
    lines.push(format!(
        "  - Import: from tools.{module} import <tool_name>"
    ));
    lines.push(format!("  - Documentation: tools/docs/{module}/*.md"));
}

fn server_detailed(
    lines: &mut Vec<String>,
    server: &str,
    module: &str,
    tools: &[McpToolInfo],
    config: Option<&McpServerConfig>,
) {
    header(lines, server, config);
    lines.push(format!("  Module: tools/{module}.py"));
    lines.push("  Available tools:".into());
    for (tool, function) in tools.iter().zip(function_names(tools)) {
        let names: BTreeMap<String, String> = parameter_names(tool).into_iter().collect();
        let params: Vec<String> = tool
            .parameters()
            .iter()
            .map(|p| {
                let py = names.get(&p.name).map_or(p.name.as_str(), String::as_str);
                if p.required {
                    format!("{py}: {}", p.json_type)
                } else {
                    let default = p.default.as_ref().map_or_else(|| "None".into(), str_of);
                    format!("{py}: {} = {default}", p.json_type)
                }
            })
            .collect();
        let mut line = format!(
            "    - {function}({}) -> {}",
            params.join(", "),
            tool.return_type()
        );
        if !tool.description.is_empty() {
            line.push_str(&format!(": {}", tool.description));
        }
        lines.push(line);
    }
}
