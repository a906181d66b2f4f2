"""Celery's side of scripts/bench-tasks.sh: the same no-op job measured the way
crates/task/examples/bench_tasks.rs measures fba-rs.

Celery is configured as FBA configures it (app/task/celery.py): results in the SQL database
through Celery's database backend with result_extended and task_track_started, task events on,
Redis or RabbitMQ as the broker. Throughput: BENCH_JOBS jobs are queued, then one worker
(threads pool, BENCH_CONCURRENCY) runs them; the rate is jobs over the time from the first
job's start to the last job's end. Latency: with the worker idle, BENCH_LATENCY_JOBS jobs are
sent BENCH_LATENCY_GAP_MS (50) ms apart and each records the time from its sending to its start. Prints one JSON line.
"""

import json
import os
import subprocess
import sys
import time

import redis
from celery import Celery

BROKER = os.environ.get("BENCH_CELERY_BROKER", "redis://127.0.0.1:6379/5")
BACKEND = os.environ.get(
    "BENCH_CELERY_BACKEND", "db+postgresql+psycopg://postgres@127.0.0.1:5432/fba_bench_celery"
)
STATS_URL = os.environ.get("BENCH_STATS_REDIS", "redis://127.0.0.1:6379/6")
PREFIX = "fba_bench_celery:"

app = Celery("fba_celery", broker=BROKER, backend=BACKEND)
app.conf.update(
    result_extended=True,
    task_track_started=True,
    worker_send_task_events=True,
    task_send_sent_event=True,
    enable_utc=False,
    timezone="Asia/Shanghai",
    broker_connection_retry_on_startup=True,
    result_backend_always_retry=True,
)
stats = redis.Redis.from_url(STATS_URL)


@app.task(name="noop")
def noop(sent=None):
    now = time.time()
    pipe = stats.pipeline()
    pipe.setnx(PREFIX + "first", now)
    if sent is not None:
        pipe.rpush(PREFIX + "lat", (now - sent) * 1000.0)
    pipe.set(PREFIX + "last", time.time())
    pipe.incr(PREFIX + "done")
    pipe.execute()


def done():
    return int(stats.get(PREFIX + "done") or 0)


def wait_done(target, timeout=600):
    deadline = time.time() + timeout
    while done() < target:
        if time.time() > deadline:
            sys.exit(f"celery bench: only {done()} of {target} jobs ran")
        time.sleep(0.002)


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    rank = round(p / 100.0 * (len(values) - 1))
    return values[min(rank, len(values) - 1)]


def main():
    jobs = int(os.environ.get("BENCH_JOBS", "5000"))
    latency_jobs = int(os.environ.get("BENCH_LATENCY_JOBS", "200"))
    gap = int(os.environ.get("BENCH_LATENCY_GAP_MS", "50")) / 1000.0
    concurrency = os.environ.get("BENCH_CONCURRENCY", "16")
    for key in ("first", "last", "done", "lat"):
        stats.delete(PREFIX + key)
    app.control.purge()
    started = time.time()
    for _ in range(jobs):
        noop.apply_async()
    enqueue_rate = jobs / (time.time() - started)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_bench", "worker", "-P", "threads",
         "-c", concurrency, "-l", "warning", "--without-gossip", "--without-mingle"],
        cwd=os.path.dirname(os.path.abspath(__file__)),
    )
    try:
        wait_done(jobs)
        first = float(stats.get(PREFIX + "first"))
        last = float(stats.get(PREFIX + "last"))
        throughput = jobs / (last - first)
        time.sleep(0.5)
        base = done()
        for _ in range(latency_jobs):
            noop.apply_async(kwargs={"sent": time.time()})
            time.sleep(gap)
        wait_done(base + latency_jobs)
        lat = [float(v) for v in stats.lrange(PREFIX + "lat", 0, -1)]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(json.dumps({
        "system": "celery",
        "broker": BROKER.split(":", 1)[0],
        "database": "postgresql",
        "jobs": jobs,
        "concurrency": concurrency,
        "enqueue_per_s": round(enqueue_rate),
        "jobs_per_s": round(throughput),
        "latency_ms_p50": round(percentile(lat, 50), 2),
        "latency_ms_p99": round(percentile(lat, 99), 2),
    }))


if __name__ == "__main__":
    main()
