from datetime import datetime
from typing import Any
from uuid import UUID

from ninja import Header, Query, Router, Schema, Status
from pydantic import Field

from genfans.api.jobs import job_out
from genfans.api.openapi import errors
from genfans.api.schemas import JobEnvelope
from genfans.api.security import api_auth
from genfans.core.http import client_ip
from genfans.core.pagination import paginate
from genfans.storage.urls import asset_download_url, asset_url
from genfans.studio.engine.services import job_submit
from genfans.studio.gallery import gallery_asset_delete
from genfans.studio.models import JobType
from genfans.studio.selectors import gallery_list_for_team, queue_position_get

router = Router(tags=["media"], auth=api_auth)


class VideoIn(Schema):
    image_asset_id: str | None = Field(default=None, max_length=64)
    model_id: str | None = Field(default=None, max_length=64)
    prompt: str = Field(default="", max_length=2000)
    duration_s: int = Field(default=5)
    aspect_ratio: str = Field(default="16:9", pattern=r"^(16:9|9:16|1:1)$")


class FaceSwapIn(Schema):
    target_upload_id: str = Field(max_length=64)
    model_id: str | None = Field(default=None, max_length=64)
    face_upload_id: str | None = Field(default=None, max_length=64)


class GalleryItemOut(Schema):
    id: str
    kind: str
    url: str
    download_url: str = Field(
        description="Like `url` (signed, expiring), but served as an attachment named "
        "`genfans-<kind>-<id prefix>.<ext>`. With S3 it is a presigned bucket URL even "
        "when `url` goes through CloudFront."
    )
    content_type: str
    width: int | None
    height: int | None
    duration: float | None
    job_id: str | None
    job_type: str | None
    model_id: str | None
    prompt: str | None
    created_at: datetime
    expires_at: datetime | None


class GalleryPage(Schema):
    items: list[GalleryItemOut]
    next_cursor: str | None


class GalleryFilters(Schema):
    kind: str | None = Field(default=None, pattern="^(image|video)$")
    model_id: UUID | None = None
    limit: int = Field(default=24, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


class Deleted(Schema):
    id: str
    deleted: bool


def gallery_item_out(asset) -> dict[str, Any]:
    params = asset.job.params if asset.job_id else {}
    return {
        "id": str(asset.pk),
        "kind": asset.kind,
        "url": asset_url(asset),
        "download_url": asset_download_url(asset),
        "content_type": asset.content_type,
        "width": asset.width,
        "height": asset.height,
        "duration": asset.duration,
        "job_id": str(asset.job_id) if asset.job_id else None,
        "job_type": asset.job.type if asset.job_id else None,
        "model_id": params.get("custom_model_id"),
        "prompt": params.get("prompt"),
        "created_at": asset.created_at,
        "expires_at": asset.expires_at,
    }


def _submitted(request, job_type: str, params: dict, idempotency_key: str | None):
    caller = request.auth
    job = job_submit(
        team=caller.team,
        user=caller.user,
        job_type=job_type,
        params=params,
        idempotency_key=idempotency_key or None,
        ip_address=client_ip(request),
        api_key=caller.api_key,
    )
    position = queue_position_get(team=caller.team, job=job)
    return Status(202, {"job": job_out(job, queue_position=position)})


@router.post("/videos", response={202: JobEnvelope}, openapi_extra=errors(402, 429))
def create_video(
    request,
    payload: VideoIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=200),
):
    """A 5 or 10 second video from one of the team's images (`image_asset_id`) or from a
    custom model's newest image (`model_id`). Priced per second."""
    params = {k: v for k, v in payload.dict().items() if v is not None}
    return _submitted(request, JobType.VIDEO_GENERATION, params, idempotency_key)


@router.post("/face-swap", response={202: JobEnvelope}, openapi_extra=errors(402, 429))
def create_face_swap(
    request,
    payload: FaceSwapIn,
    idempotency_key: str | None = Header(default=None, alias="Idempotency-Key", max_length=200),
):
    """Put a face (a custom model's, or an uploaded photo's) onto a target photo."""
    params = {k: v for k, v in payload.dict().items() if v is not None}
    return _submitted(request, JobType.FACE_SWAP, params, idempotency_key)


@router.get("/assets", response=GalleryPage)
def list_assets(request, filters: Query[GalleryFilters]):
    """The gallery: the team's generated images and videos, newest first."""
    page = paginate(
        gallery_list_for_team(
            team=request.auth.team,
            kind=filters.kind,
            custom_model_id=str(filters.model_id) if filters.model_id else None,
        ),
        limit=filters.limit,
        cursor=filters.cursor,
    )
    return {
        "items": [gallery_item_out(asset) for asset in page.items],
        "next_cursor": page.next_cursor,
    }


@router.delete("/assets/{asset_id}", response=Deleted)
def delete_asset(request, asset_id: UUID):
    asset = gallery_asset_delete(team=request.auth.team, asset_id=asset_id)
    return {"id": str(asset.pk), "deleted": True}
