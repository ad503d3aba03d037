"""`genfans` commands as real processes, the way a deployment starts them: a fresh
GENFANS_HOME (no `.env`, its own `var/`), only the environment given here, output to a log."""

import email
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from email import policy
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


class Deployment:
    """HTTP to the served app; every answer is checked for 5xx."""

    def __init__(self, base_url: str, worker_log: Path) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=15)
        self.worker_log = worker_log

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        csrf = self.http.cookies.get("csrftoken")
        headers = {"X-CSRFToken": csrf} if csrf else {}
        response = self.http.request(
            method, path, headers=headers | kwargs.pop("headers", {}), **kwargs
        )
        assert response.status_code < 500, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response

    def emailed_link(self, pattern: str, count: int) -> re.Match:
        """The count-th match of pattern in the emails the worker's console mailer printed
        (each ends with a line of dashes; bodies are quoted-printable)."""

        def found():
            bodies = [
                email.message_from_string(
                    chunk[chunk.index("Content-Type:") :], policy=policy.default
                ).get_content()
                for chunk in self.worker_log.read_text().split("-" * 79)
                if "Content-Type:" in chunk
            ]
            matches = list(re.finditer(pattern, "\n".join(bodies)))
            return matches[count - 1] if len(matches) >= count else None

        return wait_for(found, timeout=20, what=f"an email matching {pattern}")
