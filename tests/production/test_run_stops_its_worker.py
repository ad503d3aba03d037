"""`genfans run` stopped by a process manager (SIGTERM) or a terminal (SIGINT) stops the worker
it started and exits once the worker has; nothing is left running."""

import signal
import time

import httpx
import pytest

from tests.production.processes import (
    children_of,
    command_env,
    free_port,
    genfans_start,
    is_running,
    stop,
    wait_for,
    wait_healthy,
)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_run_forwards_the_signal_to_its_worker_and_exits_after_it(tmp_path, signum):
    port = free_port()
    log = tmp_path / "run.log"
    env = command_env(tmp_path, SANDBOX_LATENCY_SECONDS="0", LOG_LEVEL="INFO")
    run = genfans_start(tmp_path, "run", "--port", str(port), env=env, log=log)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", run, log)
        worker_pid = wait_for(lambda: children_of(run.pid), timeout=10, what="the worker")[0]
        wait_for(lambda: "Starting worker" in log.read_text(), timeout=20, what="the worker loop")
        httpx.get(f"http://127.0.0.1:{port}/no-such-page?sig=s3cret-in-the-query", timeout=5)
        started = time.monotonic()
        run.send_signal(signum)
        run.wait(timeout=15)
        assert not is_running(worker_pid), log.read_text()
        assert time.monotonic() - started < 15
        assert run.returncode == 0, log.read_text()
        assert "Traceback" not in log.read_text()
        # Where each operation goes is said before any work is taken.
        assert "provider routing: model_creation → sandbox" in log.read_text()
        # The request is logged, without the query string that may carry a secret.
        assert '"GET /no-such-page HTTP/1.1" 404' in log.read_text()
        assert "s3cret-in-the-query" not in log.read_text()
    finally:
        stop(run)
