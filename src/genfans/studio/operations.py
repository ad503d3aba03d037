"""What each job type takes, costs and asks of a provider.

`prepare` validates a request into the params stored on the job and the figures the
calculator prices; `provider_input` turns a job into a provider request body (fal's shape,
which the sandbox shares; Higgsfield's own); `delivered_pricing` prices what was delivered.
"""

from dataclasses import dataclass
from typing import Any

from genfans.billing import entitlements
from genfans.catalog.models import ReferenceModel
from genfans.core.ids import uuid_or_none
from genfans.studio.errors import InvalidJobParams
from genfans.studio.models import JobType

QUALITIES = ("draft", "standard", "high")
INFERENCE_STEPS = {"draft": 12, "standard": 28, "high": 40}
SIZES = [
    (512, 512),
    (768, 768),
    (1024, 1024),
    (768, 1024),
    (1024, 768),
    (1024, 1536),
    (1536, 1024),
    (1536, 1536),
    (2048, 2048),
]
MAX_IMAGES = 8
MAX_PROMPT = 2000


@dataclass(frozen=True)
class Prepared:
    params: dict[str, Any]
    pricing: dict[str, Any]


def _int(raw: dict, name: str, default: int | None = None) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidJobParams(f"{name} must be a whole number.", field=name)
    return value


def prepare_image_generation(*, plan, team, raw: dict[str, Any]) -> Prepared:
    prompt = str(raw.get("prompt") or "").strip()
    if not prompt:
        raise InvalidJobParams("Write a prompt.", field="prompt")
    if len(prompt) > MAX_PROMPT:
        raise InvalidJobParams(
            f"The prompt is longer than {MAX_PROMPT} characters.", field="prompt"
        )
    num_images = _int(raw, "num_images", 1)
    if not 1 <= num_images <= MAX_IMAGES:
        raise InvalidJobParams(f"num_images must be 1 to {MAX_IMAGES}.", field="num_images")
    width, height = _int(raw, "width", 1024), _int(raw, "height", 1024)
    if (width, height) not in SIZES:
        allowed = ", ".join(f"{w}x{h}" for w, h in SIZES)
        raise InvalidJobParams(f"Size must be one of {allowed}.", field="width")
    entitlements.image_side_require(plan=plan, side=max(width, height))
    quality = raw.get("quality", "standard")
    if quality not in QUALITIES:
        raise InvalidJobParams("quality must be draft, standard or high.", field="quality")
    seed = raw.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InvalidJobParams("seed must be a non-negative whole number.", field="seed")
    custom = training.generation_source(
        team=team, model_id=raw.get("model_id"), version=raw.get("version")
    )
    if custom is not None:
        model, version = custom
        source = {
            "model_id": str(model.pk),
            "model_name": f"{model.name} v{version.number}",
            "custom_model_id": str(model.pk),
            "version_id": str(version.pk),
            "version_number": version.number,
        }
    else:
        reference = _reference_model(raw.get("model_id"))
        source = {"model_id": str(reference.pk), "model_name": reference.name}
    params = {
        **source,
        "prompt": prompt,
        "num_images": num_images,
        "width": width,
        "height": height,
        "quality": quality,
        "seed": seed,
    }
    pricing = {"num_images": num_images, "width": width, "height": height, "quality": quality}
    return Prepared(params=params, pricing=pricing)


def _reference_model(model_id: Any) -> ReferenceModel:
    reference = None
    if model_id:
        reference = ReferenceModel.objects.filter(pk=uuid_or_none(model_id), is_active=True).first()
    if reference is None:
        raise InvalidJobParams("Choose a model from the catalog.", field="model_id")
    return reference


def image_generation_input(job, *, provider_name: str) -> dict[str, Any]:
    params = job.params
    loras = None
    if params.get("custom_model_id"):
        # A custom model's version: its trigger word and its weights, as we stored them.
        subject, loras = training.custom_generation_input(params)
        prompt = f"{subject}, {params['prompt']}"
    else:
        reference = ReferenceModel.objects.get(pk=params["model_id"])
        prompt = (
            f"{reference.base_prompt}, {params['prompt']}"
            if reference.base_prompt
            else params["prompt"]
        )
    seed = params["seed"] if params["seed"] is not None else int(job.pk.int % 2**31)
    if provider_name == "higgsfield":
        return {
            "prompt": prompt,
            "width": params["width"],
            "height": params["height"],
            "num_images": params["num_images"],
            "seed": seed,
            "quality": params["quality"],
        }
    data = {
        "prompt": prompt,
        "image_size": {"width": params["width"], "height": params["height"]},
        "num_images": params["num_images"],
        "num_inference_steps": INFERENCE_STEPS[params["quality"]],
        "seed": seed,
        "enable_safety_checker": True,
        "output_format": "jpeg",
    }
    if loras:
        data["loras"] = loras
    return data


PREPARERS = {JobType.IMAGE_GENERATION: prepare_image_generation}
INPUTS = {JobType.IMAGE_GENERATION: image_generation_input}


def prepare(*, job_type: str, plan, team, raw: dict[str, Any]) -> Prepared:
    """Check the plan may run `job_type` (before anything is read or reserved), then validate."""
    entitlements.operation_require(plan=plan, operation=job_type)
    return PREPARERS[job_type](plan=plan, team=team, raw=raw)


def provider_input(job, *, provider_name: str) -> dict[str, Any]:
    return INPUTS[job.type](job, provider_name=provider_name)


def delivered_pricing(job, *, delivered: int) -> dict[str, Any]:
    """The calculator's figures for what was actually delivered (NSFW-withheld images are
    not charged)."""
    pricing = dict(job.params.get("pricing", {}))
    if job.type == JobType.IMAGE_GENERATION:
        pricing["num_images"] = delivered
    return pricing


def _nothing(job, **kwargs) -> None:
    """Image generation needs no bookkeeping beyond the job and its assets."""


# Storage I/O a job type needs, run by the job engine BEFORE its transactions (which hold the
# slot and balance locks): `stage` writes the files a submit records (training's zip),
# `measure` reads what a provider did not report off an output's bytes (a video's length).
STAGES: dict[str, Any] = {}
MEASURES: dict[str, Any] = {}

# Hooks that run inside the job engine's transactions (custom models track training here).
# They do no storage or provider I/O: what they record was staged or measured beforehand.
ON_SUBMITTED: dict[str, Any] = {}
ON_SUCCEEDED: dict[str, Any] = {}
ON_FAILED: dict[str, Any] = {}


def stage(*, job_type: str, team, prepared: Prepared) -> dict[str, Any]:
    """Files the submit will record, written before its transaction ({} for most types)."""
    staging = STAGES.get(job_type)
    return staging(team=team, prepared=prepared) if staging else {}


def staged_files(staged: dict[str, Any]) -> list:
    """The files in `staged`, to delete when the submit that was to record them does not."""
    from genfans.storage.services import StoredFile

    return [value for value in staged.values() if isinstance(value, StoredFile)]


def measure(job, output, content: bytes):
    """`output` with what its bytes say and the provider did not (storage is not touched)."""
    measuring = MEASURES.get(job.type)
    return measuring(job, output, content) if measuring else output


def on_submitted(job, *, staged: dict[str, Any]) -> None:
    hook = ON_SUBMITTED.get(job.type)
    if hook is not None:
        hook(job, staged=staged)


def on_succeeded(job, *, assets, artefacts) -> None:
    ON_SUCCEEDED.get(job.type, _nothing)(job, assets=assets, artefacts=artefacts)


def on_failed(job) -> None:
    ON_FAILED.get(job.type, _nothing)(job)


# Custom models (training), video and face swap register their preparers, inputs and hooks
# in the dicts above when imported; importing them here makes every entry point see them.
from genfans.studio import media, training  # noqa: E402, F401, I001
