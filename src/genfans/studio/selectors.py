"""Reads of the studio's data: jobs, custom models and the gallery. Every read of team data
takes `team=` and filters by it: another team's row is simply not found."""

from typing import Any

from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects

from genfans.core.errors import NotFound
from genfans.core.ids import uuid_or_none
from genfans.storage.models import Asset, AssetKind
from genfans.studio.errors import InvalidJobParams, ModelNotReady
from genfans.studio.models import (
    CustomModel,
    CustomModelStatus,
    Job,
    JobStatus,
    JobType,
    ModelVersion,
    ModelVersionStatus,
)

GALLERY_KINDS = (AssetKind.IMAGE, AssetKind.VIDEO)

# --- jobs -----------------------------------------------------------------------------------


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


# --- custom models --------------------------------------------------------------------------


def custom_model_get_for_team(*, team, model_id) -> CustomModel:
    model_uuid = uuid_or_none(model_id)
    model = (
        CustomModel.objects.select_related(
            "reference_model", "current_version", "cover", "thumbnail"
        )
        .filter(team=team, pk=model_uuid)
        .first()
        if model_uuid
        else None
    )
    if model is None:
        raise NotFound("No such model.")
    return model


def custom_model_list_for_team(*, team, status: str | None = None) -> QuerySet[CustomModel]:
    models = CustomModel.objects.filter(team=team).select_related(
        "reference_model", "current_version", "cover", "thumbnail"
    )
    if status:
        models = models.filter(status=status)
    else:
        models = models.exclude(status=CustomModelStatus.ARCHIVED)
    return models


def custom_model_detail_for_team(*, team, model_id) -> CustomModel:
    model = custom_model_get_for_team(team=team, model_id=model_id)
    versions = (
        ModelVersion.objects.filter(model=model)
        .select_related("job", "created_by", "weights", "parent")
        .prefetch_related("training_images")
        .order_by("-number")
    )
    model.version_list = list(versions)
    return model


def custom_models_ready_for_team(*, team) -> QuerySet[CustomModel]:
    return CustomModel.objects.filter(team=team, status=CustomModelStatus.READY).prefetch_related(
        Prefetch("versions", queryset=ModelVersion.objects.filter(status="ready"))
    )


def custom_models_with_images_for_team(*, team) -> list[CustomModel]:
    """The team's ready models that have at least one live generated image: the ones a video
    can start from (`model_newest_image_get`). Two queries, whatever the number of models."""
    with_images = set(
        Asset.objects.filter(
            team=team,
            kind=AssetKind.IMAGE,
            deleted_at__isnull=True,
            job__type=JobType.IMAGE_GENERATION,
        )
        .values_list("job__params__custom_model_id", flat=True)
        .distinct()
    )
    return [
        model
        for model in custom_model_list_for_team(team=team, status=CustomModelStatus.READY)
        if str(model.pk) in with_images
    ]


def custom_model_generation_source(*, team, model_id: Any, version: Any = None):
    """(model, version) when `model_id` names one of the team's custom models; None when it
    names none (it may be a catalog model). Another team's model is simply not found."""
    model_uuid = uuid_or_none(model_id) if model_id else None
    if model_uuid is None:
        return None
    model = (
        CustomModel.objects.select_related("reference_model")
        .filter(team=team, pk=model_uuid)
        .first()
    )
    if model is None:
        return None
    if not model.can_generate:
        raise ModelNotReady(status=model.status)
    if version in (None, ""):
        chosen = model.current_version
    else:
        if isinstance(version, bool) or not isinstance(version, int):
            raise InvalidJobParams("version must be a version number.", field="version")
        chosen = model.versions.filter(number=version, status=ModelVersionStatus.READY).first()
        if chosen is None:
            raise InvalidJobParams(f"Version {version} is not ready to use.", field="version")
    return model, chosen


# --- assets a job reads, and the gallery ----------------------------------------------------


def asset_source_get_for_team(*, team, asset_id: Any, kinds) -> Asset | None:
    """One of the team's live images or uploads, named by an id from outside."""
    asset_uuid = uuid_or_none(asset_id) if asset_id else None
    if asset_uuid is None:
        return None
    return Asset.objects.filter(
        team=team, pk=asset_uuid, kind__in=kinds, deleted_at__isnull=True
    ).first()


def uploads_by_id_for_team(*, team, upload_ids: list[str]) -> dict[str, Asset]:
    """The team's live uploads among `upload_ids`, by id (ids that name none are left out)."""
    uuids = [u for u in (uuid_or_none(i) for i in upload_ids) if u]
    return {
        str(asset.pk): asset
        for asset in Asset.objects.filter(
            team=team, kind=AssetKind.UPLOAD, deleted_at__isnull=True, pk__in=uuids
        )
    }


def model_newest_image_get(*, team, model: CustomModel) -> Asset | None:
    return (
        Asset.objects.filter(
            team=team,
            kind=AssetKind.IMAGE,
            deleted_at__isnull=True,
            job__type=JobType.IMAGE_GENERATION,
            job__params__custom_model_id=str(model.pk),
        )
        .order_by("-created_at")
        .first()
    )


def gallery_list_for_team(
    *, team, kind: str | None = None, custom_model_id: str | None = None
) -> QuerySet[Asset]:
    """The team's images and videos, newest first, optionally of one kind or one model."""
    assets = Asset.objects.filter(
        team=team, kind__in=GALLERY_KINDS, deleted_at__isnull=True
    ).select_related("job")
    if kind:
        assets = assets.filter(kind=kind)
    if custom_model_id:
        assets = assets.filter(job__params__custom_model_id=str(custom_model_id))
    return assets
