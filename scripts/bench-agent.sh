#!/usr/bin/env bash
# Round-trip times of the agent's `execute_code` tool in the real local sandbox (issue 13), once
# per isolation layer this machine has (bubblewrap, then Landlock + seccomp), p50/p90/p99, mean,
# min and max over BENCH_RUNS (200) rounds after BENCH_WARMUP (10) uncounted ones:
#
#   scripts/bench-agent.sh
#
# crates/agent/examples/bench_exec.rs (release build) runs, in every round: (a) `print(1)`;
# importing the generated tool module without calling it; (b) one MCP call (`add_numbers` of the
# test kit's fake stdio MCP server) through the host-side bridge; (c) ten MCP calls in a loop;
# (d) the same MCP call made directly on the host (`McpRegistry::call`: the fake server's own
# cost). It then derives the bridge overhead per MCP call (((c) − (a)) / 10, minus (d)). For
# comparison it times what lies underneath: the sandbox's wrapper alone (`/usr/bin/true`),
# `python3 -c pass` in the sandbox and on the host, and `bwrap … /usr/bin/true` with the
# isolation probe's arguments. Targets: p50 of (a) under 50 ms, under 5 ms of bridge overhead
# per MCP call. A layer that is not available here is skipped with a note.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${BENCH_RUNS:-200}
WARMUP=${BENCH_WARMUP:-10}
TARGET=${CARGO_TARGET_DIR:-target}

echo "==> building bench_exec and fba-sandbox-exec (release)" >&2
cargo build --release --quiet -p fba-agent --features testkit --example bench_exec --bin fba-sandbox-exec
BENCH=$TARGET/release/examples/bench_exec
HELPER=$TARGET/release/fba-sandbox-exec

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "Linux $(uname -r), $(/usr/bin/python3 --version 2>&1) (/usr/bin/python3)," \
  "$(bwrap --version 2>/dev/null || echo 'no bubblewrap')"
# Other work on the cores shows in every row (process start-up is CPU- and scheduler-bound).
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

for layer in bwrap landlock; do
  echo
  echo "==> isolation: $layer"
  status=0
  "$BENCH" --isolation "$layer" --helper "$HELPER" --runs "$RUNS" --warmup "$WARMUP" || status=$?
  case $status in
    0) ;;
    3) echo "(skipped: the $layer layer is not available here)" ;;
    *) echo "bench_exec failed for $layer (exit $status)" >&2; exit "$status" ;;
  esac
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
