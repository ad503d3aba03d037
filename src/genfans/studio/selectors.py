from django.db.models import Prefetch, Q, prefetch_related_objects

from genfans.core.errors import NotFound
from genfans.storage.models import Asset
from genfans.studio.models import Job, JobStatus, JobType


def _outputs_prefetch() -> Prefetch:
    live_assets = Asset.objects.filter(deleted_at__isnull=True).order_by("created_at")
    return Prefetch("assets", queryset=live_assets, to_attr="outputs")


def _with_outputs(queryset):
    return queryset.prefetch_related(_outputs_prefetch())


def job_get_for_team(*, team, job_id) -> Job:
    try:
        job = Job.objects.get(team=team, pk=job_id)
    except Job.DoesNotExist:
        raise NotFound("No such job.") from None
    if job.type == JobType.IMAGE_GENERATION and job.status != JobStatus.SUCCEEDED:
        # Its images are stored by the transaction that marks it succeeded: the hottest poll
        # (a running job) needs no second query.
        job.outputs = []
    else:
        prefetch_related_objects([job], _outputs_prefetch())
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


def queue_position_get(*, team, job: Job) -> int | None:
    """1-based place of one waiting job, counted rather than listed: one cheap query however
    long the team's queue is."""
    if job.status != JobStatus.QUEUED:
        return None
    ahead = Job.objects.filter(team=team, status=JobStatus.QUEUED).filter(
        Q(priority__gt=job.priority) | Q(priority=job.priority, created_at__lt=job.created_at)
    )
    return ahead.count() + 1
