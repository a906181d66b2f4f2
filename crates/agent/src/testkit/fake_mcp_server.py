"""A fake MCP server for tests: newline-delimited JSON-RPC on stdin/stdout, stdlib only.

Tools: echo(text), add_numbers(a, b), awkward(from, max-results), fail(), slow(seconds),
env(name). Calls run on threads, so a slow call does not block the others.
"""

import json
import os
import sys
import threading
import time

SUPPORTED = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]
_out = threading.Lock()

TOOLS = [
    {"name": "echo", "description": "Echo the text back.\n\nReturns:\n    str: the same text",
     "inputSchema": {"type": "object", "properties": {"text": {"type": "string", "description": "Text to echo"}},
                     "required": ["text"]}},
    {"name": "add_numbers", "description": "Add two numbers.",
     "inputSchema": {"type": "object", "properties": {"a": {"type": "number", "description": "First number"},
                                                       "b": {"type": "number", "description": "Second number"}},
                     "required": ["a", "b"]}},
    {"name": "awkward", "description": "Parameters that are not Python identifiers.\n\nReturns:\n    dict: the arguments received",
     "inputSchema": {"type": "object", "properties": {"from": {"type": "string", "description": "Start"},
                                                       "max-results": {"type": "integer", "description": "Limit", "default": 10}},
                     "required": ["from"]}},
    {"name": "fail", "description": "Always fails.", "inputSchema": {"type": "object", "properties": {}}},
    {"name": "slow", "description": "Sleep, then answer.",
     "inputSchema": {"type": "object", "properties": {"seconds": {"type": "number", "description": "How long"}},
                     "required": ["seconds"]}},
    {"name": "env", "description": "Read an environment variable of the server.",
     "inputSchema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}},
]


def send(message):
    with _out:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def text(value, is_error=False, structured=None):
    result = {"content": [{"type": "text", "text": value}], "isError": is_error}
    if structured is not None:
        result["structuredContent"] = structured
    return result


def call(name, args):
    if name == "echo":
        return text(str(args.get("text", "")))
    if name == "add_numbers":
        total = args.get("a", 0) + args.get("b", 0)
        return text(json.dumps(total), structured={"result": total})
    if name == "awkward":
        return text(json.dumps(args, sort_keys=True))
    if name == "fail":
        return text("this tool always fails", is_error=True)
    if name == "slow":
        time.sleep(float(args.get("seconds", 1)))
        return text("slept")
    if name == "env":
        return text(os.environ.get(str(args.get("name", "")), ""))
    return None


def run_call(request_id, params):
    result = call(params.get("name"), params.get("arguments") or {})
    if result is None:
        send({"jsonrpc": "2.0", "id": request_id,
              "error": {"code": -32602, "message": f"Unknown tool: {params.get('name')}"}})
    else:
        send({"jsonrpc": "2.0", "id": request_id, "result": result})


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        message = json.loads(line)
        method, request_id = message.get("method"), message.get("id")
        if request_id is None or method is None:
            continue  # notifications and responses
        params = message.get("params") or {}
        if method == "initialize":
            version = params.get("protocolVersion")
            send({"jsonrpc": "2.0", "id": request_id, "result": {
                "protocolVersion": version if version in SUPPORTED else "2025-06-18",
                "capabilities": {"tools": {}},
                "serverInfo": {"name": "fake-mcp", "version": "1.0.0"}}})
        elif method == "ping":
            send({"jsonrpc": "2.0", "id": request_id, "result": {}})
        elif method == "tools/list":
            send({"jsonrpc": "2.0", "id": request_id, "result": {"tools": TOOLS}})
        elif method == "tools/call":
            threading.Thread(target=run_call, args=(request_id, params), daemon=True).start()
        else:
            send({"jsonrpc": "2.0", "id": request_id,
                  "error": {"code": -32601, "message": f"Method not found: {method}"}})


if __name__ == "__main__":
    main()
