from django.db.models import Prefetch

from genfans.core.errors import NotFound
from genfans.storage.models import Asset
from genfans.studio.models import Job, JobStatus


def _with_outputs(queryset):
    live_assets = Asset.objects.filter(deleted_at__isnull=True).order_by("created_at")
    return queryset.prefetch_related(Prefetch("assets", queryset=live_assets, to_attr="outputs"))


def job_get_for_team(*, team, job_id) -> Job:
    job = _with_outputs(Job.objects.filter(team=team, pk=job_id)).first()
    if job is None:
        raise NotFound("No such job.")
    return job


def job_list_for_team(*, team, status: str | None = None, job_type: str | None = None):
    jobs = Job.objects.filter(team=team)
    if status:
        jobs = jobs.filter(status=status)
    if job_type:
        jobs = jobs.filter(type=job_type)
    return _with_outputs(jobs)


def queue_positions_for_team(*, team) -> dict:
    """1-based place of each of the team's waiting jobs, in the order they will start."""
    waiting = (
        Job.objects.filter(team=team, status=JobStatus.QUEUED)
        .order_by("-priority", "created_at")
        .values_list("pk", flat=True)
    )
    return {job_id: position for position, job_id in enumerate(waiting, start=1)}
