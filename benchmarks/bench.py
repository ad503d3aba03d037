"""`make bench`: GenFans against its floors on this machine, printed as a table and saved as JSON.

Every figure is measured in the same run as the floor it is compared to. The server is the
production one (`genfans serve`, gunicorn), the workers are `genfans worker` processes, the
database is a dedicated PostgreSQL database (`genfans_bench`, recreated each run), and the load
comes from separate processes on loopback (wrk, pgbench, benchmarks/ledger_load.py), bounded in
count and time.
"""

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psycopg
from harness import (
    BENCH_DIR,
    RESULTS,
    ROOT,
    Figure,
    app_env,
    free_port,
    genfans,
    pg_commits,
    pg_recreate,
    pgbench,
    print_table,
    process,
    run_python,
    tree_peak_rss_kib,
    wait_http,
    write_results,
    wrk,
)

SETUP = ROOT / "benchmarks" / "setup_data.py"
LEDGER_LOAD = ROOT / "benchmarks" / "ledger_load.py"
POLL_TARGET_CLIENTS = 16


def bench_web(env: dict, seconds: int, repeat: int, figures: list[Figure], rss: dict) -> None:
    """Status polling and submission against one `genfans serve`, as deployed: its defaults
    (2 x cores gunicorn workers, 4 threads each)."""
    polling = run_python(env, SETUP, "polling", "200")
    submission = run_python(env, SETUP, "submission")
    port = free_port()
    server_env = {**env, "BASE_URL": f"http://127.0.0.1:{port}"}
    with process(
        server_env,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        name="serve",
    ) as server:
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz")
        job_id = polling["job_id"]
        floor_url = f"{base}/bench/floor/jobs/{job_id}"
        endpoints = (
            ("GET /api/jobs/{id}", f"{base}/api/jobs/{job_id}"),
            ("GET /api/jobs?limit=50", f"{base}/api/jobs?limit=50"),
        )
        # Warm every gunicorn worker (imports, connections, first-request work) on every URL
        # before anything is measured.
        wrk(floor_url, connections=8, seconds=2)
        for _label, url in endpoints:
            wrk(url, connections=8, seconds=2, key=polling["key"])
        for clients in (1, 16, 64):
            # Interleaved and repeated, best run of each kept: on a shared machine a burst of
            # someone else's work should not land on one side of a ratio only.
            runs: dict[str, list[dict]] = {"floor": [], **{label: [] for label, _ in endpoints}}
            for _ in range(repeat):
                runs["floor"].append(wrk(floor_url, connections=clients, seconds=seconds))
                for label, url in endpoints:
                    runs[label].append(
                        wrk(url, connections=clients, seconds=seconds, key=polling["key"])
                    )
            floor = _best(runs["floor"])
            for label, _url in endpoints:
                got = _best(runs[label])
                targeted = clients == POLL_TARGET_CLIENTS and "{id}" in label
                figures.append(
                    Figure(
                        name=f"poll {label} c={clients}",
                        value=got["rps"],
                        unit="req/s",
                        floor_name="bare view, 1 row by pk",
                        floor_value=floor["rps"],
                        target=">= 60% of floor" if targeted else "",
                        extra={**_latency(got), "floor": _latency(floor)},
                    )
                )
                figures.append(
                    Figure(
                        name=f"poll {label} c={clients} p99",
                        value=got["p99_ms"],
                        unit="ms",
                        floor_name="bare view p99",
                        floor_value=floor["p99_ms"],
                        target="<= 25 ms" if targeted else "",
                        extra={"p50_ms": got["p50_ms"], "floor_p50_ms": floor["p50_ms"]},
                    )
                )

        clients = 16
        floor = wrk(
            f"{base}/bench/floor/generate",
            connections=clients,
            seconds=seconds,
            key=submission["keys"]["floor"],
            body=submission["body"],
        )
        got = wrk(
            f"{base}/api/generate",
            connections=clients,
            seconds=seconds,
            key=submission["keys"]["api"],
            body=submission["body"],
        )
        figures.append(
            Figure(
                name=f"submit POST /api/generate c={clients}",
                value=got["rps"],
                unit="req/s",
                floor_name="same transaction, 1 SQL round trip",
                floor_value=floor["rps"],
                extra={**_latency(got), "floor": _latency(floor)},
            )
        )
        figures.append(
            Figure(
                name=f"submit POST /api/generate c={clients} p99",
                value=got["p99_ms"],
                unit="ms",
                floor_name="raw SQL view p99",
                floor_value=floor["p99_ms"],
            )
        )
        rss["web"] = max(_children_peaks(server.pid))


def _best(results: list[dict]) -> dict:
    best = max(results, key=lambda r: r["rps"])
    return {**best, "all_rps": [round(r["rps"], 1) for r in results]}


def _latency(result: dict) -> dict:
    return {
        "p50_ms": round(result["p50_ms"], 2),
        "p99_ms": round(result["p99_ms"], 2),
        "requests": result["requests"],
        "all_rps": result.get("all_rps"),
        "non_2xx": result["non_2xx"],
        "socket_errors": result["socket_errors"],
    }


def _children_peaks(root_pid: int) -> list[int]:
    """Peak RSS of the processes doing the work: the children of a supervisor (gunicorn's
    arbiter, `worker --processes N`), or the process itself when it has none."""
    peaks = tree_peak_rss_kib(root_pid)
    children = {pid: kib for pid, kib in peaks.items() if pid != root_pid}
    return list((children or peaks).values())


class JobCounter:
    """Counts unfinished pipeline jobs with one connection, outside the app."""

    def __init__(self, database_url: str | None, prefix: str) -> None:
        self.prefix = prefix
        self.queries = 0
        if database_url:
            self.conn = psycopg.connect(database_url, autocommit=True)
            self.sql = (
                "SELECT count(*) FROM studio_job j JOIN teams_team t ON t.id = j.team_id "
                "WHERE t.name LIKE %s AND j.status IN ('queued', 'running')"
            )
        else:
            self.conn = sqlite3.connect(BENCH_DIR / "bench.sqlite3", timeout=30)
            self.sql = (
                "SELECT count(*) FROM studio_job j JOIN teams_team t ON t.id = j.team_id "
                "WHERE t.name LIKE ? AND j.status IN ('queued', 'running')"
            )

    def unfinished(self) -> int:
        self.queries += 1
        return self.conn.execute(self.sql, (self.prefix + "%",)).fetchone()[0]

    def close(self) -> None:
        self.conn.close()


def bench_pipeline(
    env: dict,
    database_url: str | None,
    *,
    run: int,
    workers: int,
    jobs: int,
    teams: int,
    timeout: float,
) -> dict:
    """Submit `jobs` (no worker running), then start `workers` worker processes and time the
    queue draining: jobs/s from the first job started to the last one finished."""
    info = run_python(env, SETUP, "pipeline", str(run), str(jobs), str(teams))
    counter = JobCounter(database_url, info["prefix"])
    commits_before = pg_commits(database_url) if database_url else None
    began = time.monotonic()
    args = ["worker"] + (["--processes", str(workers)] if workers > 1 else [])
    with process(env, *args, name=f"worker-{run}") as worker:
        while counter.unfinished() and time.monotonic() - began < timeout:
            time.sleep(0.25)
        wall = time.monotonic() - began
        peaks = _children_peaks(worker.pid)
    counter.close()
    commits = None
    if database_url:
        time.sleep(0.6)  # ended backends flush their statistics
        # The counter's own queries and the two reads of the statistics are commits too.
        commits = pg_commits(database_url) - commits_before - counter.queries - 1
    status = run_python(env, SETUP, "pipeline_status", str(run))
    done = status["by_status"].get("succeeded", 0)
    span = status["span_seconds"] or wall
    return {
        "workers": workers,
        "jobs": jobs,
        "teams": teams,
        "succeeded": done,
        "by_status": status["by_status"],
        "audit_problems": status["audit_problems"],
        "span_seconds": round(span, 2),
        "wall_seconds_with_startup": round(wall, 2),
        "jobs_per_second": done / span if span else 0.0,
        "commits": commits,
        "commits_per_job": commits / jobs if commits is not None else None,
        "worker_peak_rss_kib": max(peaks) if peaks else 0,
    }


COMMIT_FLOOR_SCRIPT = "INSERT INTO bench_commits (at) VALUES (now());\n"
COMMIT_FLOOR_INIT = (
    "CREATE TABLE IF NOT EXISTS bench_commits (id bigserial PRIMARY KEY, at timestamptz)"
)


def bench_pipelines_pg(
    env: dict, database_url: str, args, figures: list[Figure], rss: dict, runs: list
) -> None:
    for run, workers in enumerate(args.workers, start=1):
        result = bench_pipeline(
            env,
            database_url,
            run=run,
            workers=workers,
            jobs=args.jobs,
            teams=args.teams,
            timeout=args.pipeline_timeout,
        )
        floor = pgbench(
            database_url,
            COMMIT_FLOOR_SCRIPT,
            clients=workers,
            seconds=args.seconds,
            init_sql=COMMIT_FLOOR_INIT,
        )
        result["pgbench_tps"] = floor["tps"]
        runs.append(result)
        per_job = result["commits_per_job"] or 1
        figures.append(
            Figure(
                name=f"pipeline PostgreSQL, {workers} worker process(es)",
                value=result["jobs_per_second"],
                unit="jobs/s",
                floor_name=f"pgbench commits/s (c={workers}) / commits per job",
                floor_value=floor["tps"] / per_job,
                target=">= 50 jobs/s" if workers == 2 else "",
                extra=result,
            )
        )
        figures.append(
            Figure(
                name=f"pipeline PostgreSQL, {workers} worker(s): commits/job",
                value=per_job,
                unit="",
                floor_name=f"pgbench commits/s (c={workers})",
                floor_value=None,
                extra={"pgbench_tps": floor["tps"]},
            )
        )
        rss["queue"] = max(rss.get("queue", 0), result["worker_peak_rss_kib"])


def sqlite_commit_floor(seconds: float) -> float:
    """Single-row commits/s on a file with the app's pragmas (WAL, synchronous=NORMAL)."""
    path = BENCH_DIR / "floor.sqlite3"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE bench_commits (id INTEGER PRIMARY KEY, at REAL)")
    count, began = 0, time.monotonic()
    while time.monotonic() - began < seconds:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO bench_commits (at) VALUES (?)", (time.time(),))
        conn.execute("COMMIT")
        count += 1
    conn.close()
    return count / (time.monotonic() - began)


def bench_sqlite(args, figures: list[Figure], runs: list, pg_commits_per_job: float | None):
    (BENCH_DIR / "bench.sqlite3").unlink(missing_ok=True)
    env = app_env(None)
    genfans(env, "migrate", "--no-input")
    genfans(env, "seed")
    floor_tps = sqlite_commit_floor(args.seconds)
    for index, workers in enumerate(args.sqlite_workers, start=1):
        result = bench_pipeline(
            env,
            None,
            run=100 + index,
            workers=workers,
            jobs=args.sqlite_jobs,
            teams=args.teams,
            timeout=args.pipeline_timeout,
        )
        result["sqlite_commit_floor"] = floor_tps
        runs.append({"database": "sqlite", **result})
        figures.append(
            Figure(
                name=f"pipeline SQLite (embedded), {workers} worker process(es)",
                value=result["jobs_per_second"],
                unit="jobs/s",
                floor_name="sqlite commits/s / PostgreSQL commits per job",
                floor_value=floor_tps / pg_commits_per_job if pg_commits_per_job else None,
                extra=result,
            )
        )


LEDGER_INIT = """
DROP TABLE IF EXISTS bench_balance, bench_ledger;
CREATE TABLE bench_balance (
    id int PRIMARY KEY, available bigint NOT NULL, reserved bigint NOT NULL,
    updated_at timestamptz NOT NULL
);
INSERT INTO bench_balance VALUES (1, 1000000000, 0, now());
CREATE TABLE bench_ledger (
    id uuid PRIMARY KEY, team int NOT NULL, kind text NOT NULL, amount bigint NOT NULL,
    available_after bigint NOT NULL, reserved_after bigint NOT NULL,
    idempotency_key text UNIQUE NOT NULL, created_at timestamptz NOT NULL
);
"""
LEDGER_SCRIPT = """BEGIN;
SELECT available, reserved FROM bench_balance WHERE id = 1 FOR UPDATE;
UPDATE bench_balance SET available = available - 1, reserved = reserved + 1, updated_at = now()
  WHERE id = 1 AND available >= 1;
INSERT INTO bench_ledger
  VALUES (gen_random_uuid(), 1, 'reserve', 1, 0, 0, gen_random_uuid()::text, now());
END;
"""


def bench_ledger(env: dict, database_url: str, args, figures: list[Figure]) -> None:
    # 4 processes x 4 threads, like `genfans serve`: fewer threads per GIL, as in production.
    clients, processes = 16, 4
    info = run_python(env, SETUP, "ledger", str(args.ledger_jobs))
    loads = [
        subprocess.Popen(
            [
                sys.executable,
                str(LEDGER_LOAD),
                info["team_id"],
                info["jobs_file"],
                str(part),
                str(processes),
                str(clients // processes),
                str(args.seconds),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for part in range(processes)
    ]
    results = [
        json.loads(load.communicate(timeout=args.seconds + 120)[0].splitlines()[-1])
        for load in loads
    ]
    ops = sum(r["ops"] for r in results)
    seconds = max(r["seconds"] for r in results)
    floor = pgbench(
        database_url, LEDGER_SCRIPT, clients=clients, seconds=args.seconds, init_sql=LEDGER_INIT
    )
    figures.append(
        Figure(
            name=f"ledger reserve/capture, one team, c={clients}",
            value=ops / seconds,
            unit="tx/s",
            floor_name="pgbench lock-update-insert, one row",
            floor_value=floor["tps"],
            target=">= 30% of floor",
            extra={"ops": ops, "errors": sum(r["errors"] for r in results), "runs": results},
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=4, help="duration of each load run")
    parser.add_argument("--repeat", type=int, default=2, help="polling runs per figure (best kept)")
    parser.add_argument("--jobs", type=int, default=2000, help="pipeline jobs per run")
    parser.add_argument("--teams", type=int, default=100, help="pipeline teams per run")
    parser.add_argument("--workers", default="1,2,4", help="worker processes per run")
    parser.add_argument("--sqlite-jobs", type=int, default=1000)
    parser.add_argument("--sqlite-workers", default="1,2")
    parser.add_argument("--ledger-jobs", type=int, default=20000)
    parser.add_argument("--pipeline-timeout", type=float, default=240)
    parser.add_argument(
        "--only", default="web,pipeline,ledger,sqlite", help="comma-separated benchmark groups"
    )
    args = parser.parse_args()
    args.workers = [int(w) for w in args.workers.split(",") if w]
    args.sqlite_workers = [int(w) for w in args.sqlite_workers.split(",") if w]
    only = set(args.only.split(","))

    RESULTS.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True)
    started = time.monotonic()
    load_before = os.getloadavg()
    database_url = pg_recreate()
    env = app_env(database_url)
    genfans(env, "migrate", "--no-input")
    genfans(env, "seed")

    figures: list[Figure] = []
    rss: dict[str, int] = {}
    runs: list[dict] = []
    if "web" in only:
        bench_web(env, args.seconds, args.repeat, figures, rss)
    if "pipeline" in only:
        bench_pipelines_pg(env, database_url, args, figures, rss, runs)
    if "ledger" in only:
        bench_ledger(env, database_url, args, figures)
    if "sqlite" in only:
        per_job = next((r["commits_per_job"] for r in runs if r.get("workers") == 2), None)
        bench_sqlite(args, figures, runs, per_job)
    for role, kib in rss.items():
        figures.append(Figure(name=f"peak RSS, one {role} worker", value=kib / 1024, unit="MiB"))

    meta = {
        "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cores, "
        f"{platform.platform()}",
        "cpu": _cpu_model(),
        "python": sys.version.split()[0],
        "postgresql": _pg_version(database_url),
        "seconds_per_load_run": args.seconds,
        "polling_repeats": args.repeat,
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "wall_seconds": round(time.monotonic() - started, 1),
        "argv": sys.argv[1:],
    }
    print()
    print_table(figures)
    print(
        f"\nmachine: {meta['machine']}; load average before/after: "
        f"{meta['load_average_before']} / {meta['load_average_after']}; "
        f"wall {meta['wall_seconds']} s"
    )
    print(f"results: {write_results(figures, meta)}")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _pg_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


if __name__ == "__main__":
    main()
