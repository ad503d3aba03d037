"""Image generation from a custom model's version: where its source comes from, and the
trigger word and weights (fal `loras`) it adds to the provider request. Part of the
image_generation operation (`image.py`), which a custom model's id switches to this flavour."""

from typing import Any

from genfans.storage.urls import asset_url
from genfans.studio.models import ModelVersion
from genfans.studio.selectors import custom_model_generation_source

WEIGHTS_URL_SECONDS = 6 * 60 * 60


def source_params(*, team, raw: dict[str, Any]) -> dict[str, Any] | None:
    """The job params naming the custom model and version `raw` asks for; None when its
    `model_id` names no custom model of the team (it may be a catalog model)."""
    found = custom_model_generation_source(
        team=team, model_id=raw.get("model_id"), version=raw.get("version")
    )
    if found is None:
        return None
    model, version = found
    return {
        "model_id": str(model.pk),
        "model_name": f"{model.name} v{version.number}",
        "custom_model_id": str(model.pk),
        "version_id": str(version.pk),
        "version_number": version.number,
    }


def prompt_and_loras(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The prompt prefix and fal `loras` for an image generated from a custom model version."""
    version = ModelVersion.objects.select_related("weights").get(pk=params["version_id"])
    weights_url = asset_url(version.weights, absolute=True, expires_in=WEIGHTS_URL_SECONDS)
    return f"photo of {version.trigger_word}", [{"path": weights_url, "scale": 1}]
