from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from genfans.api.jobs import JobOut, job_out
from genfans.api.openapi import errors
from genfans.api.schemas import QUALITY_PATTERN, JobEnvelope
from genfans.api.security import api_auth
from genfans.core.http import client_ip
from genfans.core.pagination import paginate
from genfans.credits.calculator import DEFAULT_QUALITY
from genfans.storage.urls import asset_url
from genfans.studio.custom_models import (
    custom_model_archive,
    custom_model_create,
    custom_model_generate,
    custom_model_refine,
    custom_model_rename,
)
from genfans.studio.models import CustomModel, CustomModelStatus, ModelVersion
from genfans.studio.selectors import (
    custom_model_detail_for_team,
    custom_model_list_for_team,
    queue_position_get,
)

router = Router(tags=["models"], auth=api_auth)


class VersionOut(Schema):
    id: str
    number: int
    parent_number: int | None
    kind: str
    status: str
    instructions: str
    num_photos: int
    photo_ids: list[str]
    trigger_word: str
    weights_url: str | None
    job_id: str | None
    credits_charged: int
    created_by: str | None
    created_at: datetime


class ModelOut(Schema):
    id: str
    name: str
    status: str
    trigger_word: str
    reference_model_id: str
    reference_model_name: str
    current_version: int | None
    cover_url: str | None
    thumbnail_url: str | None
    created_at: datetime
    archived_at: datetime | None


class ModelDetailOut(ModelOut):
    versions: list[VersionOut]


class ModelPage(Schema):
    items: list[ModelOut]
    next_cursor: str | None


class ModelFilters(Schema):
    status: CustomModelStatus | None = None
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


class ModelIn(Schema):
    name: str = Field(min_length=1, max_length=80)
    reference_model_id: str = Field(max_length=64)
    upload_ids: list[str] = Field(min_length=1, max_length=30)
    quality: str = Field(default=DEFAULT_QUALITY, pattern=QUALITY_PATTERN)


class ModelPatch(Schema):
    name: str = Field(min_length=1, max_length=80)


class RefineIn(Schema):
    instructions: str = Field(min_length=1, max_length=1000)
    upload_ids: list[str] = Field(default_factory=list, max_length=30)
    quality: str = Field(default=DEFAULT_QUALITY, pattern=QUALITY_PATTERN)


class ModelGenerateIn(Schema):
    prompt: str = Field(min_length=1, max_length=2000)
    version: int | None = Field(default=None, ge=1)
    num_images: int = Field(default=1, ge=1, le=8)
    width: int = Field(default=1024, ge=64, le=4096)
    height: int = Field(default=1024, ge=64, le=4096)
    quality: str = Field(default=DEFAULT_QUALITY, pattern=QUALITY_PATTERN)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)


class CreatedOut(Schema):
    model: ModelOut
    job: JobOut


class RefinedOut(Schema):
    model: ModelOut
    version: VersionOut
    job: JobOut


def model_out(model: CustomModel) -> dict[str, Any]:
    return {
        "id": str(model.pk),
        "name": model.name,
        "status": model.status,
        "trigger_word": model.trigger_word,
        "reference_model_id": str(model.reference_model_id),
        "reference_model_name": model.reference_model.name,
        "current_version": model.current_version.number if model.current_version else None,
        "cover_url": asset_url(model.cover) if model.cover else None,
        "thumbnail_url": asset_url(model.thumbnail) if model.thumbnail else None,
        "created_at": model.created_at,
        "archived_at": model.archived_at,
    }


def version_out(version: ModelVersion, *, parent_number: int | None = None) -> dict[str, Any]:
    photos = [str(asset.pk) for asset in version.training_images.all()]
    return {
        "id": str(version.pk),
        "number": version.number,
        "parent_number": parent_number,
        "kind": version.kind,
        "status": version.status,
        "instructions": version.instructions,
        "num_photos": len(photos),
        "photo_ids": photos,
        "trigger_word": version.trigger_word,
        "weights_url": asset_url(version.weights) if version.weights else None,
        "job_id": str(version.job_id) if version.job_id else None,
        "credits_charged": version.job.credits_charged if version.job else 0,
        "created_by": version.created_by.email if version.created_by else None,
        "created_at": version.created_at,
    }


def model_detail_out(model: CustomModel) -> dict[str, Any]:
    numbers = {version.pk: version.number for version in model.version_list}
    return {
        **model_out(model),
        "versions": [
            version_out(version, parent_number=numbers.get(version.parent_id))
            for version in model.version_list
        ],
    }


def _job(team, job) -> dict[str, Any]:
    return job_out(job, queue_position=queue_position_get(team=team, job=job))


@router.get("/models", response=ModelPage)
def list_models(request, filters: Query[ModelFilters]):
    """The team's custom models, newest first (archived ones only with `status=archived`)."""
    page = paginate(
        custom_model_list_for_team(team=request.auth.team, status=filters.status),
        limit=filters.limit,
        cursor=filters.cursor,
    )
    return {"items": [model_out(m) for m in page.items], "next_cursor": page.next_cursor}


@router.post("/models", response={202: CreatedOut}, openapi_extra=errors(402, 429))
def create_model(
    request,
    payload: ModelIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=200),
):
    """Train a custom model from 4–30 uploaded photos (a `model_creation` job)."""
    caller = request.auth
    model, job = custom_model_create(
        team=caller.team,
        user=caller.user,
        name=payload.name,
        reference_model_id=payload.reference_model_id,
        upload_ids=payload.upload_ids,
        quality=payload.quality,
        idempotency_key=idempotency_key or None,
        ip_address=client_ip(request),
        api_key=caller.api_key,
    )
    model = custom_model_detail_for_team(team=caller.team, model_id=model.pk)
    return Status(202, {"model": model_out(model), "job": _job(caller.team, job)})


@router.get("/models/{model_id}", response=ModelDetailOut)
def get_model(request, model_id: UUID):
    return model_detail_out(custom_model_detail_for_team(team=request.auth.team, model_id=model_id))


@router.patch("/models/{model_id}", response=ModelDetailOut)
def rename_model(request, model_id: UUID, payload: ModelPatch):
    team = request.auth.team
    custom_model_rename(team=team, model_id=model_id, name=payload.name)
    return model_detail_out(custom_model_detail_for_team(team=team, model_id=model_id))


@router.delete("/models/{model_id}", response=ModelDetailOut)
def archive_model(request, model_id: UUID):
    """Archive: the model stops generating and its files expire with the retention period."""
    team = request.auth.team
    custom_model_archive(team=team, model_id=model_id)
    return model_detail_out(custom_model_detail_for_team(team=team, model_id=model_id))


@router.post(
    "/models/{model_id}/refine", response={202: RefinedOut}, openapi_extra=errors(402, 429)
)
def refine_model(
    request,
    model_id: UUID,
    payload: RefineIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=200),
):
    """Train version N+1 from the current version, with optional new photos."""
    caller = request.auth
    model, version, job = custom_model_refine(
        team=caller.team,
        user=caller.user,
        model_id=model_id,
        instructions=payload.instructions,
        upload_ids=payload.upload_ids,
        quality=payload.quality,
        idempotency_key=idempotency_key or None,
        ip_address=client_ip(request),
        api_key=caller.api_key,
    )
    model = custom_model_detail_for_team(team=caller.team, model_id=model.pk)
    parent = next((v.number for v in model.version_list if v.pk == version.parent_id), None)
    return Status(
        202,
        {
            "model": model_out(model),
            "version": version_out(version, parent_number=parent),
            "job": _job(caller.team, job),
        },
    )


@router.post(
    "/models/{model_id}/generate", response={202: JobEnvelope}, openapi_extra=errors(402, 429)
)
def generate_from_model(
    request,
    model_id: UUID,
    payload: ModelGenerateIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=200),
):
    """Images from this model's current version, or from the `version` named."""
    caller = request.auth
    params = payload.dict(exclude={"version"})
    job = custom_model_generate(
        team=caller.team,
        user=caller.user,
        model_id=model_id,
        params=params,
        version=payload.version,
        idempotency_key=idempotency_key or None,
        ip_address=client_ip(request),
        api_key=caller.api_key,
    )
    return Status(202, {"job": _job(caller.team, job)})
