"""fal.ai through its queue REST API (https://docs.fal.ai/model-apis/model-endpoints/queue).

`fal-client` reads its hosts at import time and retries submits on its own, so it can be
neither pointed at a local fake nor kept from submitting (and billing) twice: we speak the
documented REST API with httpx instead.
"""

from typing import Any
from urllib.parse import quote

import httpx
from django.conf import settings

from genfans.providers import http
from genfans.providers.base import (
    Capability,
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderState,
    ProviderStatus,
)

STATES = {
    "IN_QUEUE": ProviderState.QUEUED,
    "IN_PROGRESS": ProviderState.RUNNING,
    "COMPLETED": ProviderState.COMPLETED,
}


def app_path(endpoint: str) -> str:
    """Status, result and cancel live under the app's owner/name, without sub-paths."""
    return "/".join(endpoint.split("/")[:2])


class FalProvider:
    name = "fal"
    sends_webhooks = True
    capabilities = {
        # fal-ai/flux-lora: num_images 1–4, LoRA weights by URL.
        "image_generation": Capability(max_images=4, custom_weights=True),
        "model_creation": Capability(),
        "model_refinement": Capability(),
        # fal-ai/kling-video/v1.6/standard/image-to-video: duration "5" or "10".
        "video_generation": Capability(video_seconds=(5, 10)),
        "face_swap": Capability(),
    }

    def __init__(self, *, key: str, queue_url: str, client: httpx.Client | None = None) -> None:
        self.queue_url = queue_url.rstrip("/")
        self.client = client or httpx.Client(
            timeout=http.TIMEOUT, headers={"Authorization": f"Key {key}"}
        )

    def submit(self, request: ProviderRequest) -> str:
        return http.submit(
            self.client,
            f"{self.queue_url}/{request.endpoint}",
            params={"fal_webhook": request.webhook_url},
            body=request.input,
            what="fal submit",
        )

    def _request_url(self, endpoint: str, request_id: str) -> str:
        return f"{self.queue_url}/{app_path(endpoint)}/requests/{quote(request_id)}"

    def status(self, *, endpoint: str, request_id: str) -> ProviderStatus:
        base = self._request_url(endpoint, request_id)
        body = http.request_json(self.client, "GET", f"{base}/status", what="fal status")
        state = STATES.get(body.get("status", ""), ProviderState.RUNNING)
        if state != ProviderState.COMPLETED:
            return ProviderStatus(state=state, progress=50 if state == ProviderState.RUNNING else 0)
        # A COMPLETED request can still carry an error: that is a failure, not a result.
        if body.get("error"):
            return ProviderStatus(state=ProviderState.FAILED, error=str(body["error"])[:500])
        try:
            result = http.request_json(self.client, "GET", base, what="fal result")
        except ProviderError as exc:
            if not exc.retryable:
                return ProviderStatus(state=ProviderState.FAILED, error=str(exc)[:500])
            raise
        return parse_result(result)

    def cancel(self, *, endpoint: str, request_id: str) -> bool:
        # fal takes a request out of its queue (202 CANCELLATION_REQUESTED); one a runner has
        # picked up answers 400 and runs to completion, billed.
        url = f"{self._request_url(endpoint, request_id)}/cancel"
        return http.cancel(self.client, "PUT", url, what="fal cancel")

    def download(self, output: ProviderOutput) -> bytes:
        return http.download(output.url)


def parse_result(result: dict[str, Any]) -> ProviderStatus:
    """Images (flux-lora, face swap), a video (kling) or trained weights (lora training)."""
    outputs: list[ProviderOutput] = []
    nsfw = result.get("has_nsfw_concepts") or []
    images = result.get("images") or ([result["image"]] if result.get("image") else [])
    for index, image in enumerate(images):
        outputs.append(
            ProviderOutput(
                url=image["url"],
                content_type=image.get("content_type") or "image/jpeg",
                width=image.get("width"),
                height=image.get("height"),
                seed=result.get("seed"),
                nsfw=bool(nsfw[index]) if index < len(nsfw) else False,
            )
        )
    if result.get("video"):
        video = result["video"]
        outputs.append(
            ProviderOutput(
                url=video["url"],
                content_type=video.get("content_type") or "video/mp4",
                kind="video",
                duration=result.get("duration"),
            )
        )
    artefacts = {}
    if result.get("diffusers_lora_file"):
        artefacts["weights_url"] = result["diffusers_lora_file"]["url"]
        outputs.append(
            ProviderOutput(
                url=result["diffusers_lora_file"]["url"],
                content_type="application/octet-stream",
                kind="weights",
            )
        )
    return ProviderStatus(
        state=ProviderState.COMPLETED, progress=100, outputs=tuple(outputs), artefacts=artefacts
    )


def provider_from_settings() -> FalProvider:
    return FalProvider(key=settings.FAL_KEY, queue_url=settings.FAL_QUEUE_URL)
