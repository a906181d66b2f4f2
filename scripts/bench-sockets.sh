#!/usr/bin/env bash
# Opens BENCH_SOCKETS (10 000) idle authenticated Socket.IO sockets against a release server with
# the real socket.io-client (FBA's UI's), and prints the server's RSS idle, with the sockets open,
# and after they closed, plus how long opening them took.
#
#   scripts/bench-sockets.sh            # SQLite + in-process store
#   scripts/bench-sockets.sh postgres   # PostgreSQL + Redis on their default local ports
#
# Needs Node.js with npm, curl and, for `postgres`, psql. Every socket uses the admin's one
# session (a session may have many sockets), as a UI open in many tabs would.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-sqlite}
N=${BENCH_SOCKETS:-10000}
PORT=${BENCH_PORT:-18610}
CONCURRENCY=${BENCH_CONCURRENCY:-200}
SIO=apps/server/tests/support/socketio-client
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ -d "$SIO/node_modules" ] || npm ci --prefix "$SIO" --no-audit --no-fund --silent
# Room for every socket (plus the HTTP calls) under both caps.
export WS_MAX_SOCKETS=$((N + 1000)) SERVER_MAX_CONNECTIONS=$((N + 1000))
# shellcheck source=lib/serve.sh
. scripts/lib/serve.sh
serve_release "$MODE" "$PORT" fba_bench_sockets
SERVER_PID=$PID
rss() { awk '/VmRSS/ {printf "%.1f MB", $2/1024}' "/proc/$SERVER_PID/status"; }
hwm() { awk '/VmHWM/ {printf "%.1f MB", $2/1024}' "/proc/$SERVER_PID/status"; }
SESSION=$(node -e 'const p = process.argv[1].split(".")[1]; console.log(JSON.parse(Buffer.from(p, "base64url")).session_uuid)' "$TOKEN")

sleep 1
echo "mode: $MODE   sockets: $N   idle RSS: $(rss)"
coproc CLIENTS { exec node "$SIO/bench.js" "$BASE" "$TOKEN" "$SESSION" "$N" "$CONCURRENCY"; }
CLIENTS_PID=$CLIENTS_PID
READY=
while IFS= read -r line <&"${CLIENTS[0]}"; do
  case $line in
    *'"ready"'*) READY=$line; break ;;
    *'"error"'*) echo "  client: $line" ;;
  esac
done
echo "opened: $READY"
sleep 3
status=$(curl -fs "$BASE/api/v1/monitors/sessions" -H "Authorization: Bearer $TOKEN" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).data.find(x=>x.session_uuid===process.argv[1]);console.log(r?r.status:"missing")})' "$SESSION")
echo "with the sockets open: RSS $(rss)   peak $(hwm)   session status: $status"
# Closing the client's stdin closes its sockets.
exec {CLIENTS[1]}>&-
while IFS= read -r line <&"${CLIENTS[0]}"; do
  case $line in *'"closed"'*) break ;; esac
done
wait "$CLIENTS_PID" 2>/dev/null || true
sleep 3
status=$(curl -fs "$BASE/api/v1/monitors/sessions" -H "Authorization: Bearer $TOKEN" |
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).data.find(x=>x.session_uuid===process.argv[1]);console.log(r?r.status:"missing")})' "$SESSION")
echo "after they closed: RSS $(rss)   session status: $status"
