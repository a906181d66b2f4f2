#!/usr/bin/env bash
# Property-based fuzzing of every documented route with schemathesis (PyPI), against the
# release server: fails when any generated request gets a 5xx. Not part of CI (it installs
# schemathesis and runs for a minute or two); run it after changing handlers or schemas.
#
#   scripts/fuzz-api.sh            # SQLite + in-process store
#   scripts/fuzz-api.sh postgres   # PostgreSQL + Redis on their default local ports
#
# Env: FUZZ_EXAMPLES (60 per operation), FUZZ_PORT (18800).
# Routes that end the fuzzer's own session (logout, refresh, password changes, kick-outs) are
# left out so the token stays valid for the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-sqlite}
PORT=${FUZZ_PORT:-18800}
BASE="http://127.0.0.1:${PORT}"
command -v st >/dev/null || python3 -m pip install --quiet schemathesis
cargo build --release -p fba-server --quiet

WORK=$(mktemp -d)
cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  if [ "$MODE" = postgres ]; then psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS fba_fuzz WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ENVS=(SERVER_PORT="$PORT" LOG_STD_LEVEL=warn LOGIN_CAPTCHA_ENABLED=false LOGIN_RATE_LIMIT_PER_MINUTE=0
      CAPTCHA_RATE_LIMIT_PER_30S=0 SQLITE_PATH="$WORK/fba.db")
if [ "$MODE" = postgres ]; then
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS fba_fuzz WITH (FORCE)" -c "CREATE DATABASE fba_fuzz" >/dev/null
  ENVS+=(DATABASE_URL=postgres://postgres@127.0.0.1:5432/fba_fuzz REDIS_URL=redis://127.0.0.1:6379/0
         REDIS_KEY_NAMESPACE="fuzz:$$:")
fi
BIN="$PWD/target/release/fba-server"
(cd "$WORK" && exec env "${ENVS[@]}" "$BIN" >"$WORK/server.log" 2>&1) &
PID=$!
for _ in $(seq 1 100); do curl -fs "$BASE/health" >/dev/null 2>&1 && break; sleep 0.1; done
TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
  -d '{"username":"admin","password":"123456"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
[ -n "$TOKEN" ] || { echo "login failed" >&2; cat "$WORK/server.log" >&2; exit 1; }

st run "$BASE/openapi" --url "$BASE" -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error --max-examples "${FUZZ_EXAMPLES:-60}" --workers 2 --request-timeout 10 \
  --exclude-path-regex 'logout|password|/monitors/online|/auth/refresh'
