"""Shared plumbing for the benchmarks: processes, load generation, floors, results."""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PG_ADMIN_URL = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_BENCH_DB = "genfans_bench"
# Media, the SQLite file and scratch files of a run live here, never in the checkout's var/.
BENCH_DIR = Path(os.environ.get("BENCH_DIR", "/tmp/genfans-bench"))


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    floor_name: str = ""
    floor_value: float | None = None
    target: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.floor_value:
            return None
        return self.value / self.floor_value


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pg_url(dbname: str = PG_BENCH_DB) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + dbname


def pg_recreate(dbname: str = PG_BENCH_DB) -> str:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{dbname}"')
    return pg_url(dbname)


def pg_commits(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
        return int(row[0])


def app_env(database_url: str | None, **extra: str) -> dict:
    env = {
        **os.environ,
        "DEBUG": "false",
        "AUTH_SECRET": "benchmark-secret-not-for-production-0123456789",
        "BASE_URL": extra.pop("BASE_URL", "http://127.0.0.1:8000"),
        "SANDBOX_LATENCY_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "BENCH_DIR": str(BENCH_DIR),
        **extra,
    }
    env.pop("DATABASE_URL", None)
    env.pop("POSTGRES_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def genfans(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "genfans.cli", *args],
        env=env,
        cwd=ROOT,
        check=check,
        capture_output=True,
        text=True,
    )


def run_python(env: dict, script: Path, *args: str) -> dict:
    """Run a helper script inside the app (django.setup()) and parse its JSON output."""
    out = subprocess.run(
        [sys.executable, str(script), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(f"{script.name} {' '.join(args)} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextmanager
def process(env: dict, *args: str, name: str):
    """A genfans subprocess in its own process group, stopped (and reaped) on exit."""
    log = open(RESULTS / f"{name}.log.tmp", "w")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        [sys.executable, "-m", "genfans.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def wait_http(url: str, timeout: float = 30.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready in {timeout}s")


def tree_peak_rss_kib(root_pid: int) -> dict[int, int]:
    """Peak resident set (VmHWM) of a process and its descendants, by pid."""
    peaks: dict[int, int] = {}
    pending = [root_pid]
    while pending:
        pid = pending.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            peaks[pid] = int(match.group(1))
        pending.extend(int(child) for child in children)
    return peaks


def wrk(url: str, *, connections: int, seconds: int, key: str = "", body: str = "") -> dict:
    """Closed-loop load from a separate process (wrk), bounded by time."""
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: run `make bench` (it installs Debian's wrk)")
    threads = min(2, connections)
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(ROOT / "benchmarks" / "report.lua"),
            url,
        ],
        env={**os.environ, "BENCH_KEY": key, "BENCH_BODY": body},
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )
    line = next(x for x in out.stdout.splitlines() if x.startswith("JSON "))
    data = json.loads(line[5:])
    # A figure made of error answers measures the error path: refuse it rather than print it.
    if data["non_2xx"] or data["socket_errors"]:
        raise RuntimeError(
            f"{url}: {data['non_2xx']} non-2xx answers and {data['socket_errors']} socket errors "
            f"in {data['requests']} requests"
        )
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    data["p50_ms"] = data["p50_us"] / 1000
    data["p99_ms"] = data["p99_us"] / 1000
    return data


def pgbench(url: str, script: str, *, clients: int, seconds: int, init_sql: str = "") -> dict:
    """Commit rate of a custom pgbench script on the same database."""
    if init_sql:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(init_sql)
    path = RESULTS / "pgbench.sql.tmp"
    path.write_text(script)
    out = subprocess.run(
        [
            "pgbench",
            "-n",
            "-c",
            str(clients),
            "-j",
            str(min(clients, 2)),
            "-T",
            str(seconds),
            "-f",
            str(path),
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + 30,
    )
    tps = float(re.search(r"tps = ([\d.]+)", out.stdout).group(1))
    return {"tps": tps}


def write_results(figures: list[Figure], meta: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    path = RESULTS / f"bench-{stamp}.json"
    payload = {
        "meta": meta,
        "figures": [{**asdict(f), "ratio": f.ratio} for f in figures],
    }
    path.write_text(json.dumps(payload, indent=2))
    (RESULTS / "latest.json").write_text(json.dumps(payload, indent=2))
    return path


def table(figures: list[Figure]) -> str:
    """The figures as a Markdown table (printed by `make bench`, pasted in the README)."""
    lines = [
        "| benchmark | value | floor | floor value | ratio | target |",
        "| --- | ---: | --- | ---: | ---: | --- |",
    ]
    for f in figures:
        floor = "" if f.floor_value is None else f"{f.floor_value:,.1f}"
        ratio = "" if f.ratio is None else f"{f.ratio:.0%}"
        lines.append(
            f"| {f.name} | {f.value:,.1f} {f.unit} | {f.floor_name} | {floor} | {ratio} "
            f"| {f.target} |"
        )
    return "\n".join(lines)


def print_table(figures: list[Figure]) -> None:
    print(table(figures))
