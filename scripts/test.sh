#!/usr/bin/env bash
# The whole fba-rs test suite.
#
# Runs every test of the workspace three times over the same build:
#   1. SQLite + the in-process Kv store (needs no services; always runs);
#   2. PostgreSQL + Redis;
#   3. MariaDB/MySQL + Redis.
# Runs 2 and 3 are skipped with a notice when their services do not answer, except under CI
# (CI=true), where a missing service is a failure. Server addresses can be changed with
# FBA_TEST_POSTGRES_URL, FBA_TEST_MYSQL_URL and FBA_TEST_REDIS_URL.
# The task broker suite (crates/task/tests/api/brokers.rs) also runs against RabbitMQ at
# 127.0.0.1:5672 (guest/guest) in every run: fba-server enables fba-task's `rabbitmq` feature by
# default, so the one build of the workspace has it. It skips RabbitMQ when it does not answer,
# except under CI=true, where that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL=${FBA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
MY_URL=${FBA_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306}
REDIS_URL=${FBA_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}

# host:port of a URL such as scheme://user:pw@host:port/db
hostport() { local rest=${1#*://}; rest=${rest#*@}; echo "${rest%%/*}"; }
answers() { local hp; hp=$(hostport "$1"); timeout 2 bash -c "exec 3<>/dev/tcp/${hp%:*}/${hp##*:}" 2>/dev/null; }

run_suite() {
  local label=$1; shift
  echo "==> tests on ${label}"
  if command -v cargo-nextest >/dev/null 2>&1; then
    env "$@" cargo nextest run --workspace --no-fail-fast --failure-output final
  else
    env "$@" cargo test --workspace --no-fail-fast
  fi
}

need() {
  local what=$1 url=$2
  if answers "$url"; then return 0; fi
  if [ "${CI:-}" = "true" ]; then
    echo "error: ${what} does not answer at $(hostport "$url") (required under CI)" >&2
    exit 1
  fi
  echo "notice: ${what} does not answer at $(hostport "$url"); skipping its run" >&2
  return 1
}

# The official ip2region reader (PyPI py-ip2region) is the peer the xdb cross-check tests run.
if ! python3 -c "import ip2region" 2>/dev/null; then
  echo "==> installing py-ip2region (the official ip2region reader the tests compare against)"
  python3 -m pip install --quiet py-ip2region
fi

# The real npm socket.io-client (the one FBA's UI uses) drives the Socket.IO tests; needs Node.js.
SIO_CLIENT=apps/server/tests/support/socketio-client
if [ ! -d "$SIO_CLIENT/node_modules" ]; then
  echo "==> installing socket.io-client for the Socket.IO tests (npm ci)"
  npm ci --prefix "$SIO_CLIENT" --no-audit --no-fund --silent
fi

# A real Prometheus (the Debian package) scrapes the server in the metrics tests.
if ! command -v prometheus >/dev/null 2>&1 && [ -z "${FBA_TEST_PROMETHEUS:-}" ]; then
  echo "==> installing prometheus (the metrics tests scrape the server with it)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  fi
fi

# bubblewrap is the agent sandbox's first isolation layer (fba-agent's sandbox and end-to-end
# tests run code in it; without it they fall back to Landlock + seccomp).
if ! command -v bwrap >/dev/null 2>&1; then
  echo "==> installing bubblewrap (the agent's sandbox)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap >/dev/null
  fi
fi

run_suite "SQLite + in-process store" -u FBA_TEST_REDIS_URL FBA_TEST_DATABASE=sqlite
# Doc tests are not run by nextest; they do not depend on the backend.
if command -v cargo-nextest >/dev/null 2>&1; then
  echo "==> doc tests"
  cargo test --workspace --doc --quiet
fi
if need Redis "$REDIS_URL"; then
  if need PostgreSQL "$PG_URL"; then
    run_suite "PostgreSQL + Redis" FBA_TEST_DATABASE=postgresql FBA_TEST_POSTGRES_URL="$PG_URL" FBA_TEST_REDIS_URL="$REDIS_URL"
  fi
  if need MariaDB "$MY_URL"; then
    run_suite "MariaDB + Redis" FBA_TEST_DATABASE=mysql FBA_TEST_MYSQL_URL="$MY_URL" FBA_TEST_REDIS_URL="$REDIS_URL"
  fi
fi
echo "==> all test runs passed"
