"""
MCP client for the sandbox environment.

Tool calls go to the host's MCP bridge over the Unix socket $PTC_BRIDGE, authorised by the
per-execution token $PTC_TOKEN. This module holds no server configuration and no secrets.
"""

from __future__ import annotations  # annotations stay text: no `typing` import at run time

import json
import os
import socket
import threading

_lock = threading.Lock()
_conn: Any = None


def _request(payload: dict) -> dict:
    global _conn
    path = os.environ.get("PTC_BRIDGE", "/run/ptc/bridge.sock")
    with _lock:
        try:
            if _conn is None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.connect(path)
                _conn = (sock, sock.makefile("rb"))
            _conn[0].sendall((json.dumps(payload) + "\n").encode("utf-8"))
            line = _conn[1].readline()
        except OSError as e:
            _conn = None
            raise RuntimeError(f"MCP bridge unavailable at {path}: {e}") from e
        if not line:
            _conn = None
            raise RuntimeError("MCP bridge closed the connection")
    return json.loads(line)


def _call_mcp_tool(server_name: str, tool_name: str, arguments: dict[str, Any]) -> Any:
    """Call an MCP tool through the bridge; unwrap a single text block (JSON when it looks so)."""
    token = os.environ.get("PTC_TOKEN", "")
    response = _request({"token": token, "server": server_name, "tool": tool_name, "arguments": arguments})
    if not response.get("ok"):
        raise RuntimeError(response.get("error") or "MCP tool call failed")
    result = response.get("result")
    if isinstance(result, dict) and isinstance(result.get("content"), list):
        blocks = result["content"]
        if result.get("isError"):
            texts = [b.get("text", "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"]
            raise RuntimeError(f"MCP tool call failed: {chr(10).join(texts) or result}")
        if len(blocks) == 1 and isinstance(blocks[0], dict) and blocks[0].get("type") == "text":
            unwrapped = blocks[0].get("text", "")
            if unwrapped.startswith(("{", "[")):
                try:
                    return json.loads(unwrapped)
                except json.JSONDecodeError:
                    return unwrapped
            return unwrapped
    return result


def cleanup_mcp_servers() -> None:
    """Close the bridge connection (the servers themselves live on the host)."""
    global _conn
    with _lock:
        if _conn is not None:
            _conn[0].close()
            _conn = None
