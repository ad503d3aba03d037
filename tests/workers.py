"""The real database task worker (django-tasks-db), configured for tests."""

import threading

from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker


def db_worker(*, name: str, batch: bool, interval: float = 0.01) -> Worker:
    return Worker(
        queue_names=["default"],
        interval=interval,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=name,
        excluded_queue_names=[],
    )


class WorkerThread(threading.Thread):
    """A worker loop in a thread of the test process; `stop()` ends it after its task."""

    def __init__(self, name: str, interval: float = 0.01) -> None:
        super().__init__(daemon=True, name=name)
        self.worker = db_worker(name=name, batch=False, interval=interval)

    def run(self) -> None:
        try:
            self.worker.run()
        finally:
            connection.close()

    def stop(self) -> None:
        self.worker.running = False
        self.join(timeout=10)
