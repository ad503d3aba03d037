"""Periodic repair of what crashes and lost tasks leave behind, through the engine's own
services (a job is failed or advanced by the engine, never here)."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from genfans.core.locks import rows_locked
from genfans.studio.engine.services import job_advance_on_commit, job_fail, team_dispatch
from genfans.studio.models import Job, JobStatus, TeamSlots


def jobs_sweep() -> dict[str, int]:
    """Repair what crashes and lost tasks leave behind. Safe to run anywhere, any time."""
    now = timezone.now()
    grace = timedelta(seconds=settings.JOB_SWEEP_GRACE_SECONDS)
    counts = {"resumed": 0, "expired": 0, "dispatched": 0, "slots_repaired": 0}

    deadline = now - timedelta(seconds=settings.JOB_DEADLINE_SECONDS)
    for job_id in Job.objects.filter(status=JobStatus.RUNNING, started_at__lt=deadline).values_list(
        "pk", flat=True
    ):
        counts["expired"] += job_fail(
            job_id=job_id, code="deadline_exceeded", message="The provider did not finish in time."
        )

    stalled = Job.objects.filter(status=JobStatus.RUNNING).filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True, next_attempt_at__lt=now - grace)
    )
    for job_id, priority in stalled.values_list("pk", "priority"):
        with transaction.atomic():
            job_advance_on_commit(job_id=job_id, priority=priority)
        counts["resumed"] += 1

    counts["slots_repaired"] = team_slots_repair()
    waiting_teams = (
        Job.objects.filter(status=JobStatus.QUEUED).values_list("team_id", flat=True).distinct()
    )
    for team_id in waiting_teams:
        counts["dispatched"] += team_dispatch(team_id=team_id)
    return counts


def team_slots_repair() -> int:
    """Set every team's slot counter to its number of running jobs (a crash can leak one)."""
    repaired = 0
    for team_id in TeamSlots.objects.values_list("team_id", flat=True):
        with transaction.atomic():
            slots = rows_locked("slots", TeamSlots.objects.filter(team_id=team_id)).get()
            running = Job.objects.filter(team_id=team_id, status=JobStatus.RUNNING).count()
            if slots.used != running:
                TeamSlots.objects.filter(team_id=team_id).update(used=running)
                repaired += 1
    return repaired
