#!/usr/bin/env bash
# No-op task throughput (jobs/s) and enqueue-to-start latency (p50/p99) of fba-rs on each broker,
# side by side with Celery configured as FBA configures it, on the same machine, PostgreSQL,
# Redis and RabbitMQ.
#
#   scripts/bench-tasks.sh
#
# fba-rs: crates/task/examples/bench_tasks.rs (release build), one worker, results in the SQL
# database (every job writes its STARTED and SUCCESS rows). Celery: scripts/bench/celery_bench.py
# in a venv (target/bench-venv), one worker with the threads pool, results through Celery's
# database backend on PostgreSQL with result_extended and task_track_started (FBA's settings).
# Both use BENCH_CONCURRENCY (16) and BENCH_JOBS (5000). Idle-socket memory is measured by
# scripts/bench-sockets.sh. Needs PostgreSQL, Redis and RabbitMQ on their default local ports.
set -euo pipefail
cd "$(dirname "$0")/.."

export BENCH_JOBS=${BENCH_JOBS:-5000} BENCH_LATENCY_JOBS=${BENCH_LATENCY_JOBS:-200}
# Latency jobs are sent this far apart: 20 jobs/s, under every system's capacity, so the
# latency is a job's wait on an idle worker, not a backlog.
export BENCH_LATENCY_GAP_MS=${BENCH_LATENCY_GAP_MS:-50}
export BENCH_CONCURRENCY=${BENCH_CONCURRENCY:-16}
PG=${FBA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}
REDIS=${FBA_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
VENV=target/bench-venv

echo "==> building the fba-rs bench (release)" >&2
cargo build --release --quiet -p fba-task --features rabbitmq --example bench_tasks
BENCH=target/release/examples/bench_tasks

if [ ! -x "$VENV/bin/celery" ]; then
  echo "==> installing Celery into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet -r scripts/bench/requirements.txt
fi
"$VENV/bin/python" - <<'PY'
import psycopg
with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
    if not c.execute("SELECT 1 FROM pg_database WHERE datname = 'fba_bench_celery'").fetchone():
        c.execute("CREATE DATABASE fba_bench_celery")
PY

ROWS=()
fba() { # broker database
  local out
  out=$(env BENCH_BROKER="$1" FBA_TEST_DATABASE="$2" FBA_TEST_POSTGRES_URL="$PG" \
        FBA_TEST_REDIS_URL="$([ "$2" = sqlite ] && [ "$1" = database ] && echo "" || echo "$REDIS")" \
        "$BENCH" | grep '^{' | tail -n 1)
  echo "$out" >&2
  ROWS+=("$out")
}
celery() { # broker url
  local out
  out=$(cd scripts/bench && env BENCH_CELERY_BROKER="$1" "../../$VENV/bin/python" celery_bench.py | grep '^{' | tail -n 1)
  echo "$out" >&2
  ROWS+=("$out")
}

fba database sqlite
fba database postgresql
fba redis postgresql
fba rabbitmq postgresql
celery redis://127.0.0.1:6379/5
celery amqp://guest:guest@127.0.0.1:5672//

echo
printf '%s\n' "${ROWS[@]}" | python3 -c '
import json, sys
print("| system | broker | results in | jobs/s | enqueue/s | enqueue→start p50 | p99 |")
print("|---|---|---|---|---|---|---|")
for line in sys.stdin:
    if not line.strip():
        continue
    r = json.loads(line)
    print("| {system} | {broker} | {database} | {jobs_per_s:.0f} | {enqueue_per_s:.0f} | {latency_ms_p50} ms | {latency_ms_p99} ms |".format(**r))
'
