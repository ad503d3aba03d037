from django.conf import settings
from django.db import models

from genfans.core.models import BaseModel


class AssetKind(models.TextChoices):
    IMAGE = "image", "Image"
    VIDEO = "video", "Video"
    UPLOAD = "upload", "Upload"
    THUMBNAIL = "thumbnail", "Thumbnail"
    WEIGHTS = "weights", "Model weights"
    ARCHIVE = "archive", "Archive"


class Asset(BaseModel):
    """A stored file owned by a team: a job output, an upload, or a model artefact."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="assets")
    job = models.ForeignKey(
        "studio.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="assets"
    )
    kind = models.CharField(max_length=16, choices=AssetKind.choices)
    # Who sent an upload, so their data export can include it; generated files name their job.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    storage_key = models.CharField(max_length=400, unique=True)
    content_type = models.CharField(max_length=100)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    bytes = models.PositiveBigIntegerField(default=0)
    duration = models.FloatField(null=True, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["team", "kind", "-created_at"], name="asset_team_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.storage_key}"
