"""Face swap: a face (a custom model's, or an uploaded photo) put onto a target photo. The
sandbox renders it for real from our stored files, so it gets their storage keys besides the
URLs a remote provider fetches."""

import dataclasses
import io
from typing import Any

from PIL import Image, UnidentifiedImageError

from genfans.storage.models import Asset, AssetKind
from genfans.storage.urls import asset_url
from genfans.studio.errors import InvalidJobParams
from genfans.studio.models import Job
from genfans.studio.operations.base import INPUT_URL_SECONDS, Operation, Prepared
from genfans.studio.selectors import asset_source_get_for_team, custom_model_generation_source

SOURCE_KINDS = (AssetKind.IMAGE, AssetKind.UPLOAD)


def _team_image(*, team, asset_id: Any, field: str) -> Asset:
    asset = asset_source_get_for_team(team=team, asset_id=asset_id, kinds=SOURCE_KINDS)
    if asset is None:
        raise InvalidJobParams("Choose one of your team's images.", field=field)
    return asset


def prepare(*, plan, team, raw: dict[str, Any]) -> Prepared:
    target = _team_image(team=team, asset_id=raw.get("target_upload_id"), field="target_upload_id")
    if bool(raw.get("model_id")) == bool(raw.get("face_upload_id")):
        raise InvalidJobParams("Choose either a model or a face photo.", field="face_upload_id")
    custom_model_id = None
    if raw.get("model_id"):
        found = custom_model_generation_source(team=team, model_id=raw["model_id"])
        if found is None:
            raise InvalidJobParams("Choose one of your models.", field="model_id")
        model, version = found
        face = model.cover or version.training_images.order_by("created_at").first()
        custom_model_id = str(model.pk)
    else:
        face = _team_image(team=team, asset_id=raw["face_upload_id"], field="face_upload_id")
    params = {
        "target_asset_id": str(target.pk),
        "face_asset_id": str(face.pk),
        "custom_model_id": custom_model_id,
    }
    return Prepared(params=params, pricing={"num_images": 1})


def provider_input(job: Job, *, provider_name: str) -> dict[str, Any]:
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


def measure(job: Job, output, content: bytes):
    """Not every provider reports an image's size: read it from the downloaded bytes."""
    if output.kind != AssetKind.IMAGE or output.width:
        return output
    try:
        width, height = Image.open(io.BytesIO(content)).size
    except (OSError, UnidentifiedImageError):
        return output
    return dataclasses.replace(output, width=width, height=height)


OPERATION = Operation(prepare=prepare, provider_input=provider_input, measure=measure)
