import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from genfans.core.scheduler import Scheduler


class Command(BaseCommand):
    help = "Background worker: runs queued tasks (jobs, emails, periodic work)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--processes", type=int, default=1, help="worker processes to run (default 1)"
        )

    def handle(self, *args, processes: int, **options):
        if processes > 1:
            self._supervise(processes)
            return
        # Persistent connections matter here: reconnecting per task is 4x slower.
        worker = Worker(
            queue_names=["default"],
            interval=settings.WORKER_POLL_INTERVAL,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        scheduler = Scheduler()
        scheduler.start()
        worker.configure_signals()
        try:
            worker.run()
        finally:
            scheduler.stopped.set()

    def _supervise(self, processes: int) -> None:
        children = [
            subprocess.Popen([sys.executable, "-m", "genfans.cli", "worker"])
            for _ in range(processes)
        ]

        def forward(signum, frame):
            for child in children:
                child.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        for child in children:
            child.wait()
