from django.conf import settings
from django.db import models

from genfans.core.models import BaseModel
from genfans.credits.models import Operation

# A job is one priced operation. The list is defined once, by credits (which prices it and sits
# below studio); studio.operations maps each type to its module.
JobType = Operation


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
    # The API key it was submitted with (its spend limit counts the job), if any.
    api_key = models.ForeignKey(
        "accounts.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
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
    # Opaque and unbounded: the sandbox's ids carry the whole signed request. The request of
    # the current part.
    provider_request_id = models.TextField(blank=True)
    # When the current part's submit was sent. Set before sending and kept when the answer is
    # lost, so a submit whose outcome is unknown is never sent again: its request id comes
    # from the webhook, or the job fails as provider_outcome_unknown.
    submit_sent_at = models.DateTimeField(null=True, blank=True)
    # A request the provider takes in parts (more images than it makes per request): the part
    # running now, how many there are, and the files earlier parts delivered (stored, not yet
    # recorded as assets: the finish records them all at once).
    part = models.PositiveSmallIntegerField(default=0)
    parts = models.PositiveSmallIntegerField(default=1)
    part_outputs = models.JSONField(default=list, blank=True)
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


# --- custom models (issue 6) --------------------------------------------------------------


class CustomModelStatus(models.TextChoices):
    TRAINING = "training", "Training"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"
    ARCHIVED = "archived", "Archived"


class CustomModel(BaseModel):
    """A team's own persona, trained from its photos; generation uses `current_version`."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="custom_models")
    reference_model = models.ForeignKey(
        "catalog.ReferenceModel", on_delete=models.PROTECT, related_name="custom_models"
    )
    name = models.CharField(max_length=80)
    status = models.CharField(
        max_length=16, choices=CustomModelStatus.choices, default=CustomModelStatus.TRAINING
    )
    trigger_word = models.CharField(max_length=40)
    current_version = models.ForeignKey(
        "studio.ModelVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The face a face swap uses (the first training photo) and a small copy for cards.
    cover = models.ForeignKey(
        "storage.Asset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    thumbnail = models.ForeignKey(
        "storage.Asset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["team", "-created_at"], name="custom_model_team_recent")]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def can_generate(self) -> bool:
        return self.status == CustomModelStatus.READY and self.current_version_id is not None


class ModelVersionKind(models.TextChoices):
    CREATION = "creation", "Creation"
    REFINEMENT = "refinement", "Refinement"


class ModelVersionStatus(models.TextChoices):
    TRAINING = "training", "Training"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ModelVersion(BaseModel):
    """One trained state of a custom model. Versions are never rewritten: a refinement adds
    version N+1 with the current one as its parent, and a failed one leaves it in place."""

    model = models.ForeignKey(CustomModel, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    kind = models.CharField(max_length=16, choices=ModelVersionKind.choices)
    status = models.CharField(
        max_length=16, choices=ModelVersionStatus.choices, default=ModelVersionStatus.TRAINING
    )
    instructions = models.TextField(blank=True)
    training_images = models.ManyToManyField("storage.Asset", blank=True, related_name="+")
    archive = models.ForeignKey(
        "storage.Asset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    weights = models.ForeignKey(
        "storage.Asset", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    trigger_word = models.CharField(max_length=40, blank=True)
    # What the provider handed back (e.g. its own LoRA URL), kept for support and audits.
    artefacts = models.JSONField(default=dict, blank=True)
    job = models.OneToOneField(
        Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="model_version"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["model", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["model", "number"], name="model_version_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.model.name} v{self.number} ({self.status})"


class FilesExpiringCursor(BaseModel):
    """How far ahead a team's expiring files have been announced: every gallery file expiring
    up to `announced_until` is in an email already. Moved only by a conditional update from
    the value last read, so two workers (or a rerun) announce one batch once."""

    team = models.OneToOneField(
        "teams.Team", on_delete=models.CASCADE, related_name="files_expiring_cursor"
    )
    announced_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.team} announced until {self.announced_until}"


class FilesExpiringNotice(BaseModel):
    """One announced batch: what its emails say, read when they are sent."""

    team = models.ForeignKey(
        "teams.Team", on_delete=models.CASCADE, related_name="files_expiring_notices"
    )
    files = models.PositiveIntegerField()
    first_expires_at = models.DateTimeField()
    last_expires_at = models.DateTimeField()
    deliveries = models.ManyToManyField(
        "emails.EmailDelivery", blank=True, related_name="files_expiring_notices"
    )

    def __str__(self) -> str:
        return f"{self.files} files of {self.team} expiring from {self.first_expires_at}"
