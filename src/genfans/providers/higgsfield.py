"""Higgsfield through its REST API (https://docs.higgsfield.ai).

Its webhooks are unsigned, so a webhook only tells us to look: the job engine re-reads the
status from Higgsfield before trusting anything, and the webhook URL carries a per-job token.
"""

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
    "queued": ProviderState.QUEUED,
    "in_progress": ProviderState.RUNNING,
    "completed": ProviderState.COMPLETED,
    "failed": ProviderState.FAILED,
    "nsfw": ProviderState.FAILED,
    "canceled": ProviderState.CANCELED,
}


class HiggsfieldProvider:
    name = "higgsfield"
    sends_webhooks = True
    # Soul (text to image) and DoP (image to video); its reference lists no training,
    # refinement or face swap endpoint, and Soul takes no LoRA weights.
    capabilities = {
        "image_generation": Capability(max_images=4),
        "video_generation": Capability(video_seconds=(5,)),
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
        # Higgsfield cancels only a queued request; a running one answers 400.
        try:
            http.request_json(
                self.client,
                "POST",
                f"{self.base_url}/requests/{quote(request_id)}/cancel",
                what="higgsfield cancel",
            )
        except ProviderError as exc:
            if exc.retryable:
                raise
            return False
        return True

    def download(self, output: ProviderOutput) -> bytes:
        return http.download(self.client, output.url)


def provider_from_settings() -> HiggsfieldProvider:
    return HiggsfieldProvider(
        key=settings.HIGGSFIELD_API_KEY,
        secret=settings.HIGGSFIELD_API_SECRET,
        base_url=settings.HIGGSFIELD_BASE_URL,
    )
