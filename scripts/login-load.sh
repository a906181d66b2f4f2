#!/usr/bin/env bash
# Load check of login (not a test): does a storm of logins — bcrypt at cost 12 on the blocking
# pool — leave ordinary authenticated requests fast?
#
# Builds the release server, starts it on a throw-away SQLite database with the captcha and the
# login rate limit off, then for DURATION seconds runs, at the same time:
#   * CONCURRENCY (64) concurrent connections doing POST /api/v1/auth/login (admin / 123456);
#   * a light probe (PROBE_CONNECTIONS = 2) on GET /api/v1/sys/users/me with a token
#     (GET /api/v1/logs/login?size=1 when /me is not there),
# after a probe-only baseline of the same length, and prints req/s and latencies of each.
# Tools, first found: oha, wrk (+ a Lua script for the POST), else curl with xargs -P.
# Traffic goes to 127.0.0.1 only; every loop is bounded by DURATION; the server is stopped on exit.
#
# Usage: scripts/login-load.sh            (env: DURATION=15 CONCURRENCY=64 PORT=18765
#                                           PROBE_CONNECTIONS=2 SKIP_BUILD=1)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15}
CONCURRENCY=${CONCURRENCY:-64}
PROBE_CONNECTIONS=${PROBE_CONNECTIONS:-2}
PORT=${PORT:-18765}
BASE="http://127.0.0.1:${PORT}"
LOGIN_BODY='{"username":"admin","password":"123456"}'

if [ -z "${SKIP_BUILD:-}" ]; then
  echo "==> building the release server"
  cargo build --release -p fba-server --bin fba-server --quiet
fi
BIN="$(pwd)/target/release/fba-server"
[ -x "$BIN" ] || { echo "error: $BIN not found" >&2; exit 1; }

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
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
    SERVER_HOST=127.0.0.1 SERVER_PORT="$PORT" \
    LOGIN_CAPTCHA_ENABLED=false LOGIN_RATE_LIMIT_PER_MINUTE=0 \
    LOG_STD_LEVEL=error \
    "$BIN"
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fs "${BASE}/health" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.2
done
curl -fs "${BASE}/health" >/dev/null || { echo "error: server did not come up" >&2; cat "$WORK/server.log" >&2; exit 1; }

TOKEN=$(curl -fs -H 'content-type: application/json' -d "$LOGIN_BODY" "${BASE}/api/v1/auth/login" |
  sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$TOKEN" ] || { echo "error: login failed" >&2; exit 1; }
PROBE="${BASE}/api/v1/sys/users/me"
if [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$PROBE")" != 200 ]; then
  PROBE="${BASE}/api/v1/logs/login?size=1"
fi
echo "==> probe: GET ${PROBE#"$BASE"}; load: POST /api/v1/auth/login x ${CONCURRENCY} concurrent; ${DURATION}s each phase"

# --- tools ---------------------------------------------------------------------------------------
if command -v oha >/dev/null 2>&1; then TOOL=oha
elif command -v wrk >/dev/null 2>&1; then TOOL=wrk
else TOOL=curl; fi
echo "==> tool: ${TOOL}"

cat >"$WORK/login.lua" <<EOF
wrk.method = "POST"
wrk.body = '${LOGIN_BODY}'
wrk.headers["Content-Type"] = "application/json"
EOF

probe() { # label
  case $TOOL in
    oha) oha --no-tui -z "${DURATION}s" -c "$PROBE_CONNECTIONS" -H "Authorization: Bearer $TOKEN" "$PROBE" ;;
    wrk) wrk -t1 -c"$PROBE_CONNECTIONS" -d"${DURATION}s" --latency -H "Authorization: Bearer $TOKEN" "$PROBE" ;;
    curl) curl_loop "$PROBE_CONNECTIONS" GET ;;
  esac
}

# The login load starts a second before the probe and ends a second after it.
logins() {
  local DURATION=$((DURATION + 2))
  case $TOOL in
    oha) oha --no-tui -z "${DURATION}s" -c "$CONCURRENCY" -m POST -T application/json -d "$LOGIN_BODY" "${BASE}/api/v1/auth/login" ;;
    wrk) wrk -t2 -c"$CONCURRENCY" -d"${DURATION}s" --timeout 30s --latency -s "$WORK/login.lua" "${BASE}/api/v1/auth/login" ;;
    curl) curl_loop "$CONCURRENCY" POST ;;
  esac
}

# curl fallback: N parallel workers, each looping until the deadline; prints req/s and latency
# percentiles from the per-request times.
curl_loop() { # workers, GET|POST
  local workers=$1 method=$2 out="$WORK/times.$method.$$" deadline
  deadline=$(( $(date +%s) + DURATION ))
  : >"$out"
  worker() {
    while [ "$(date +%s)" -lt "$deadline" ]; do
      if [ "$method" = POST ]; then
        curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H 'content-type: application/json' \
          -d "$LOGIN_BODY" "${BASE}/api/v1/auth/login"
      else
        curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $TOKEN" "$PROBE"
      fi
    done
  }
  for _ in $(seq 1 "$workers"); do worker >>"$out" & done
  wait
  sort -k2 -n "$out" | awk -v d="$DURATION" '
    { t[NR]=$2; if ($1 != 200) bad++ }
    END { n=NR; if (n == 0) { print "no requests"; exit }
          printf "requests %d (non-200: %d), %.1f req/s\n", n, bad, n/d
          printf "latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
            t[int(n*0.5)+1]*1000, t[int(n*0.9)>0?int(n*0.9):1]*1000, t[int(n*0.99)>0?int(n*0.99):1]*1000, t[n]*1000 }'
}

echo
echo "==> 1. baseline: probe alone"
probe
echo
echo "==> 2. under load: ${CONCURRENCY} concurrent logins + the probe"
logins >"$WORK/logins.out" 2>&1 &
LOGIN_JOB=$!
sleep 1
probe
wait "$LOGIN_JOB" || true
echo
echo "==> logins"
cat "$WORK/logins.out"
echo
echo "==> server errors during the run: $(grep -c -i error "$WORK/server.log" || true)"
