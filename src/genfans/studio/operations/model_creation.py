"""Model creation: 4 to 30 photos of one person trained into a custom model's first version.
`on_submitted` creates the model and the version in the submit's transaction, so a model never
exists without its paid job or vice versa."""

import io
import re
from typing import Any

from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

from genfans.catalog.models import ReferenceModel
from genfans.core.ids import uuid_or_none
from genfans.core.text import text_line
from genfans.storage.models import Asset, AssetKind
from genfans.storage.services import StoredFile, asset_file_save, asset_record
from genfans.studio.errors import InvalidJobParams
from genfans.studio.models import CustomModel, Job, ModelVersion, ModelVersionKind
from genfans.studio.operations import training
from genfans.studio.operations.base import Operation, Prepared

MIN_PHOTOS, MAX_PHOTOS = 4, 30
THUMBNAIL_SIZE = (384, 512)
THUMBNAIL_TYPE = "image/jpeg"


def trigger_word_for(name: str) -> str:
    """A rare token the weights learn to mean this person: the name's letters and digits."""
    stem = re.sub(r"[^a-z0-9]", "", name.lower())[:24] or "model"
    return f"{stem}_gf"


def prepare(*, plan, team, raw: dict[str, Any]) -> Prepared:
    name = text_line(str(raw.get("name") or ""), field="name")
    if not name:
        raise InvalidJobParams("Give the model a name.", field="name")
    if len(name) > training.MAX_NAME:
        raise InvalidJobParams(
            f"The name is longer than {training.MAX_NAME} characters.", field="name"
        )
    reference = ReferenceModel.objects.filter(
        pk=uuid_or_none(raw.get("reference_model_id")), is_active=True
    ).first()
    if reference is None:
        raise InvalidJobParams(
            "Choose a reference model from the catalog.", field="reference_model_id"
        )
    photos = training.photos_require(
        team=team,
        raw_ids=raw.get("upload_ids"),
        field="upload_ids",
        low=MIN_PHOTOS,
        high=MAX_PHOTOS,
    )
    quality = training.quality_of(raw)
    params = {
        "name": name,
        "reference_model_id": str(reference.pk),
        "upload_ids": [str(p.pk) for p in photos],
        "trigger_word": trigger_word_for(name),
        "quality": quality,
        "steps": training.TRAINING_STEPS[quality],
    }
    return Prepared(params=params, pricing={"num_images": len(photos), "quality": quality})


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


def stage(*, team, prepared: Prepared) -> dict[str, Any]:
    """Before the submit's transaction: the cover's thumbnail and the photos' zip."""
    photos = training.photos_in_order(prepared.params["upload_ids"])
    staged: dict[str, Any] = {"archive": training.pack(team=team, photos=photos)}
    staged["thumbnail"] = _thumbnail(team=team, photo=photos[0])
    return staged


def on_submitted(job: Job, *, staged: dict[str, Any]) -> None:
    params = job.params
    photos = training.photos_in_order(params["upload_ids"])
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
        archive=training.archive_record(team=job.team, stored=staged["archive"]),
        job=job,
        created_by=job.user,
    )
    version.training_images.set(photos)
    training.job_params_remember(
        job, custom_model_id=str(model.pk), version_id=str(version.pk), version_number=1
    )


OPERATION = Operation(
    prepare=prepare,
    provider_input=training.provider_input,
    stage=stage,
    on_submitted=on_submitted,
    on_succeeded=training.on_succeeded,
    on_failed=training.on_failed,
)
