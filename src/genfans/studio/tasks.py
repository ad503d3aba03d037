"""Periodic tasks (named in settings.PERIODIC_TASKS): each takes ids and calls one service,
and all are safe to run twice. The engine's per-job tasks live in `studio.engine.services`."""

from django.core.management import call_command
from django.tasks import task

from genfans.studio.engine.sweep import jobs_sweep
from genfans.studio.expiring import files_expiring_announce


@task()
def jobs_sweep_task() -> dict[str, int]:
    return jobs_sweep()


@task()
def task_results_prune_task() -> None:
    """Finished task rows are transport, not history: the Job rows keep what matters."""
    call_command("prune_db_task_results", min_age_days=1, verbosity=0)


@task()
def files_expiring_announce_task() -> int:
    """Daily: email owners a week before a batch of their team's files expires."""
    return files_expiring_announce()
