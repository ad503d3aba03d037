"""`genfans run`'s other ways out: serving without a worker, and a worker that does not stop
when told to (a second signal is passed on to it; past the grace period it is killed)."""

import signal
import subprocess
import sys
import threading

from genfans.core.management.commands import run
from tests.production.processes import (
    children_of,
    command_env,
    free_port,
    genfans_start,
    stop,
    wait_for,
    wait_healthy,
)

# A worker stuck in a task: it notes every SIGTERM it gets and carries on.
STUBBORN_WORKER = """
import pathlib, signal, sys, time
log = pathlib.Path(sys.argv[1])
signal.signal(signal.SIGTERM, lambda *_: log.write_text(log.read_text() + "TERM\\n"))
log.write_text("ready\\n")
while True:
    time.sleep(0.05)
"""


def test_no_worker_serves_alone_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    log = tmp_path / "run.log"
    env = command_env(tmp_path, LOG_LEVEL="INFO")
    server = genfans_start(tmp_path, "run", "--no-worker", "--port", str(port), env=env, log=log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", server, log)
        assert children_of(server.pid) == []
        server.send_signal(signal.SIGINT)
        server.wait(timeout=15)
        assert "Starting worker" not in log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        stop(server)


def test_a_worker_that_outlives_the_grace_period_is_killed(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "WORKER_STOP_SECONDS", 1.5)
    signals = tmp_path / "signals.log"
    worker = subprocess.Popen([sys.executable, "-c", STUBBORN_WORKER, str(signals)])
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        wait_for(lambda: signals.exists() and "ready" in signals.read_text(), timeout=10, what="it")
        # Signalled again while `run` waits for the worker: that one goes to the worker too.
        second = threading.Timer(0.5, signal.raise_signal, [signal.SIGTERM])
        second.start()
        run.worker_stop(worker, signal.SIGTERM)
        second.join()
        assert worker.returncode == -signal.SIGKILL
        assert signals.read_text() == "ready\nTERM\nTERM\n"
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        if worker.poll() is None:
            worker.kill()
            worker.wait()
