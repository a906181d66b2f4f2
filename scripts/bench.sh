#!/usr/bin/env bash
# Benchmarks fba-rs the way ../shared/spec/fba-baseline.md measured FBA: wrk on loopback,
# 2 threads, 64 connections, 2 s warm-up + 10 s measured per endpoint, token from one login.
#
#   scripts/bench.sh            # SQLite + in-process store (embedded defaults)
#   scripts/bench.sh postgres   # PostgreSQL + Redis on their default local ports
#   FBA_SERVER_BIN=… BENCH_LOGIN=0 scripts/bench.sh postgres   # a given build, read rows only
#   BENCH_TELEMETRY=metrics scripts/bench.sh   # with /metrics recording (GRAFANA_METRICS_ENABLE)
#   BENCH_TELEMETRY=otel scripts/bench.sh      # and traces/logs/metrics exported over OTLP to a
#                                              # local receiver (the otlp_sink example)
#
# Prints one line per endpoint (req/s, p50, p99, non-2xx), the server's RSS (idle and peak) and
# a ceiling row: a bare actix-web handler returning a constant JSON body (the ceiling example,
# same framework build and worker count), measured the same way in the same run.
# Needs wrk (Debian package `wrk`), curl and, for `postgres`, psql.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-sqlite}
PORT=${BENCH_PORT:-18600}
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
CONNS=${BENCH_CONNECTIONS:-64}
command -v wrk >/dev/null || { echo "wrk is required (apt-get install -y wrk)" >&2; exit 1; }
# The ceiling and the OTLP receiver are examples of the server crate.
cargo build --release -p fba-server --examples --quiet
SINK_PID=
case "${BENCH_TELEMETRY:-off}" in
  off) ;;
  metrics) SERVE_ENV="GRAFANA_METRICS_ENABLE=true GRAFANA_OTLP_GRPC_ENDPOINT=" ;;
  otel)
    SINK_PORT=$((PORT + 2))
    target/release/examples/otlp_sink "$SINK_PORT" >/dev/null 2>&1 &
    SINK_PID=$!
    SERVE_ENV="GRAFANA_METRICS_ENABLE=true GRAFANA_OTLP_GRPC_ENDPOINT=http://127.0.0.1:$SINK_PORT"
    ;;
  *) echo "BENCH_TELEMETRY is off, metrics or otel" >&2; exit 2 ;;
esac
export SERVE_ENV
# shellcheck source=lib/serve.sh
. scripts/lib/serve.sh
serve_release "$MODE" "$PORT" fba_bench
SERVER_PID=$PID
rss() { awk '/VmRSS/ {print $2/1024 " MB"}' "/proc/$SERVER_PID/status"; }
hwm() { awk '/VmHWM/ {print $2/1024 " MB"}' "/proc/$SERVER_PID/status"; }
# CPU time a process has used (user + system, clock ticks): the work per request is read from
# it, apart from what wrk and, with otel, the receiver spend on the same cores.
cpu_ticks() { [ -r "/proc/$1/stat" ] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
TICK=$(getconf CLK_TCK)
echo "mode: $MODE   telemetry: ${BENCH_TELEMETRY:-off}   idle RSS: $(rss)"

LOGIN='{"username":"admin","password":"123456"}'
echo 'wrk.method = "POST"' >"$WORK/post.lua"
cat >"$WORK/login.lua" <<LUA
wrk.method = "POST"
wrk.body = '$LOGIN'
wrk.headers["Content-Type"] = "application/json"
LUA

# Like the FBA baseline's script: before each endpoint, wait until the server answers 3 probes
# in under 0.3 s each, and give the database a moment to absorb the previous endpoint's
# operation-log rows (they are written behind the replies).
settle() {
  sleep "${BENCH_SETTLE:-2}"
  local ok=0
  for _ in $(seq 1 100); do
    t=$(curl -s -o /dev/null -w '%{time_total}' "$BASE/health") || t=1
    if awk -v t="$t" 'BEGIN { exit !(t < 0.3) }'; then ok=$((ok + 1)); else ok=0; fi
    [ "$ok" -ge 3 ] && return 0
    sleep 0.1
  done
}

# Logins queue behind bcrypt: wait until one answers in under a second (no earlier login is
# still queued) before measuring the next login row.
settle_logins() {
  for _ in $(seq 1 60); do
    t=$(curl -s -o /dev/null -w '%{time_total}' -X POST "$BASE/api/v1/auth/login/swagger?username=admin&password=123456") || t=9
    awk -v t="$t" 'BEGIN { exit !(t < 1) }' && return 0
    sleep 1
  done
}

run() { # name path [extra wrk args...]
  local name=$1 path=$2; shift 2
  settle
  case "$name" in
    login*) settle_logins ;; # no warm-up: its queued logins would eat the measured window
    *) wrk -t2 -c"$CONNS" -d"$WARMUP" --timeout 30s "$@" "$BASE$path" >/dev/null 2>&1 || true ;;
  esac
  local out cpu0 sink0
  cpu0=$(cpu_ticks "$SERVER_PID")
  sink0=$(cpu_ticks "${SINK_PID:-0}")
  out=$(wrk -t2 -c"$CONNS" -d"$DURATION" --timeout 30s --latency "$@" "$BASE$path" 2>&1)
  local rps p50 p99 non2xx reqs cpu sink
  reqs=$(awk '/requests in/ {print $1}' <<<"$out")
  # Microseconds of the server's CPU per request (and of the OTLP receiver's, with otel).
  cpu=$(awk -v a="$cpu0" -v b="$(cpu_ticks "$SERVER_PID")" -v n="${reqs:-0}" -v t="$TICK" \
    'BEGIN { if (n > 0) printf "%.1f", (b - a) / t * 1e6 / n; else print "-" }')
  sink=$(awk -v a="$sink0" -v b="$(cpu_ticks "${SINK_PID:-0}")" -v n="${reqs:-0}" -v t="$TICK" \
    'BEGIN { if (n > 0 && b > a) printf " sink %.1f", (b - a) / t * 1e6 / n }')
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  printf '%-12s %-40s %10s req/s  p50 %-9s p99 %-9s non-2xx %-8s RSS %-10s CPU µs/req %s%s\n' \
    "$name" "$path" "$rps" "$p50" "$p99" "${non2xx:-0}" "$(rss)" "$cpu" "$sink"
}

AUTH=(-H "Authorization: Bearer $TOKEN")
run me /api/v1/sys/users/me "${AUTH[@]}"
run users_page "/api/v1/sys/users?page=1&size=20" "${AUTH[@]}"
run sidebar /api/v1/sys/menus/sidebar "${AUTH[@]}"
run unauth_401 /api/v1/sys/users/me
if [ "${BENCH_LOGIN:-1}" != 0 ]; then # BENCH_LOGIN=0: the read rows only
  # Login is bcrypt-bound (cost 12): fewer connections, as many hashes as the blocking pool allows.
  CONNS=16 run login /api/v1/auth/login -s "$WORK/login.lua"
  # FBA's baseline row `login_swagger`: the same password check with query-string credentials, 64
  # connections.
  run login_swagger "/api/v1/auth/login/swagger?username=admin&password=123456" -s "$WORK/post.lua"
fi
echo "peak RSS: $(hwm)   RSS now: $(rss)"
if [ "${BENCH_TELEMETRY:-off}" = otel ]; then
  # In this mode the stdout log carries every access line: it goes to the server log file.
  [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
fi

# The ceiling: the framework alone, after the server is stopped (the same cores are free).
kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
PID=
CEILING_PORT=$((PORT + 1))
target/release/examples/ceiling "$CEILING_PORT" &
CEILING_PID=$!
trap 'kill $CEILING_PID 2>/dev/null; serve_cleanup' EXIT
BASE="http://127.0.0.1:$CEILING_PORT"
for _ in $(seq 1 100); do curl -fs "$BASE/ceiling" >/dev/null 2>&1 && break; sleep 0.1; done
SERVER_PID=$CEILING_PID
run ceiling /ceiling
