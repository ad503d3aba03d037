"""Higgsfield through its REST API (https://docs.higgsfield.ai).

Its webhooks are unsigned, so a webhook only tells us to look: the job engine re-reads the
status from Higgsfield before trusting anything, and the webhook URL carries a per-job token.
"""

from dataclasses import dataclass
from urllib.parse import quote

import httpx
from django.conf import settings

from genfans.providers import http
from genfans.providers.base import (
    Capability,
    ProviderOutput,
    ProviderRequest,
    ProviderState,
    ProviderStatus,
)

STATES = {
    "queued": ProviderState.QUEUED,
    "in_progress": ProviderState.RUNNING,
    "completed": ProviderState.COMPLETED,
    "failed": ProviderState.FAILED,
    "nsfw": ProviderState.FAILED,
    "canceled": ProviderState.CANCELED,
}


# SOUL's framings and sizes (docs.higgsfield.ai, SOUL models, 2026-12-02); the reference does
# not say how many pixels each delivers, so a resolution is named by its nominal short side.
SOUL_ASPECT_RATIOS = {
    "9:16": 9 / 16,
    "16:9": 16 / 9,
    "4:3": 4 / 3,
    "3:4": 3 / 4,
    "1:1": 1.0,
    "2:3": 2 / 3,
    "3:2": 3 / 2,
}
SOUL_RESOLUTIONS = {"720p": 720, "1080p": 1080}
# SOUL makes one or four images a request, nothing between.
SOUL_BATCH_SIZES = (1, 4)
SOUL_SEED_MAX = 1_000_000
# DoP makes 5 second clips; it is asked for no other length.
DOP_SECONDS = (5,)


@dataclass(frozen=True)
class SoulSize:
    aspect_ratio: str
    resolution: str
    # Whether SOUL's framing or size is not exactly the width x height asked for (the page
    # says so before the user spends anything).
    differs: bool


def soul_size(*, width: int, height: int) -> SoulSize:
    """The SOUL aspect ratio nearest to width:height and the resolution nearest to its short
    side."""
    ratio = width / height
    aspect_ratio = min(
        SOUL_ASPECT_RATIOS, key=lambda name: abs(SOUL_ASPECT_RATIOS[name] / ratio - 1)
    )
    short_side = min(width, height)
    resolution = min(SOUL_RESOLUTIONS, key=lambda name: abs(SOUL_RESOLUTIONS[name] - short_side))
    differs = (
        abs(SOUL_ASPECT_RATIOS[aspect_ratio] - ratio) > 1e-9
        or SOUL_RESOLUTIONS[resolution] != short_side
    )
    return SoulSize(aspect_ratio=aspect_ratio, resolution=resolution, differs=differs)


def soul_batch_size(count: int) -> int:
    """The largest batch SOUL takes that does not exceed `count`."""
    return max(size for size in SOUL_BATCH_SIZES if size <= max(count, 1))


def soul_seed(seed: int) -> int:
    """Our seed (any non-negative int) folded into SOUL's 1..1000000, the same seed each time."""
    return seed % SOUL_SEED_MAX + 1


class HiggsfieldProvider:
    name = "higgsfield"
    sends_webhooks = True
    # SOUL (text to image) and DoP (image to video); its reference lists no training,
    # refinement or face swap endpoint, and SOUL takes no LoRA weights (only its own Soul ID
    # characters, `custom_reference_id`, which our custom models are not). SOUL's batch is 1 or
    # 4, never 2 or 3: "at most N per request" can be true of every split only for N = 1.
    capabilities = {
        "image_generation": Capability(max_images=1),
        "video_generation": Capability(video_seconds=DOP_SECONDS),
    }

    def __init__(
        self, *, key: str, secret: str, base_url: str, client: httpx.Client | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client or httpx.Client(
            timeout=http.TIMEOUT, headers={"Authorization": f"Key {key}:{secret}"}
        )

    def submit(self, request: ProviderRequest) -> str:
        return http.submit(
            self.client,
            f"{self.base_url}/{request.endpoint}",
            params={"hf_webhook": request.webhook_url},
            body=request.input,
            what="higgsfield submit",
        )

    def status(self, *, endpoint: str, request_id: str) -> ProviderStatus:
        body = http.request_json(
            self.client,
            "GET",
            f"{self.base_url}/requests/{quote(request_id)}/status",
            what="higgsfield status",
        )
        raw = body.get("status", "")
        state = STATES.get(raw, ProviderState.RUNNING)
        if state == ProviderState.FAILED:
            reason = "withheld as NSFW" if raw == "nsfw" else body.get("error") or "failed"
            return ProviderStatus(state=state, error=str(reason)[:500])
        if state != ProviderState.COMPLETED:
            return ProviderStatus(state=state, progress=50 if state == ProviderState.RUNNING else 0)
        outputs = [
            ProviderOutput(url=image["url"], content_type="image/png")
            for image in body.get("images") or []
        ]
        if body.get("video"):
            outputs.append(
                ProviderOutput(url=body["video"]["url"], content_type="video/mp4", kind="video")
            )
        return ProviderStatus(state=state, progress=100, outputs=tuple(outputs))

    def cancel(self, *, endpoint: str, request_id: str) -> bool:
        # Higgsfield cancels only a queued request; one that has started answers 400 (its SDK:
        # "requests that have already started processing cannot be cancelled").
        url = f"{self.base_url}/requests/{quote(request_id)}/cancel"
        return http.cancel(self.client, "POST", url, what="higgsfield cancel")

    def download(self, output: ProviderOutput) -> bytes:
        return http.download(output.url)


def provider_from_settings() -> HiggsfieldProvider:
    return HiggsfieldProvider(
        key=settings.HIGGSFIELD_API_KEY,
        secret=settings.HIGGSFIELD_API_SECRET,
        base_url=settings.HIGGSFIELD_BASE_URL,
    )
