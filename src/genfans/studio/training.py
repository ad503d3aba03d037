"""Training custom models: what model_creation and model_refinement jobs take, send and keep.

The job engine calls these through `operations` inside its own transactions: `on_submitted`
creates the model and its new version and packs the photos into a zip the provider fetches;
`on_succeeded` stores the weights on the version and makes it current; `on_failed` leaves the
current version in place. Everything a live model needs (photos, weights) loses its expiry so
retention never deletes it.
"""

import io
import re
import zipfile
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Max
from PIL import Image, ImageOps, UnidentifiedImageError

from genfans.catalog.models import ReferenceModel
from genfans.core.errors import NotFound
from genfans.core.ids import uuid_or_none
from genfans.core.locks import rows_locked
from genfans.core.text import text_line
from genfans.storage.models import Asset, AssetKind
from genfans.storage.services import (
    StoredFile,
    asset_file_save,
    asset_record,
    retention_deadline,
)
from genfans.storage.urls import asset_url
from genfans.studio import operations
from genfans.studio.errors import InvalidJobParams, ModelBusy, ModelNotReady
from genfans.studio.models import (
    CustomModel,
    CustomModelStatus,
    Job,
    JobType,
    ModelVersion,
    ModelVersionKind,
    ModelVersionStatus,
)

MIN_PHOTOS, MAX_PHOTOS = 4, 30
MAX_REFINE_PHOTOS = 30
MAX_NAME = 80
MAX_INSTRUCTIONS = 1000
TRAINING_STEPS = {"draft": 500, "standard": 1000, "high": 2000}
# The provider fetches the zip while training, which may wait in its queue and be retried.
ARCHIVE_URL_SECONDS = 24 * 60 * 60
WEIGHTS_URL_SECONDS = 6 * 60 * 60


def trigger_word_for(name: str) -> str:
    """A rare token the weights learn to mean this person: the name's letters and digits."""
    stem = re.sub(r"[^a-z0-9]", "", name.lower())[:24] or "model"
    return f"{stem}_gf"


def _photos(*, team, raw_ids: Any, field: str, low: int, high: int) -> list[Asset]:
    if not isinstance(raw_ids, list) or not all(isinstance(i, str) for i in raw_ids):
        raise InvalidJobParams(f"{field} must be a list of upload ids.", field=field)
    ids = list(dict.fromkeys(raw_ids))
    if not low <= len(ids) <= high:
        raise InvalidJobParams(f"Choose {low} to {high} different photos.", field=field)
    uuids = [uuid_or_none(i) for i in ids]
    found = {
        str(asset.pk): asset
        for asset in Asset.objects.filter(
            team=team,
            kind=AssetKind.UPLOAD,
            deleted_at__isnull=True,
            pk__in=[u for u in uuids if u],
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise InvalidJobParams(
            "Some photos were not found: upload them again.", field=field, missing=missing[:5]
        )
    return [found[i] for i in ids]


def _quality(raw: dict) -> str:
    quality = raw.get("quality") or "standard"
    if quality not in TRAINING_STEPS:
        raise InvalidJobParams("quality must be draft, standard or high.", field="quality")
    return quality


def custom_model_get_for_team(*, team, model_id) -> CustomModel:
    model = (
        CustomModel.objects.select_related(
            "reference_model", "current_version", "cover", "thumbnail"
        )
        .filter(team=team, pk=uuid_or_none(model_id))
        .first()
        if uuid_or_none(model_id)
        else None
    )
    if model is None:
        raise NotFound("No such model.")
    return model


# --- model creation -------------------------------------------------------------------------


def prepare_model_creation(*, plan, team, raw: dict[str, Any]) -> operations.Prepared:
    name = text_line(str(raw.get("name") or ""), field="name")
    if not name:
        raise InvalidJobParams("Give the model a name.", field="name")
    if len(name) > MAX_NAME:
        raise InvalidJobParams(f"The name is longer than {MAX_NAME} characters.", field="name")
    reference = ReferenceModel.objects.filter(
        pk=uuid_or_none(raw.get("reference_model_id")), is_active=True
    ).first()
    if reference is None:
        raise InvalidJobParams(
            "Choose a reference model from the catalog.", field="reference_model_id"
        )
    photos = _photos(
        team=team,
        raw_ids=raw.get("upload_ids"),
        field="upload_ids",
        low=MIN_PHOTOS,
        high=MAX_PHOTOS,
    )
    quality = _quality(raw)
    params = {
        "name": name,
        "reference_model_id": str(reference.pk),
        "upload_ids": [str(p.pk) for p in photos],
        "trigger_word": trigger_word_for(name),
        "quality": quality,
        "steps": TRAINING_STEPS[quality],
    }
    return operations.Prepared(
        params=params, pricing={"num_images": len(photos), "quality": quality}
    )


def _pack(*, team, photos: list[Asset], captions: dict | None = None) -> StoredFile:
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


ARCHIVE_TYPE = "application/zip"
THUMBNAIL_SIZE = (384, 512)
THUMBNAIL_TYPE = "image/jpeg"


def _thumbnail(*, team, photo: Asset) -> StoredFile | None:
    """A small 3:4 copy of the cover for cards, so lists never load full-size photos."""
    try:
        with default_storage.open(photo.storage_key, "rb") as handle:
            image = ImageOps.fit(Image.open(handle).convert("RGB"), THUMBNAIL_SIZE)
    except (OSError, UnidentifiedImageError):
        return None
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    return asset_file_save(
        team=team, kind=AssetKind.THUMBNAIL, content=buffer.getvalue(), content_type=THUMBNAIL_TYPE
    )


def _archive_record(*, team, stored: StoredFile) -> Asset:
    # An input, not an output: the version points at it, the job's outputs stay the weights.
    return asset_record(team=team, stored=stored, kind=AssetKind.ARCHIVE, content_type=ARCHIVE_TYPE)


def _thumbnail_record(*, team, stored: StoredFile | None) -> Asset | None:
    if stored is None:
        return None
    return asset_record(
        team=team,
        stored=stored,
        kind=AssetKind.THUMBNAIL,
        content_type=THUMBNAIL_TYPE,
        width=THUMBNAIL_SIZE[0],
        height=THUMBNAIL_SIZE[1],
        expires=False,
    )


def _remember(job: Job, **values) -> None:
    job.params = {**job.params, **values}
    Job.objects.filter(pk=job.pk).update(params=job.params)


def _photos_in_order(ids: list[str]) -> list[Asset]:
    photos = list(Asset.objects.filter(pk__in=ids))
    photos.sort(key=lambda a: ids.index(str(a.pk)))
    return photos


def stage_model_creation(*, team, prepared: operations.Prepared) -> dict[str, Any]:
    """Before the submit's transaction: the cover's thumbnail and the photos' zip."""
    photos = _photos_in_order(prepared.params["upload_ids"])
    staged: dict[str, Any] = {"archive": _pack(team=team, photos=photos)}
    staged["thumbnail"] = _thumbnail(team=team, photo=photos[0])
    return staged


def on_model_creation_submitted(job: Job, *, staged: dict[str, Any]) -> None:
    params = job.params
    photos = _photos_in_order(params["upload_ids"])
    model = CustomModel.objects.create(
        team=job.team,
        reference_model_id=params["reference_model_id"],
        name=params["name"],
        trigger_word=params["trigger_word"],
        cover=photos[0],
        thumbnail=_thumbnail_record(team=job.team, stored=staged["thumbnail"]),
        created_by=job.user,
    )
    version = ModelVersion.objects.create(
        model=model,
        number=1,
        kind=ModelVersionKind.CREATION,
        trigger_word=params["trigger_word"],
        archive=_archive_record(team=job.team, stored=staged["archive"]),
        job=job,
        created_by=job.user,
    )
    version.training_images.set(photos)
    _remember(job, custom_model_id=str(model.pk), version_id=str(version.pk), version_number=1)


# --- refinement -----------------------------------------------------------------------------


def prepare_model_refinement(*, plan, team, raw: dict[str, Any]) -> operations.Prepared:
    model = custom_model_get_for_team(team=team, model_id=raw.get("model_id"))
    if not model.can_generate:
        raise ModelNotReady(status=model.status)
    instructions = str(raw.get("instructions") or "").strip()
    if not instructions:
        raise InvalidJobParams("Say what should change.", field="instructions")
    if len(instructions) > MAX_INSTRUCTIONS:
        raise InvalidJobParams(
            f"Instructions are longer than {MAX_INSTRUCTIONS} characters.", field="instructions"
        )
    photos = _photos(
        team=team,
        raw_ids=raw.get("upload_ids") or [],
        field="upload_ids",
        low=0,
        high=MAX_REFINE_PHOTOS,
    )
    quality = _quality(raw)
    params = {
        "model_id": str(model.pk),
        "custom_model_id": str(model.pk),
        "name": model.name,
        "instructions": instructions,
        "upload_ids": [str(p.pk) for p in photos],
        "trigger_word": model.trigger_word,
        "quality": quality,
        "steps": TRAINING_STEPS[quality],
    }
    return operations.Prepared(
        params=params, pricing={"num_images": len(photos), "quality": quality}
    )


def _refinement_photos(*, model: CustomModel, parent: ModelVersion, params) -> tuple[list, dict]:
    """The parent's photos and the new ones, and their captions: the instructions reach the
    trainer as the captions of the new photos (of every photo when none are new), so the
    trigger word learns what should change."""
    new_photos = _photos_in_order(params["upload_ids"])
    photos = [*parent.training_images.order_by("created_at"), *new_photos]
    caption = f"{model.trigger_word}, {params['instructions']}"
    return photos, {photo.pk: caption for photo in (new_photos or photos)}


def stage_model_refinement(*, team, prepared: operations.Prepared) -> dict[str, Any]:
    """Before the submit's transaction: the zip of the parent's photos and the new ones. The
    submit checks, under the model's lock, that the parent is still the current version."""
    model = CustomModel.objects.select_related("current_version").get(
        pk=prepared.params["custom_model_id"]
    )
    parent = model.current_version
    photos, captions = _refinement_photos(model=model, parent=parent, params=prepared.params)
    return {
        "parent_id": parent.pk,
        "archive": _pack(team=team, photos=photos, captions=captions),
    }


def on_model_refinement_submitted(job: Job, *, staged: dict[str, Any]) -> None:
    params = job.params
    # The model row serialises a model's refinements: one at a time, numbers without gaps.
    model = rows_locked(
        "custom_model", CustomModel.objects.filter(pk=params["custom_model_id"])
    ).get()
    if not model.can_generate:
        raise ModelNotReady(status=model.status)
    if model.versions.filter(status=ModelVersionStatus.TRAINING).exists():
        raise ModelBusy()
    if model.current_version_id != staged["parent_id"]:
        raise ModelBusy()  # a refinement finished since the zip was made: submit again
    parent = model.current_version
    photos, _ = _refinement_photos(model=model, parent=parent, params=params)
    number = (model.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = ModelVersion.objects.create(
        model=model,
        number=number,
        parent=parent,
        kind=ModelVersionKind.REFINEMENT,
        instructions=params["instructions"],
        trigger_word=model.trigger_word,
        archive=_archive_record(team=job.team, stored=staged["archive"]),
        job=job,
        created_by=job.user,
    )
    version.training_images.set(photos)
    _remember(job, version_id=str(version.pk), version_number=number)


# --- both -----------------------------------------------------------------------------------


def training_input(job: Job, *, provider_name: str) -> dict[str, Any]:
    version = ModelVersion.objects.select_related("archive").get(pk=job.params["version_id"])
    return {
        "images_data_url": asset_url(
            version.archive, absolute=True, expires_in=ARCHIVE_URL_SECONDS
        ),
        "trigger_word": version.trigger_word,
        "steps": job.params["steps"],
        "create_masks": True,
    }


def on_training_succeeded(job: Job, *, assets, artefacts) -> None:
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
    Asset.objects.filter(pk__in=needed).update(expires_at=None)
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


def on_training_failed(job: Job) -> None:
    """A failed or canceled training leaves the current version (if any) in place."""
    version = ModelVersion.objects.filter(job=job).first()
    if version is not None:
        _version_failed(version)


# --- generating from a custom model ---------------------------------------------------------


def generation_source(*, team, model_id: Any, version: Any = None):
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


def custom_generation_input(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The prompt prefix and fal `loras` for an image generated from a custom model version."""
    version = ModelVersion.objects.select_related("weights").get(pk=params["version_id"])
    weights_url = asset_url(version.weights, absolute=True, expires_in=WEIGHTS_URL_SECONDS)
    return f"photo of {version.trigger_word}", [{"path": weights_url, "scale": 1}]


def model_assets_release(*, model: CustomModel) -> int:
    """An archived model no longer needs its files: they expire like any other output."""
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
    return Asset.objects.filter(pk__in=ids - keep, expires_at__isnull=True).update(
        expires_at=retention_deadline()
    )


operations.PREPARERS[JobType.MODEL_CREATION] = prepare_model_creation
operations.PREPARERS[JobType.MODEL_REFINEMENT] = prepare_model_refinement
operations.INPUTS[JobType.MODEL_CREATION] = training_input
operations.INPUTS[JobType.MODEL_REFINEMENT] = training_input
operations.STAGES[JobType.MODEL_CREATION] = stage_model_creation
operations.STAGES[JobType.MODEL_REFINEMENT] = stage_model_refinement
operations.ON_SUBMITTED[JobType.MODEL_CREATION] = on_model_creation_submitted
operations.ON_SUBMITTED[JobType.MODEL_REFINEMENT] = on_model_refinement_submitted
operations.ON_SUCCEEDED[JobType.MODEL_CREATION] = on_training_succeeded
operations.ON_SUCCEEDED[JobType.MODEL_REFINEMENT] = on_training_succeeded
operations.ON_FAILED[JobType.MODEL_CREATION] = on_training_failed
operations.ON_FAILED[JobType.MODEL_REFINEMENT] = on_training_failed
