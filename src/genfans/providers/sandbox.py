"""The built-in sandbox: a provider that needs no key and no network.

It accepts the same input as fal, answers through the same polling path as the real
providers, and renders real, deterministic images marked as sandbox output. Its request id
is a signed token carrying the request, so any worker process can answer for it.
"""

import hashlib
import io
import random
import time
import uuid

from django.conf import settings
from django.core import signing
from PIL import Image, ImageDraw

from genfans.providers.base import (
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderState,
    ProviderStatus,
)

SALT = "genfans.sandbox"
OUTPUT_PREFIX = "sandbox:"


def _fraction(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


class SandboxProvider:
    name = "sandbox"
    sends_webhooks = False

    def __init__(self, *, latency: float, failure_rate: float) -> None:
        self.latency = latency
        self.failure_rate = failure_rate

    def submit(self, request: ProviderRequest) -> str:
        return signing.dumps(
            {
                "op": request.operation,
                "in": request.input,
                "t": time.time(),
                "n": uuid.uuid4().hex,
            },
            salt=SALT,
            compress=True,
        )

    def _load(self, request_id: str) -> dict:
        try:
            return signing.loads(request_id, salt=SALT)
        except signing.BadSignature as exc:
            raise ProviderError("sandbox: unknown request", retryable=False) from exc

    def status(self, *, endpoint: str, request_id: str) -> ProviderStatus:
        request = self._load(request_id)
        elapsed = time.time() - request["t"]
        if elapsed < self.latency:
            return ProviderStatus(
                state=ProviderState.RUNNING, progress=min(95, int(100 * elapsed / self.latency))
            )
        if _fraction(request["n"]) < self.failure_rate:
            return ProviderStatus(state=ProviderState.FAILED, error="sandbox: injected failure")
        data = request["in"]
        size = data.get("image_size") or {}
        width, height = int(size.get("width", 512)), int(size.get("height", 512))
        seed = int(data.get("seed") or 0)
        outputs = tuple(
            ProviderOutput(
                url=f"{OUTPUT_PREFIX}{index}:{request_id}",
                content_type="image/jpeg",
                width=width,
                height=height,
                seed=seed + index,
            )
            for index in range(int(data.get("num_images", 1)))
        )
        return ProviderStatus(state=ProviderState.COMPLETED, progress=100, outputs=outputs)

    def cancel(self, *, endpoint: str, request_id: str) -> None:
        self._load(request_id)

    def download(self, output: ProviderOutput) -> bytes:
        index, _, request_id = output.url.removeprefix(OUTPUT_PREFIX).partition(":")
        data = self._load(request_id)["in"]
        return render_image(
            prompt=str(data.get("prompt", "")),
            seed=output.seed or 0,
            width=output.width or 512,
            height=output.height or 512,
        )


def render_image(*, prompt: str, seed: int, width: int, height: int) -> bytes:
    """A calm two-tone gradient with soft shapes, deterministic for (prompt, seed)."""
    rng = random.Random(f"{prompt}|{seed}")
    top = tuple(rng.randrange(40, 200) for _ in range(3))
    bottom = tuple(rng.randrange(40, 200) for _ in range(3))
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), gradient
    )
    draw = ImageDraw.Draw(image, "RGBA")
    for _ in range(6):
        radius = rng.randrange(min(width, height) // 10, min(width, height) // 3)
        x, y = rng.randrange(width), rng.randrange(height)
        colour = (*(rng.randrange(120, 256) for _ in range(3)), 90)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    band = max(14, height // 16)
    draw.rectangle((0, height - band, width, height), fill=(0, 0, 0, 140))
    draw.text((8, height - band + 2), f"SANDBOX · {prompt[:60]}", fill=(255, 255, 255, 230))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def provider_from_settings() -> SandboxProvider:
    return SandboxProvider(
        latency=settings.SANDBOX_LATENCY_SECONDS, failure_rate=settings.SANDBOX_FAILURE_RATE
    )
