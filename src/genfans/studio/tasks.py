"""Background tasks: each takes ids and calls one service; all are safe to run twice."""

from django.core.management import call_command
from django.tasks import task

from genfans.studio.services import job_advance, jobs_sweep, team_dispatch


@task()
def job_advance_task(job_id: str) -> None:
    job_advance(job_id=job_id)


@task()
def team_dispatch_task(team_id: str) -> None:
    team_dispatch(team_id=team_id)


@task()
def jobs_sweep_task() -> dict[str, int]:
    return jobs_sweep()


@task()
def task_results_prune_task() -> None:
    """Finished task rows are transport, not history: the Job rows keep what matters."""
    call_command("prune_db_task_results", min_age_days=1, verbosity=0)
