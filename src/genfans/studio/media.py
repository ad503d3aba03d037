"""Video generation and face swap: what the jobs take and send, and the gallery of results.

Video turns one of the team's images (or a custom model's newest image) into a 5 or 10
second clip (fal's kling image-to-video); face swap puts a face (a custom model's or an
uploaded photo) onto a target photo. The sandbox renders both for real from our stored files,
so it gets their storage keys besides the URLs a remote provider fetches.
"""

import dataclasses
import io
import logging
from typing import Any

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from PIL import Image, UnidentifiedImageError

from genfans.billing import entitlements
from genfans.core.errors import NotFound
from genfans.core.ids import uuid_or_none
from genfans.core.locks import rows_locked
from genfans.core.transactions import call_on_commit
from genfans.storage.models import Asset, AssetKind
from genfans.storage.urls import asset_url
from genfans.studio import operations
from genfans.studio.errors import InvalidJobParams
from genfans.studio.models import CustomModel, Job, JobType
from genfans.studio.training import generation_source

logger = logging.getLogger(__name__)

ASPECT_RATIOS = ("16:9", "9:16", "1:1")
VIDEO_DURATIONS = (5, 10)
VIDEO_RESOLUTION = "720p"  # kling standard renders 720p
DEFAULT_MOTION = "natural, gentle camera motion"
# Remote providers fetch inputs from these links, possibly after a wait in their queue.
INPUT_URL_SECONDS = 6 * 60 * 60
SOURCE_KINDS = (AssetKind.IMAGE, AssetKind.UPLOAD)
GALLERY_KINDS = (AssetKind.IMAGE, AssetKind.VIDEO)


def _team_asset(*, team, asset_id: Any, field: str, kinds=SOURCE_KINDS) -> Asset:
    asset_uuid = uuid_or_none(asset_id) if asset_id else None
    asset = (
        Asset.objects.filter(
            team=team, pk=asset_uuid, kind__in=kinds, deleted_at__isnull=True
        ).first()
        if asset_uuid
        else None
    )
    if asset is None:
        raise InvalidJobParams("Choose one of your team's images.", field=field)
    return asset


def _model_of_image(asset: Asset) -> str | None:
    """The custom model an image was generated from, so the gallery can file what it makes."""
    if asset.job_id is None:
        return None
    return (asset.job.params or {}).get("custom_model_id")


def newest_image_of_model(*, team, model: CustomModel) -> Asset | None:
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


# --- video ----------------------------------------------------------------------------------


def prepare_video_generation(*, plan, team, raw: dict[str, Any]) -> operations.Prepared:
    custom_model_id = None
    if raw.get("image_asset_id"):
        source = _team_asset(team=team, asset_id=raw["image_asset_id"], field="image_asset_id")
        custom_model_id = _model_of_image(source)
    elif raw.get("model_id"):
        found = generation_source(team=team, model_id=raw["model_id"])
        if found is None:
            raise InvalidJobParams("Choose one of your models.", field="model_id")
        model, _ = found
        source = newest_image_of_model(team=team, model=model)
        if source is None:
            raise InvalidJobParams(
                "This model has no images yet: generate one first.", field="model_id"
            )
        custom_model_id = str(model.pk)
    else:
        raise InvalidJobParams("Choose an image or a model.", field="image_asset_id")
    prompt = str(raw.get("prompt") or "").strip() or DEFAULT_MOTION
    if len(prompt) > operations.MAX_PROMPT:
        raise InvalidJobParams("The prompt is too long.", field="prompt")
    duration = raw.get("duration_s", 5)
    if isinstance(duration, bool) or duration not in VIDEO_DURATIONS:
        raise InvalidJobParams("duration_s must be 5 or 10.", field="duration_s")
    entitlements.video_seconds_require(plan=plan, seconds=duration)
    aspect_ratio = raw.get("aspect_ratio") or "16:9"
    if aspect_ratio not in ASPECT_RATIOS:
        raise InvalidJobParams("aspect_ratio must be 16:9, 9:16 or 1:1.", field="aspect_ratio")
    params = {
        "source_asset_id": str(source.pk),
        "custom_model_id": custom_model_id,
        "prompt": prompt,
        "duration_s": duration,
        "aspect_ratio": aspect_ratio,
        "resolution": VIDEO_RESOLUTION,
    }
    return operations.Prepared(
        params=params, pricing={"duration_s": duration, "resolution": VIDEO_RESOLUTION}
    )


def video_generation_input(job: Job, *, provider_name: str) -> dict[str, Any]:
    params = job.params
    source = Asset.objects.get(pk=params["source_asset_id"])
    data = {
        "prompt": params["prompt"],
        "image_url": asset_url(source, absolute=True, expires_in=INPUT_URL_SECONDS),
        "duration": str(params["duration_s"]),
        "aspect_ratio": params["aspect_ratio"],
    }
    if provider_name == "higgsfield":
        data["duration"] = params["duration_s"]  # DoP takes seconds as a number
    if provider_name == "sandbox":
        data["sandbox_source_key"] = source.storage_key
    return data


def video_probe(content: bytes) -> tuple[float | None, int | None, int | None]:
    """(seconds, width, height) of an MP4, read from its container."""
    import av  # loads FFmpeg's libraries: only when a video is read

    try:
        with av.open(io.BytesIO(content)) as container:
            stream = container.streams.video[0]
            seconds = container.duration / 1_000_000 if container.duration else None
            return seconds, stream.codec_context.width, stream.codec_context.height
    except (av.FFmpegError, IndexError):
        return None, None, None


def video_measure(job: Job, output, content: bytes):
    """Providers do not always say how long the clip is: read it from the downloaded bytes
    (before the job's transaction, never from storage under its locks)."""
    if output.kind != AssetKind.VIDEO or (output.duration and output.width):
        return output
    seconds, width, height = video_probe(content)
    return dataclasses.replace(
        output,
        duration=output.duration or seconds or float(job.params["duration_s"]),
        width=output.width or width,
        height=output.height or height,
    )


def image_measure(job: Job, output, content: bytes):
    """Not every provider reports an image's size: read it from the downloaded bytes."""
    if output.kind != AssetKind.IMAGE or output.width:
        return output
    try:
        width, height = Image.open(io.BytesIO(content)).size
    except (OSError, UnidentifiedImageError):
        return output
    return dataclasses.replace(output, width=width, height=height)


# --- face swap ------------------------------------------------------------------------------


def prepare_face_swap(*, plan, team, raw: dict[str, Any]) -> operations.Prepared:
    target = _team_asset(team=team, asset_id=raw.get("target_upload_id"), field="target_upload_id")
    if bool(raw.get("model_id")) == bool(raw.get("face_upload_id")):
        raise InvalidJobParams("Choose either a model or a face photo.", field="face_upload_id")
    custom_model_id = None
    if raw.get("model_id"):
        found = generation_source(team=team, model_id=raw["model_id"])
        if found is None:
            raise InvalidJobParams("Choose one of your models.", field="model_id")
        model, version = found
        face = model.cover or version.training_images.order_by("created_at").first()
        custom_model_id = str(model.pk)
    else:
        face = _team_asset(team=team, asset_id=raw["face_upload_id"], field="face_upload_id")
    params = {
        "target_asset_id": str(target.pk),
        "face_asset_id": str(face.pk),
        "custom_model_id": custom_model_id,
    }
    return operations.Prepared(params=params, pricing={"num_images": 1})


def face_swap_input(job: Job, *, provider_name: str) -> dict[str, Any]:
    target = Asset.objects.get(pk=job.params["target_asset_id"])
    face = Asset.objects.get(pk=job.params["face_asset_id"])
    data = {
        "base_image_url": asset_url(target, absolute=True, expires_in=INPUT_URL_SECONDS),
        "swap_image_url": asset_url(face, absolute=True, expires_in=INPUT_URL_SECONDS),
    }
    if provider_name == "sandbox":
        data["sandbox_base_key"] = target.storage_key
        data["sandbox_swap_key"] = face.storage_key
    return data


# --- gallery --------------------------------------------------------------------------------


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


@transaction.atomic(durable=True)
def gallery_asset_delete(*, team, asset_id) -> Asset:
    """Hide the asset now and delete its file after commit; a second delete is not found."""
    asset_uuid = uuid_or_none(asset_id)
    asset = (
        rows_locked(
            "asset",
            Asset.objects.filter(
                team=team, pk=asset_uuid, kind__in=GALLERY_KINDS, deleted_at__isnull=True
            ),
        ).first()
        if asset_uuid
        else None
    )
    if asset is None:
        raise NotFound("No such image or video.")
    asset.deleted_at = timezone.now()
    asset.save(update_fields=["deleted_at", "updated_at"])
    call_on_commit(_file_delete, asset.storage_key)
    return asset


def _file_delete(key: str) -> None:
    try:
        default_storage.delete(key)
    except Exception:  # noqa: BLE001 - the row is already hidden; cleanup retries orphans
        logger.exception("could not delete %s", key)


operations.PREPARERS[JobType.VIDEO_GENERATION] = prepare_video_generation
operations.PREPARERS[JobType.FACE_SWAP] = prepare_face_swap
operations.INPUTS[JobType.VIDEO_GENERATION] = video_generation_input
operations.INPUTS[JobType.FACE_SWAP] = face_swap_input
operations.MEASURES[JobType.VIDEO_GENERATION] = video_measure
operations.MEASURES[JobType.FACE_SWAP] = image_measure
