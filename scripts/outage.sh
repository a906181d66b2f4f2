#!/usr/bin/env bash
# Fault injection: a PostgreSQL outage under load, against the release server.
#
#   scripts/outage.sh [OUTAGE_SECONDS]      # default 16
#
# Starts a private PostgreSQL cluster (initdb on a free port, run as the postgres user when
# this runs as root) and the release fba-server on it with Redis, then:
#   1. wrk on /api/v1/sys/users/me for 5 s (baseline; each request has its own X-Request-ID);
#   2. stops PostgreSQL (pg_ctl stop -m fast) and, during the outage, wrk on /me again and ten
#      timed GET /api/v1/sys/users (they need the database);
#   3. starts PostgreSQL again, times the recovery of /sys/users, waits for the operation-log
#      spool to drain, and compares the audit rows with the requests answered.
# Prints one summary block; docs/outages.md holds the numbers of a run.
set -euo pipefail
cd "$(dirname "$0")/.."

OUTAGE=${1:-16}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }; }
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
cargo build --release -p fba-server --quiet
BIN="$PWD/target/release/fba-server"

WORK=$(mktemp -d)
chmod 755 "$WORK"
PGPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:${PORT}"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && { mkdir -p "$WORK/pg"; chown postgres:postgres "$WORK/pg"; }
pg_start() { as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -w \
  -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; }
pg_stop() { as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m fast -w stop >/dev/null; }
psql_q() { psql -h 127.0.0.1 -p "$PGPORT" -U postgres -d fba -Atc "$1"; }
cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1 || true
  redis-cli --scan --pattern "outage:$$:*" | xargs -r redis-cli del >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

as_pg "$PGBIN/initdb" -D "$WORK/pg/data" -A trust -U postgres -E UTF8 --no-sync >/dev/null
pg_start
psql -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE fba"

(cd "$WORK" && exec env SERVER_PORT="$PORT" LOG_STD_LEVEL=warn LOGIN_CAPTCHA_ENABLED=false \
  LOGIN_RATE_LIMIT_PER_MINUTE=0 DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/fba" \
  REDIS_URL=redis://127.0.0.1:6379/0 REDIS_KEY_NAMESPACE="outage:$$:" \
  OPERA_LOG_SPOOL_DIR="$WORK/spool" "$BIN" >"$WORK/server.log" 2>&1) &
PID=$!
for _ in $(seq 1 100); do curl -fs "$BASE/health" >/dev/null 2>&1 && break; sleep 0.1; done
TOKEN=$(curl -s -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"123456"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
[ -n "$TOKEN" ] && [ "${#TOKEN}" -lt 2000 ] || { echo "login failed: $TOKEN" >&2; cat "$WORK/server.log" >&2; exit 1; }

cat >"$WORK/rid.lua" <<'LUA'
-- A unique X-Request-ID per request: thread number, start time of the run, counter.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local n = 0
local run = os.time()
request = function()
  n = n + 1
  wrk.headers["X-Request-ID"] = string.format("%04x%012x%016x", tid, run, n)
  return wrk.format()
end
LUA
load() { # seconds run-number -> "requests rps p99"
  wrk -t2 -c32 -d"$1"s --latency -s "$WORK/rid.lua" -H "Authorization: Bearer $TOKEN" \
    "$BASE/api/v1/sys/users/me" >"$WORK/wrk.txt"
  local n rps p99
  n=$(awk '/requests in/ {print $1}' "$WORK/wrk.txt")
  rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")
  p99=$(awk '$1=="99%" {print $2}' "$WORK/wrk.txt")
  echo "$n $rps $p99"
}
timed_users() { curl -s -o /dev/null -w '%{http_code} %{time_total}\n' \
  -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/sys/users"; }

read -r N1 RPS1 P991 < <(load 5 1)
pg_stop
T0=$(date +%s.%N)
USERS_DOWN=$(for _ in $(seq 1 10); do timed_users; done)
read -r N2 RPS2 P992 < <(load $((OUTAGE > 4 ? OUTAGE - 3 : 1)) 2)
HEALTH_DOWN=$(curl -s "$BASE/health")
ELAPSED=$(python3 -c "import time; print(max(0.0, $OUTAGE - (time.time() - $T0)))")
sleep "$ELAPSED"
pg_start
T1=$(date +%s.%N)
until [ "$(timed_users | cut -d' ' -f1)" = 200 ]; do sleep 0.05; done
RECOVERY=$(python3 -c "import time; print(round(time.time() - $T1, 2))")
# The audit rows: every answered request (wrk's, the timed ones, the recovery polls) has one.
for _ in $(seq 1 120); do
  PENDING=$(curl -s "$BASE/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["opera_log"]["pending"])' 2>/dev/null || echo "?")
  [ "$PENDING" = 0 ] && break
  sleep 0.5
done
sleep 1.5
ROWS_ME=$(psql_q "SELECT count(*) FROM sys_opera_log WHERE path = '/api/v1/sys/users/me'")
DUP=$(psql_q "SELECT count(*) FROM (SELECT trace_id FROM sys_opera_log GROUP BY trace_id HAVING count(*) > 1) d")
HEALTH=$(curl -s "$BASE/health")

cat <<EOF
outage: ${OUTAGE} s of PostgreSQL stopped (pg_ctl -m fast), release build, Redis, 2 wrk threads x 32 connections
/me before the outage : ${RPS1} req/s, p99 ${P991} (${N1} requests)
/me during the outage : ${RPS2} req/s, p99 ${P992} (${N2} requests)
GET /sys/users during : $(echo "$USERS_DOWN" | awk '{c[$1]++; if ($2>m) m=$2} END {for (k in c) printf "%s x%d ", k, c[k]; printf "slowest %.3f s", m}')
/health during        : ${HEALTH_DOWN}
recovery after start  : ${RECOVERY} s until GET /sys/users answered 200
audit rows for /me    : ${ROWS_ME} (wrk answered $((N1 + N2)) requests); trace ids with more than one row: ${DUP}
/health after         : ${HEALTH}
EOF
