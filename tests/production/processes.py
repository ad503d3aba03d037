"""`genfans` commands as real processes, the way a deployment starts them: a fresh
GENFANS_HOME (no `.env`, its own `var/`), only the environment given here, output to a log."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Set by `coverage run` (make test), so that the processes are measured too.
COVERAGE_VARIABLES = ("COVERAGE_PROCESS_CONFIG", "COVERAGE_CORE")


def command_env(home: Path, **env: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "GENFANS_HOME": str(home),
        "PYTHONPATH": str(ROOT / "src"),
        "PYTHONUNBUFFERED": "1",
        **{name: os.environ[name] for name in COVERAGE_VARIABLES if name in os.environ},
        **env,
    }


def genfans(home: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run a command to its end; fail with its output if it does not succeed."""
    result = subprocess.run(
        [sys.executable, "-m", "genfans.cli", *args],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"genfans {' '.join(args)}:\n{result.stdout}{result.stderr}"
    return result


def genfans_start(home: Path, *args: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "genfans.cli", *args],
            cwd=home,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def wait_for(condition: Callable[[], object], *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def wait_healthy(base_url: str, process: subprocess.Popen, log: Path) -> None:
    def healthy() -> bool:
        assert process.poll() is None, f"exited {process.returncode}:\n{log.read_text()}"
        try:
            return httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(healthy, timeout=60, what=f"{base_url}/healthz")


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is pid (from /proc, so no psutil is needed)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def is_running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def stop(process: subprocess.Popen) -> None:
    """Teardown: SIGTERM, then SIGKILL for whatever did not stop in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
