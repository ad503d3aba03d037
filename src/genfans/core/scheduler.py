"""Periodic work, fired by whichever worker gets there first.

Every worker runs this loop. A run is one row per (task, time slot) under a unique
constraint, so however many workers there are, each slot fires once.
"""

import logging
import threading
import time
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.utils.module_loading import import_string

from genfans.core.models import ScheduledRun

logger = logging.getLogger(__name__)
TICK_SECONDS = 5.0


def slot_start(*, every_seconds: int, now: float) -> datetime:
    return datetime.fromtimestamp(now - now % every_seconds, tz=UTC)


def schedule_tick(*, now: float | None = None) -> list[str]:
    """Enqueue every periodic task whose current slot has not fired yet; returns their names."""
    now = time.time() if now is None else now
    fired = []
    for name, every_seconds, task_path in settings.PERIODIC_TASKS:
        slot = slot_start(every_seconds=every_seconds, now=now)
        try:
            with transaction.atomic():
                ScheduledRun.objects.create(name=name, slot=slot)
                task = import_string(task_path)
                transaction.on_commit(task.enqueue)
        except IntegrityError:
            continue
        fired.append(name)
    return fired


class Scheduler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(name="genfans-scheduler", daemon=True)
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                close_old_connections()
                schedule_tick()
            except Exception:  # noqa: BLE001 - the loop must survive a database blip
                logger.exception("scheduler tick failed")
            self.stopped.wait(TICK_SECONDS)
