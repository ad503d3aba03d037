"""Model refinement: a new version of a ready custom model, trained from its current
version's photos (and any new ones) captioned with what should change."""

from typing import Any

from django.db.models import Max

from genfans.core.locks import rows_locked
from genfans.studio.errors import InvalidJobParams, ModelBusy, ModelNotReady
from genfans.studio.models import (
    CustomModel,
    Job,
    ModelVersion,
    ModelVersionKind,
    ModelVersionStatus,
)
from genfans.studio.operations import training
from genfans.studio.operations.base import Operation, Prepared
from genfans.studio.selectors import custom_model_get_for_team

MAX_REFINE_PHOTOS = 30
MAX_INSTRUCTIONS = 1000


def prepare(*, plan, team, raw: dict[str, Any]) -> Prepared:
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
    photos = training.photos_require(
        team=team,
        raw_ids=raw.get("upload_ids") or [],
        field="upload_ids",
        low=0,
        high=MAX_REFINE_PHOTOS,
    )
    quality = training.quality_of(raw)
    params = {
        "model_id": str(model.pk),
        "custom_model_id": str(model.pk),
        "name": model.name,
        "instructions": instructions,
        "upload_ids": [str(p.pk) for p in photos],
        "trigger_word": model.trigger_word,
        "quality": quality,
        "steps": training.TRAINING_STEPS[quality],
    }
    return Prepared(params=params, pricing={"num_images": len(photos), "quality": quality})


def _photos_and_captions(*, model: CustomModel, parent: ModelVersion, params) -> tuple[list, dict]:
    """The parent's photos and the new ones, and their captions: the instructions reach the
    trainer as the captions of the new photos (of every photo when none are new), so the
    trigger word learns what should change."""
    new_photos = training.photos_in_order(params["upload_ids"])
    photos = [*parent.training_images.order_by("created_at"), *new_photos]
    caption = f"{model.trigger_word}, {params['instructions']}"
    return photos, {photo.pk: caption for photo in (new_photos or photos)}


def stage(*, team, prepared: Prepared) -> dict[str, Any]:
    """Before the submit's transaction: the zip of the parent's photos and the new ones. The
    submit checks, under the model's lock, that the parent is still the current version."""
    model = CustomModel.objects.select_related("current_version").get(
        pk=prepared.params["custom_model_id"]
    )
    parent = model.current_version
    photos, captions = _photos_and_captions(model=model, parent=parent, params=prepared.params)
    return {
        "parent_id": parent.pk,
        "archive": training.pack(team=team, photos=photos, captions=captions),
    }


def on_submitted(job: Job, *, staged: dict[str, Any]) -> None:
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
    photos, _ = _photos_and_captions(model=model, parent=parent, params=params)
    number = (model.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = ModelVersion.objects.create(
        model=model,
        number=number,
        parent=parent,
        kind=ModelVersionKind.REFINEMENT,
        instructions=params["instructions"],
        trigger_word=model.trigger_word,
        archive=training.archive_record(team=job.team, stored=staged["archive"]),
        job=job,
        created_by=job.user,
    )
    version.training_images.set(photos)
    training.job_params_remember(job, version_id=str(version.pk), version_number=number)


OPERATION = Operation(
    prepare=prepare,
    provider_input=training.provider_input,
    stage=stage,
    on_submitted=on_submitted,
    on_succeeded=training.on_succeeded,
    on_failed=training.on_failed,
)
