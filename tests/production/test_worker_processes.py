"""`genfans worker --processes N`, as the README's production steps start it: N worker
processes that each run the task loop, all stopped by one SIGTERM to the supervisor."""

import signal

from tests.production.processes import (
    children_of,
    command_env,
    genfans,
    genfans_start,
    is_running,
    stop,
    wait_for,
)


def test_one_sigterm_stops_every_worker_process(tmp_path):
    env = command_env(tmp_path, LOG_LEVEL="INFO")
    genfans(tmp_path, "migrate", "--no-input", env=env)
    log = tmp_path / "worker.log"
    supervisor = genfans_start(tmp_path, "worker", "--processes", "2", env=env, log=log)
    try:
        workers = wait_for(
            lambda: len(found := children_of(supervisor.pid)) == 2 and found,
            timeout=20,
            what="two worker processes",
        )
        wait_for(
            lambda: log.read_text().count("Starting worker") == 2,
            timeout=60,
            what="both task loops",
        )
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=20)
        assert supervisor.returncode == 0, log.read_text()
        assert not any(is_running(pid) for pid in workers), log.read_text()
        assert "Traceback" not in log.read_text()
    finally:
        stop(supervisor)
