"""Enqueueing the job engine's tasks after commit, with the plan's priority."""

from datetime import datetime

from django.db import transaction

# django.tasks priorities run from -100 to 100; plans use 0-3, so spread them out.
PRIORITY_STEP = 10


def _priority(priority: int) -> int:
    return max(-100, min(100, priority * PRIORITY_STEP))


def job_advance_on_commit(*, job_id, priority: int, run_after: datetime | None = None) -> None:
    from genfans.studio.tasks import job_advance_task

    task = job_advance_task.using(priority=_priority(priority), run_after=run_after)
    transaction.on_commit(lambda: task.enqueue(str(job_id)))


def team_dispatch_on_commit(*, team_id, priority: int) -> None:
    from genfans.studio.tasks import team_dispatch_task

    task = team_dispatch_task.using(priority=_priority(priority))
    transaction.on_commit(lambda: task.enqueue(str(team_id)))
