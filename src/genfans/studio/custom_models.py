"""Custom models: create (a model_creation job), refine (a model_refinement job), generate,
rename, archive. Their reads are in `selectors`.

Creating and refining go through the job engine's `job_submit`, which prices, reserves and
queues in one transaction; the operations' hooks (`operations.model_creation`,
`operations.model_refinement`) create the model and its version
inside that same transaction, so a model never exists without its paid job or vice versa.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone

from genfans.core.errors import ValidationError
from genfans.core.locks import rows_locked
from genfans.core.text import text_line
from genfans.credits.calculator import DEFAULT_QUALITY
from genfans.storage.models import Asset
from genfans.storage.services import asset_retention_restore
from genfans.studio.engine.services import job_submit
from genfans.studio.errors import ModelBusy
from genfans.studio.models import (
    CustomModel,
    CustomModelStatus,
    Job,
    JobType,
    ModelVersion,
    ModelVersionStatus,
)
from genfans.studio.operations.training import MAX_NAME
from genfans.studio.selectors import custom_model_get_for_team


def custom_model_create(
    *,
    team,
    user,
    name: str,
    reference_model_id: str,
    upload_ids: list[str],
    quality: str = DEFAULT_QUALITY,
    idempotency_key: str | None = None,
    ip_address: str | None = None,
    api_key=None,
) -> tuple[CustomModel, Job]:
    job = job_submit(
        team=team,
        user=user,
        job_type=JobType.MODEL_CREATION,
        params={
            "name": name,
            "reference_model_id": reference_model_id,
            "upload_ids": upload_ids,
            "quality": quality,
        },
        idempotency_key=idempotency_key,
        ip_address=ip_address,
        api_key=api_key,
    )
    version = ModelVersion.objects.select_related("model").get(job=job)
    return version.model, job


def custom_model_refine(
    *,
    team,
    user,
    model_id,
    instructions: str,
    upload_ids: list[str] | None = None,
    quality: str = DEFAULT_QUALITY,
    idempotency_key: str | None = None,
    ip_address: str | None = None,
    api_key=None,
) -> tuple[CustomModel, ModelVersion, Job]:
    model = custom_model_get_for_team(team=team, model_id=model_id)
    job = job_submit(
        team=team,
        user=user,
        job_type=JobType.MODEL_REFINEMENT,
        params={
            "model_id": str(model.pk),
            "instructions": instructions,
            "upload_ids": upload_ids or [],
            "quality": quality,
        },
        idempotency_key=idempotency_key,
        ip_address=ip_address,
        api_key=api_key,
    )
    version = ModelVersion.objects.select_related("model").get(job=job)
    return version.model, version, job


def custom_model_generate(
    *,
    team,
    user,
    model_id,
    params: dict[str, Any],
    version: int | None = None,
    idempotency_key: str | None = None,
    ip_address: str | None = None,
    api_key=None,
) -> Job:
    """Images from a custom model, from its current version or the `version` named."""
    model = custom_model_get_for_team(team=team, model_id=model_id)
    request = {**params, "model_id": str(model.pk)}
    if version is not None:
        request["version"] = version
    return job_submit(
        team=team,
        user=user,
        job_type=JobType.IMAGE_GENERATION,
        params=request,
        idempotency_key=idempotency_key,
        ip_address=ip_address,
        api_key=api_key,
    )


@transaction.atomic(durable=True)
def custom_model_rename(*, team, model_id, name: str) -> CustomModel:
    """Only the display name changes: the trigger word stays what the weights learned."""
    name = text_line(name, field="name")
    if not name or len(name) > MAX_NAME:
        raise ValidationError(f"The name must be 1 to {MAX_NAME} characters.", field="name")
    model = custom_model_get_for_team(team=team, model_id=model_id)
    CustomModel.objects.filter(pk=model.pk).update(name=name, updated_at=timezone.now())
    model.name = name
    return model


@transaction.atomic(durable=True)
def custom_model_archive(*, team, model_id) -> CustomModel:
    """An archived model cannot generate, and its files expire like any other output.
    Archiving twice changes nothing; a model still training must be canceled first."""
    model = custom_model_get_for_team(team=team, model_id=model_id)
    model = rows_locked("custom_model", CustomModel.objects.filter(pk=model.pk)).get()
    if model.status == CustomModelStatus.ARCHIVED:
        return custom_model_get_for_team(team=team, model_id=model.pk)
    if ModelVersion.objects.filter(model=model, status=ModelVersionStatus.TRAINING).exists():
        raise ModelBusy("This model is training: cancel its job first, or wait for it to end.")
    now = timezone.now()
    CustomModel.objects.filter(pk=model.pk).update(
        status=CustomModelStatus.ARCHIVED, archived_at=now, updated_at=now
    )
    model_assets_release(model=model)
    return custom_model_get_for_team(team=team, model_id=model.pk)


def model_assets_release(*, model: CustomModel) -> int:
    """An archived model no longer needs its files: they expire like any other output, except
    the photos another live model of the team still trains from."""
    keep = set(
        Asset.objects.filter(
            pk__in=ModelVersion.objects.filter(model__team=model.team)
            .exclude(model=model)
            .exclude(model__status=CustomModelStatus.ARCHIVED)
            .values("training_images")
        ).values_list("pk", flat=True)
    )
    versions = ModelVersion.objects.filter(model=model)
    ids = set(versions.exclude(weights=None).values_list("weights", flat=True))
    if model.thumbnail_id:
        ids.add(model.thumbnail_id)
    ids |= set(versions.values_list("training_images", flat=True)) - {None}
    return asset_retention_restore(team=model.team, asset_ids=ids - keep)
