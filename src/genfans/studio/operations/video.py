"""Video generation: one of the team's images (or a custom model's newest image) turned into
a 5 or 10 second clip (fal's kling image-to-video). The sandbox renders it for real from our
stored file, so it gets the storage key besides the URL a remote provider fetches."""

import dataclasses
import io
from typing import Any

from genfans.billing import entitlements
from genfans.providers.registry import Needs
from genfans.storage.models import Asset, AssetKind
from genfans.storage.urls import asset_url
from genfans.studio.errors import InvalidJobParams
from genfans.studio.models import Job
from genfans.studio.operations.base import INPUT_URL_SECONDS, MAX_PROMPT, Operation, Prepared
from genfans.studio.selectors import (
    asset_source_get_for_team,
    custom_model_generation_source,
    model_newest_image_get,
)

ASPECT_RATIOS = ("16:9", "9:16", "1:1")
VIDEO_DURATIONS = (5, 10)
VIDEO_RESOLUTION = "720p"  # kling standard renders 720p
DEFAULT_MOTION = "natural, gentle camera motion"
SOURCE_KINDS = (AssetKind.IMAGE, AssetKind.UPLOAD)


def _source(*, team, raw: dict[str, Any]) -> tuple[Asset, str | None]:
    """The image to animate and the custom model it came from, so the gallery can file the
    clip with that model."""
    if raw.get("image_asset_id"):
        source = asset_source_get_for_team(
            team=team, asset_id=raw["image_asset_id"], kinds=SOURCE_KINDS
        )
        if source is None:
            raise InvalidJobParams("Choose one of your team's images.", field="image_asset_id")
        model_id = (source.job.params or {}).get("custom_model_id") if source.job_id else None
        return source, model_id
    if raw.get("model_id"):
        found = custom_model_generation_source(team=team, model_id=raw["model_id"])
        if found is None:
            raise InvalidJobParams("Choose one of your models.", field="model_id")
        model, _ = found
        source = model_newest_image_get(team=team, model=model)
        if source is None:
            raise InvalidJobParams(
                "This model has no images yet: generate one first.", field="model_id"
            )
        return source, str(model.pk)
    raise InvalidJobParams("Choose an image or a model.", field="image_asset_id")


def prepare(*, plan, team, raw: dict[str, Any]) -> Prepared:
    source, custom_model_id = _source(team=team, raw=raw)
    prompt = str(raw.get("prompt") or "").strip() or DEFAULT_MOTION
    if len(prompt) > MAX_PROMPT:
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
    return Prepared(params=params, pricing={"duration_s": duration, "resolution": VIDEO_RESOLUTION})


def provider_input(job: Job, *, provider_name: str) -> dict[str, Any]:
    params = job.params
    source = Asset.objects.get(pk=params["source_asset_id"])
    image_url = asset_url(source, absolute=True, expires_in=INPUT_URL_SECONDS)
    if provider_name == "higgsfield":
        # DoP's own fields: it follows the image's framing and takes seconds as a number (its
        # capability routes only the lengths it makes here).
        return {
            "prompt": params["prompt"],
            "image_url": image_url,
            "duration": params["duration_s"],
        }
    data = {
        "prompt": params["prompt"],
        "image_url": image_url,
        "duration": str(params["duration_s"]),
        "aspect_ratio": params["aspect_ratio"],
    }
    if provider_name == "fal":
        # kling's image-to-video declares no aspect_ratio: the clip takes the source's shape.
        del data["aspect_ratio"]
    if provider_name == "sandbox":
        data["sandbox_source_key"] = source.storage_key
    return data


def video_probe(content: bytes) -> tuple[float | None, int | None, int | None]:
    """(seconds, width, height) of an MP4, read from its container."""
    # Not a cycle: importing av loads FFmpeg's libraries, which only a worker reading a video
    # needs (web processes never do).
    import av

    try:
        with av.open(io.BytesIO(content)) as container:
            stream = container.streams.video[0]
            seconds = container.duration / 1_000_000 if container.duration else None
            return seconds, stream.codec_context.width, stream.codec_context.height
    except (av.FFmpegError, IndexError):
        return None, None, None


def measure(job: Job, output, content: bytes):
    """How long the delivered clip is, and its size, read from its bytes (before the job's
    transaction, never from storage under its locks): that length is what is charged. The
    provider's own figure, then the length asked for, stand in only when the file says
    nothing."""
    if output.kind != AssetKind.VIDEO:
        return output
    seconds, width, height = video_probe(content)
    return dataclasses.replace(
        output,
        duration=seconds or output.duration or float(job.params["duration_s"]),
        width=width or output.width,
        height=height or output.height,
    )


def delivered_pricing(job: Job, *, assets) -> dict[str, Any]:
    """A clip is charged as the priced length nearest to what was delivered, never more than
    the length asked for (and reserved): a 10 s request that came back as 5 s pays for 5."""
    asked = job.params["duration_s"]
    clip = next((asset for asset in assets if asset.kind == AssetKind.VIDEO), None)
    seconds = asked
    if clip is not None and clip.duration:
        priced = [length for length in VIDEO_DURATIONS if length <= asked]
        seconds = min(priced, key=lambda length: abs(length - clip.duration))
    return {**job.params.get("pricing", {}), "duration_s": seconds}


def needs(params: dict[str, Any]) -> Needs:
    return Needs(video_seconds=params["duration_s"])


OPERATION = Operation(
    prepare=prepare,
    provider_input=provider_input,
    measure=measure,
    delivered_pricing=delivered_pricing,
    needs=needs,
)
