"""What model_creation and model_refinement share: the photos they take, the zip the provider
trains from, what they send, and what a finished or failed training leaves on the model.

Everything a live model needs (photos, weights) loses its expiry so retention never deletes it.
"""

import io
import zipfile
from typing import Any

from django.core.files.storage import default_storage

from genfans.core.locks import rows_locked
from genfans.credits.calculator import DEFAULT_QUALITY
from genfans.storage.errors import PhotoTooSmall
from genfans.storage.models import Asset, AssetKind
from genfans.storage.services import (
    StoredFile,
    asset_file_save,
    asset_record,
    asset_retention_clear,
)
from genfans.storage.uploads import image_short_side_check
from genfans.storage.urls import asset_url
from genfans.studio.errors import InvalidJobParams
from genfans.studio.models import (
    CustomModel,
    CustomModelStatus,
    Job,
    ModelVersion,
    ModelVersionKind,
    ModelVersionStatus,
)
from genfans.studio.operations.base import quality_require
from genfans.studio.selectors import uploads_by_id_for_team

MAX_NAME = 80
TRAINING_STEPS = {"draft": 500, "standard": 1000, "high": 2000}
ARCHIVE_TYPE = "application/zip"
# The provider fetches the zip while training, which may wait in its queue and be retried.
ARCHIVE_URL_SECONDS = 24 * 60 * 60
# The trainer learns a face from detail a thumbnail does not have: every training photo (new
# model or refinement, page or API) is at least this long on its short side.
MIN_PHOTO_SIDE = 512


def photos_require(*, team, raw_ids: Any, field: str, low: int, high: int) -> list[Asset]:
    if not isinstance(raw_ids, list) or not all(isinstance(i, str) for i in raw_ids):
        raise InvalidJobParams(f"{field} must be a list of upload ids.", field=field)
    ids = list(dict.fromkeys(raw_ids))
    if not low <= len(ids) <= high:
        raise InvalidJobParams(f"Choose {low} to {high} different photos.", field=field)
    found = uploads_by_id_for_team(team=team, upload_ids=ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidJobParams(
            "Some photos were not found: upload them again.", field=field, missing=missing[:5]
        )
    photos = [found[i] for i in ids]
    _photos_large_enough(photos, field=field)
    return photos


def _photos_large_enough(photos: list[Asset], *, field: str) -> None:
    small = []
    for photo in photos:
        try:
            image_short_side_check(
                width=photo.width or 0, height=photo.height or 0, min_side=MIN_PHOTO_SIDE
            )
        except PhotoTooSmall as error:
            small.append((photo, error))
    if small:
        _, first = small[0]
        raise PhotoTooSmall(
            first.message
            if len(small) == 1
            else f"{len(small)} photos are too small. {first.message}",
            field=field,
            min_side=MIN_PHOTO_SIDE,
            photos=[
                {"upload_id": str(p.pk), "width": p.width, "height": p.height} for p, _ in small
            ],
        )


def quality_of(raw: dict) -> str:
    return quality_require(raw.get("quality") or DEFAULT_QUALITY)


def photos_in_order(ids: list[str]) -> list[Asset]:
    photos = list(Asset.objects.filter(pk__in=ids))
    photos.sort(key=lambda a: ids.index(str(a.pk)))
    return photos


def pack(*, team, photos: list[Asset], captions: dict | None = None) -> StoredFile:
    """The photos as one zip at a URL the provider can fetch (fal's `images_data_url`).

    A photo may carry a caption: a text file of the same name, which fal's trainer reads
    instead of captioning the photo itself. Storage I/O (up to 30 reads and a write): run
    before the submit's transaction, which records the file as the version's archive."""
    captions = captions or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for index, photo in enumerate(photos, start=1):
            extension = photo.storage_key.rsplit(".", 1)[-1]
            with default_storage.open(photo.storage_key, "rb") as handle:
                archive.writestr(f"{index:02d}.{extension}", handle.read())
            if photo.pk in captions:
                archive.writestr(f"{index:02d}.txt", captions[photo.pk])
    return asset_file_save(
        team=team, kind=AssetKind.ARCHIVE, content=buffer.getvalue(), content_type=ARCHIVE_TYPE
    )


def archive_record(*, team, stored: StoredFile) -> Asset:
    # An input, not an output: the version points at it, the job's outputs stay the weights.
    return asset_record(team=team, stored=stored, kind=AssetKind.ARCHIVE, content_type=ARCHIVE_TYPE)


def job_params_remember(job: Job, **values) -> None:
    job.params = {**job.params, **values}
    Job.objects.filter(pk=job.pk).update(params=job.params)


def provider_input(job: Job, *, provider_name: str) -> dict[str, Any]:
    version = ModelVersion.objects.select_related("archive").get(pk=job.params["version_id"])
    return {
        "images_data_url": asset_url(
            version.archive, absolute=True, expires_in=ARCHIVE_URL_SECONDS
        ),
        "trigger_word": version.trigger_word,
        "steps": job.params["steps"],
        "create_masks": True,
    }


def on_succeeded(job: Job, *, assets, artefacts) -> None:
    version = rows_locked(
        "model_version", ModelVersion.objects.select_related("model").filter(job=job)
    ).first()
    if version is None:
        return
    weights = next((asset for asset in assets if asset.kind == AssetKind.WEIGHTS), None)
    if weights is None:
        _version_failed(version)
        return
    ModelVersion.objects.filter(pk=version.pk).update(
        status=ModelVersionStatus.READY,
        weights=weights,
        artefacts={
            "provider_weights_url": artefacts.get("weights_url", ""),
            "trigger_word": version.trigger_word,
            "weights_asset_id": str(weights.pk),
        },
    )
    # A live model keeps its photos and weights: retention skips rows without an expiry.
    needed = [weights.pk, *version.training_images.values_list("pk", flat=True)]
    asset_retention_clear(team=job.team, asset_ids=needed)
    model = version.model
    updates = {"current_version_id": version.pk}
    if model.status in (CustomModelStatus.TRAINING, CustomModelStatus.FAILED):
        updates["status"] = CustomModelStatus.READY
    CustomModel.objects.filter(pk=model.pk).update(**updates)


def _version_failed(version: ModelVersion) -> None:
    ModelVersion.objects.filter(pk=version.pk, status=ModelVersionStatus.TRAINING).update(
        status=ModelVersionStatus.FAILED
    )
    if version.kind == ModelVersionKind.CREATION:
        CustomModel.objects.filter(pk=version.model_id, status=CustomModelStatus.TRAINING).update(
            status=CustomModelStatus.FAILED
        )


def on_failed(job: Job) -> None:
    """A failed or canceled training leaves the current version (if any) in place."""
    version = ModelVersion.objects.filter(job=job).first()
    if version is not None:
        _version_failed(version)
