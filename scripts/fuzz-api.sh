#!/usr/bin/env bash
# Property-based fuzzing of every documented route with schemathesis (PyPI), against the
# release server: fails when any generated request gets a 5xx. Not part of CI (it installs
# schemathesis and runs for a minute or two); run it after changing handlers or schemas.
#
#   scripts/fuzz-api.sh            # SQLite + in-process store
#   scripts/fuzz-api.sh postgres   # PostgreSQL + Redis on their default local ports
#
# Env: FUZZ_EXAMPLES (60 per operation), FUZZ_PORT (18800).
# Routes that end the fuzzer's own session (logout, refresh, password changes, kick-outs) or take
# the admin's own rights away (`/sys/users/{pk}/permissions` on user 1: every later request is
# 403) are left out so the token stays valid and powerful for the whole run.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-sqlite}
PORT=${FUZZ_PORT:-18800}
command -v st >/dev/null || python3 -m pip install --quiet schemathesis
# shellcheck source=lib/serve.sh
. scripts/lib/serve.sh
serve_release "$MODE" "$PORT" fba_fuzz

st run "$BASE/openapi" --url "$BASE" -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error --max-examples "${FUZZ_EXAMPLES:-60}" --workers 2 --request-timeout 10 \
  --exclude-path-regex 'logout|password|/monitors/online|/auth/refresh|/permissions'
