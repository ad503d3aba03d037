"""Image generation: a prompt, a size and a quality, from a catalog model or a custom one."""

from typing import Any

from genfans.billing import entitlements
from genfans.catalog.models import ReferenceModel
from genfans.core.ids import uuid_or_none
from genfans.credits.calculator import DEFAULT_QUALITY
from genfans.providers import higgsfield
from genfans.providers.base import Capability
from genfans.providers.registry import Needs
from genfans.storage.models import AssetKind
from genfans.studio.errors import InvalidJobParams
from genfans.studio.operations import custom_model_image
from genfans.studio.operations.base import (
    MAX_PROMPT,
    Operation,
    Prepared,
    part_share,
    quality_require,
    whole_number,
)

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


def prepare(*, plan, team, raw: dict[str, Any]) -> Prepared:
    prompt = str(raw.get("prompt") or "").strip()
    if not prompt:
        raise InvalidJobParams("Write a prompt.", field="prompt")
    if len(prompt) > MAX_PROMPT:
        raise InvalidJobParams(
            f"The prompt is longer than {MAX_PROMPT} characters.", field="prompt"
        )
    num_images = whole_number(raw, "num_images", 1)
    if not 1 <= num_images <= MAX_IMAGES:
        raise InvalidJobParams(f"num_images must be 1 to {MAX_IMAGES}.", field="num_images")
    width, height = whole_number(raw, "width", 1024), whole_number(raw, "height", 1024)
    if (width, height) not in SIZES:
        allowed = ", ".join(f"{w}x{h}" for w, h in SIZES)
        raise InvalidJobParams(f"Size must be one of {allowed}.", field="width")
    entitlements.image_side_require(plan=plan, side=max(width, height))
    quality = quality_require(raw.get("quality", DEFAULT_QUALITY))
    seed = raw.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise InvalidJobParams("seed must be a non-negative whole number.", field="seed")
    source = custom_model_image.source_params(team=team, raw=raw)
    if source is None:
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


def provider_input(job, *, provider_name: str) -> dict[str, Any]:
    params = job.params
    loras = None
    if params.get("custom_model_id"):
        # A custom model's version: its trigger word and its weights, as we stored them.
        subject, loras = custom_model_image.prompt_and_loras(params)
        prompt = f"{subject}, {params['prompt']}"
    else:
        reference = ReferenceModel.objects.get(pk=params["model_id"])
        prompt = (
            f"{reference.base_prompt}, {params['prompt']}"
            if reference.base_prompt
            else params["prompt"]
        )
    # Part k of a split request asks for its share, with seed + k, so no two parts repeat.
    count = part_share(params["num_images"], parts=job.parts, part=job.part)
    seed = (params["seed"] if params["seed"] is not None else int(job.pk.int % 2**31)) + job.part
    if provider_name == "higgsfield":
        # SOUL's own fields: a framing and a nominal size for our width x height, a batch it
        # takes, a seed in its range. No weights: a custom model never routes here.
        size = higgsfield.soul_size(width=params["width"], height=params["height"])
        return {
            "prompt": prompt,
            "aspect_ratio": size.aspect_ratio,
            "resolution": size.resolution,
            "batch_size": higgsfield.soul_batch_size(count),
            "seed": higgsfield.soul_seed(seed),
        }
    data = {
        "prompt": prompt,
        "image_size": {"width": params["width"], "height": params["height"]},
        "num_images": count,
        "num_inference_steps": INFERENCE_STEPS[params["quality"]],
        "seed": seed,
        "enable_safety_checker": True,
        "output_format": "jpeg",
    }
    if loras:
        data["loras"] = loras
    return data


def delivered_pricing(job, *, assets) -> dict[str, Any]:
    """NSFW-withheld images, and those of a part that failed, are not charged: price the
    images delivered."""
    delivered = sum(1 for asset in assets if asset.kind == AssetKind.IMAGE)
    return {**job.params.get("pricing", {}), "num_images": delivered}


def needs(params: dict[str, Any]) -> Needs:
    return Needs(custom_weights=bool(params.get("custom_model_id")))


def parts(params: dict[str, Any], capability: Capability) -> int:
    per_request = capability.max_images or params["num_images"]
    return -(-params["num_images"] // per_request)


OPERATION = Operation(
    prepare=prepare,
    provider_input=provider_input,
    delivered_pricing=delivered_pricing,
    needs=needs,
    parts=parts,
)
