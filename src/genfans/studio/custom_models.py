"""Custom models: create (a model_creation job), refine (a model_refinement job), rename,
archive; and the reads the API and pages share.

Creating and refining go through the job engine's `job_submit`, which prices, reserves and
queues in one transaction; the engine's hooks in `training` create the model and its version
inside that same transaction, so a model never exists without its paid job or vice versa.
"""

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from genfans.core.errors import ValidationError
from genfans.core.locks import rows_locked
from genfans.core.text import text_line
from genfans.studio.errors import ModelBusy
from genfans.studio.models import (
    CustomModel,
    CustomModelStatus,
    Job,
    JobType,
    ModelVersion,
    ModelVersionStatus,
)
from genfans.studio.services import job_submit
from genfans.studio.training import MAX_NAME, custom_model_get_for_team, model_assets_release


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


def custom_model_create(
    *,
    team,
    user,
    name: str,
    reference_model_id: str,
    upload_ids: list[str],
    quality: str = "standard",
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
    quality: str = "standard",
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


def custom_models_ready_for_team(*, team) -> QuerySet[CustomModel]:
    return CustomModel.objects.filter(team=team, status=CustomModelStatus.READY).prefetch_related(
        Prefetch("versions", queryset=ModelVersion.objects.filter(status="ready"))
    )
