import argparse
import signal
import subprocess
import sys

from django.core.management import call_command
from django.core.management.base import BaseCommand

# A worker still busy with a task after this long is killed rather than left running.
WORKER_STOP_SECONDS = 30
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = "8000"


def serving_address(argv: list[str]) -> str:
    """The address `genfans run <argv>` serves on, as a base URL. Read before the settings load
    so that, with BASE_URL unset, emailed links (and the allowed host) follow --host/--port; a
    wildcard host becomes loopback, an address a browser on this machine can open."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--host", default=DEFAULT_HOST)
    parser.add_argument("--port", default=DEFAULT_PORT)
    known, _ = parser.parse_known_args(argv)
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(known.host, known.host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{known.port}"


class Command(BaseCommand):
    help = "Development: migrate, seed if empty, and serve with a background worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=DEFAULT_HOST)
        parser.add_argument("--port", default=DEFAULT_PORT)
        parser.add_argument("--no-worker", action="store_true", help="do not start a worker")

    def handle(self, *args, host, port, no_worker, **options):
        call_command("migrate", interactive=False, verbosity=1)
        call_command("seed", if_empty=True)
        if no_worker:
            # runserver ends the process (Ctrl-C exits it): it never returns here.
            return call_command("runserver", f"{host}:{port}", use_reloader=False)
        stop_signal = signal.SIGTERM

        def stop(signum, frame):
            nonlocal stop_signal
            stop_signal = signum
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # Its own session, so a terminal's Ctrl-C reaches the worker once (from here), not
        # twice: a second signal makes it abandon the task it is running.
        worker = subprocess.Popen(
            [sys.executable, "-m", "genfans.cli", "worker"], start_new_session=True
        )
        try:
            call_command("runserver", f"{host}:{port}", use_reloader=False)
        finally:
            worker_stop(worker, stop_signal)


def worker_stop(worker: subprocess.Popen, signum: int) -> None:
    """Forward the signal and wait for the worker to finish its task. A second signal goes
    to the worker too (it then abandons the task), instead of leaving it behind."""

    def forward(signum, frame):
        worker.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    worker.send_signal(signum)
    try:
        worker.wait(timeout=WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
