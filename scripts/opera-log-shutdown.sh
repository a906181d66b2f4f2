#!/usr/bin/env bash
# Shutdown check of the operation log (not a test): does every request that got a response keep
# its sys_opera_log row when the server is stopped with SIGTERM in the middle of a load?
#
# Builds the release server and starts it on a throw-away SQLite database (captcha off; queue
# batches of OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE=BATCH rows (FBA's 100 by default), each waiting at
# most 500 ms for more rows). Then CONCURRENCY connections send requests for
# DURATION seconds — alternately GET /api/v1/logs/opera?size=1 (200) and GET /api/v1/no/such
# (404), both logged — and SIGTERM is sent after TERM_AFTER seconds. The server stops accepting,
# lets in-flight requests finish for SERVER_SHUTDOWN_TIMEOUT seconds, flushes the queue and
# exits. Every response the client received carries the request id (X-Request-ID); the script
# prints the acknowledged count (2xx + 4xx responses), the rows in sys_opera_log, and how many
# acknowledged request ids have no row (must be 0).
# Load tool: wrk (a Lua script records each response's X-Request-ID), else curl with xargs -P
# (K=REQUESTS requests, each with its own X-Request-ID).
# Traffic goes to 127.0.0.1 only; the server is stopped and the temp dir removed on exit.
#
# Usage: scripts/opera-log-shutdown.sh   (env: DURATION=10 TERM_AFTER=4 CONCURRENCY=32
#                                         REQUESTS=3000 PORT=18766 SERVER_SHUTDOWN_TIMEOUT=3
#                                         BATCH=100 SKIP_BUILD=1 TOOL=wrk|curl)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
TERM_AFTER=${TERM_AFTER:-4}
CONCURRENCY=${CONCURRENCY:-32}
REQUESTS=${REQUESTS:-3000}
PORT=${PORT:-18766}
SHUTDOWN_TIMEOUT=${SERVER_SHUTDOWN_TIMEOUT:-3}
BATCH=${BATCH:-100}
BASE="http://127.0.0.1:${PORT}"

command -v sqlite3 >/dev/null || { echo "error: sqlite3 is required (apt-get install -y sqlite3)" >&2; exit 1; }

if [ -z "${SKIP_BUILD:-}" ]; then
  echo "==> building the release server"
  cargo build --release -p fba-server --bin fba-server --quiet
fi
BIN="${CARGO_TARGET_DIR:-$(pwd)/target}/release/fba-server"
[ -x "$BIN" ] || { echo "error: $BIN not found" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "==> starting the server on ${BASE} (SQLite in ${WORK})"
(
  cd "$WORK"
  exec env -i PATH="$PATH" HOME="${HOME:-/root}" \
    DATABASE_TYPE=sqlite SQLITE_PATH="$WORK/fba.db" \
    SERVER_HOST=127.0.0.1 SERVER_PORT="$PORT" SERVER_SHUTDOWN_TIMEOUT="$SHUTDOWN_TIMEOUT" \
    LOGIN_CAPTCHA_ENABLED=false LOGIN_RATE_LIMIT_PER_MINUTE=0 \
    OPERA_LOG_QUEUE_BATCH_CONSUME_SIZE="$BATCH" OPERA_LOG_QUEUE_TIMEOUT=60 \
    LOG_STD_LEVEL=info \
    "$BIN"
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fs "${BASE}/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.2
done
curl -fs "${BASE}/health" >/dev/null || { echo "error: server did not come up" >&2; cat "$WORK/server.log" >&2; exit 1; }

TOKEN=$(curl -fs -H 'content-type: application/json' -d '{"username":"admin","password":"123456"}' \
  "${BASE}/api/v1/auth/login" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || { echo "error: login failed" >&2; exit 1; }

TOOL=${TOOL:-$(command -v wrk >/dev/null 2>&1 && echo wrk || echo curl)}
ACKS="$WORK/acks"
mkdir -p "$ACKS"

run_wrk() {
  cat >"$WORK/ids.lua" <<EOF
local paths = {"/api/v1/logs/opera?size=1", "/api/v1/no/such"}
local n, out = 0, nil
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
end
function init(args)
  out = io.open("${ACKS}/wrk." .. tid, "w")
end
function request()
  n = n + 1
  return wrk.format("GET", paths[n % 2 + 1], {["Authorization"] = "Bearer ${TOKEN}"})
end
function response(status, headers, body)
  local id = headers["x-request-id"] or headers["X-Request-ID"] or "-"
  out:write(status, " ", id, "\n")
  out:flush()
end
EOF
  echo "==> wrk: ${CONCURRENCY} connections for ${DURATION}s; SIGTERM after ${TERM_AFTER}s"
  wrk -t2 -c"$CONCURRENCY" -d"${DURATION}s" --timeout 10s -s "$WORK/ids.lua" "$BASE" \
    >"$WORK/wrk.out" 2>&1 &
  local load=$!
  sleep "$TERM_AFTER"
  term_server
  wait "$load" || true
  sed -n '1,20p' "$WORK/wrk.out" | sed 's/^/    wrk| /'
}

run_curl() {
  echo "==> curl: ${REQUESTS} requests, ${CONCURRENCY} at a time; SIGTERM after ${TERM_AFTER}s"
  export BASE TOKEN
  seq 1 "$REQUESTS" | xargs -P "$CONCURRENCY" -I{} sh -c '
    id=$(cat /proc/sys/kernel/random/uuid | tr -d -)
    if [ $(({} % 2)) -eq 0 ]; then p="/api/v1/logs/opera?size=1"; else p="/api/v1/no/such"; fi
    code=$(curl -s -o /dev/null -m 10 -w "%{http_code}" -H "X-Request-ID: $id" \
      -H "Authorization: Bearer $TOKEN" "$BASE$p")
    echo "$code $id"' >"$ACKS/curl" 2>/dev/null &
  local load=$!
  sleep "$TERM_AFTER"
  term_server
  wait "$load" || true
}

term_server() {
  AT_TERM=$(sqlite3 -cmd '.timeout 5000' "$WORK/fba.db" "SELECT count(*) FROM sys_opera_log;" 2>/dev/null || echo '?')
  echo "==> SIGTERM to the server (pid ${SERVER_PID}); rows already written: ${AT_TERM}"
  kill -TERM "$SERVER_PID"
}

case $TOOL in
  wrk) run_wrk ;;
  *) run_curl ;;
esac
# The server exits by itself once the queue is flushed.
STATUS=0
wait "$SERVER_PID" || STATUS=$?
SERVER_PID=""
echo "==> server exited with status ${STATUS}"
sed 's/\x1b\[[0-9;]*m//g' "$WORK/server.log" | grep -E "SIGTERM|graceful|opera log" |
  sed 's/^/    server| /' || true

# Acknowledged = a response (2xx or 4xx) reached the client.
cat "$ACKS"/* | awk '$1 ~ /^[24][0-9][0-9]$/ {print $2}' | sort -u >"$WORK/acked.ids"
ACKED=$(wc -l <"$WORK/acked.ids")
OTHER=$(cat "$ACKS"/* | awk '$1 !~ /^[24][0-9][0-9]$/' | wc -l)
sqlite3 "$WORK/fba.db" "SELECT trace_id FROM sys_opera_log;" | sort -u >"$WORK/rows.ids"
ROWS=$(sqlite3 "$WORK/fba.db" "SELECT count(*) FROM sys_opera_log;")
MISSING=$(comm -23 "$WORK/acked.ids" "$WORK/rows.ids" | wc -l)
EXTRA=$(comm -13 "$WORK/acked.ids" "$WORK/rows.ids" | wc -l)

echo
echo "acknowledged responses (2xx/4xx): ${ACKED}"
echo "rows in sys_opera_log:            ${ROWS}"
echo "acknowledged without a row:       ${MISSING}"
echo "rows without an acknowledgement:  ${EXTRA} (login, or responses cut off by the shutdown)"
echo "requests without a response:      ${OTHER} (curl only: refused after the stop)"
[ "$MISSING" -eq 0 ] || { echo "FAIL: ${MISSING} acknowledged requests lost their row" >&2; exit 1; }
echo "OK: every acknowledged request has its row"
