from django.conf import settings
from django.db import models

from genfans.core.models import BaseModel


class JobType(models.TextChoices):
    MODEL_CREATION = "model_creation", "Model creation"
    MODEL_REFINEMENT = "model_refinement", "Model refinement"
    IMAGE_GENERATION = "image_generation", "Image generation"
    VIDEO_GENERATION = "video_generation", "Video generation"
    FACE_SWAP = "face_swap", "Face swap"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELED = "canceled", "Canceled"


ACTIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
FINAL_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELED)


class Job(BaseModel):
    """The source of truth for one unit of paid work; tasks only carry its id."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="jobs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    type = models.CharField(max_length=24, choices=JobType.choices)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    priority = models.SmallIntegerField(default=0)
    params = models.JSONField(default=dict)
    credits_estimated = models.PositiveIntegerField(default=0)
    credits_reserved = models.PositiveIntegerField(default=0)
    credits_charged = models.PositiveIntegerField(default=0)
    provider = models.CharField(max_length=32, blank=True)
    endpoint = models.CharField(max_length=100, blank=True)
    # Opaque and unbounded: the sandbox's ids carry the whole signed request.
    provider_request_id = models.TextField(blank=True)
    webhook_token = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    idempotency_key = models.CharField(max_length=200, null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "idempotency_key"], name="job_idempotency_key_unique_per_team"
            ),
        ]
        indexes = [
            models.Index(fields=["team", "-created_at"], name="job_team_recent"),
            models.Index(
                fields=["status", "-priority", "created_at"],
                name="job_dispatch_order",
                condition=models.Q(status="queued"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class TeamSlots(models.Model):
    """A team's running-job semaphore, after Solid Queue: `used` is taken with a conditional
    update when a job starts and given back in the transaction that ends it."""

    team = models.OneToOneField(
        "teams.Team", on_delete=models.CASCADE, primary_key=True, related_name="job_slots"
    )
    used = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "team slots"
        constraints = [
            models.CheckConstraint(condition=models.Q(used__gte=0), name="slots_used_gte_0")
        ]

    def __str__(self) -> str:
        return f"{self.team_id}: {self.used} running"


class ScheduledRun(models.Model):
    """One row per periodic task per time slot: the unique key lets exactly one of many
    workers fire it."""

    name = models.CharField(max_length=64)
    slot = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["name", "slot"], name="scheduled_run_unique_slot")
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.slot:%Y-%m-%d %H:%M}"
