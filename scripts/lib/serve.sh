# Sourced by the load and fuzz scripts: starts the release server on a throw-away database and
# logs in as admin.
#
#   serve_release MODE PORT DBNAME   # MODE sqlite | postgres; DBNAME: the PostgreSQL database
#   FBA_SERVER_BIN=/path/to/fba-server serve_release …   # run that binary instead of building
#   SERVE_ENV="GRAFANA_METRICS_ENABLE=true …" serve_release …  # extra settings
#
# Sets WORK (temp dir, removed on exit), PID (the server), BASE and TOKEN; installs an EXIT trap
# that stops the server and drops the database. The captcha and the login rate limits are off.

serve_release() {
  SERVE_MODE=$1 SERVE_DB=$3
  local port=$2
  BASE="http://127.0.0.1:${port}"
  # FBA_SERVER_BIN: an already built server (side-by-side runs of two builds); else build it.
  [ -n "${FBA_SERVER_BIN:-}" ] || cargo build --release -p fba-server --quiet
  WORK=$(mktemp -d)
  trap serve_cleanup EXIT
  local envs=(SERVER_PORT="$port" LOG_STD_LEVEL=warn LOGIN_CAPTCHA_ENABLED=false
              LOGIN_RATE_LIMIT_PER_MINUTE=0 CAPTCHA_RATE_LIMIT_PER_30S=0 SQLITE_PATH="$WORK/fba.db")
  # SERVE_ENV: extra VAR=value settings, space separated.
  if [ -n "${SERVE_ENV:-}" ]; then read -r -a extra <<<"$SERVE_ENV"; envs+=("${extra[@]}"); fi
  if [ "$SERVE_MODE" = postgres ]; then
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $SERVE_DB WITH (FORCE)" \
      -c "CREATE DATABASE $SERVE_DB" >/dev/null
    envs+=(DATABASE_URL="postgres://postgres@127.0.0.1:5432/$SERVE_DB"
           REDIS_URL=redis://127.0.0.1:6379/0 REDIS_KEY_NAMESPACE="$SERVE_DB:$$:")
  fi
  local bin="${FBA_SERVER_BIN:-$PWD/target/release/fba-server}"
  (cd "$WORK" && exec env "${envs[@]}" "$bin" >"$WORK/server.log" 2>&1) &
  PID=$!
  for _ in $(seq 1 100); do curl -fs "$BASE/health" >/dev/null 2>&1 && break; sleep 0.1; done
  TOKEN=$(curl -fs -X POST "$BASE/api/v1/auth/login" -H 'content-type: application/json' \
    -d '{"username":"admin","password":"123456"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  [ -n "$TOKEN" ] || { echo "login failed" >&2; cat "$WORK/server.log" >&2; exit 1; }
}

serve_cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  if [ "${SERVE_MODE:-}" = postgres ]; then
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $SERVE_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  rm -rf "${WORK:-/nonexistent}"
}
