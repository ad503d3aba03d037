"""The built-in sandbox: a provider that needs no key and no network.

It accepts the same input as fal, answers through the same polling path as the real
providers, and renders real, deterministic images marked as sandbox output. Its request id
is a signed token carrying the request, so any worker process can answer for it.
"""

import hashlib
import io
import json
import random
import struct
import time
import uuid

from django.conf import settings
from django.core import signing
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFilter

from genfans.providers.base import (
    ProviderError,
    ProviderOutput,
    ProviderRequest,
    ProviderState,
    ProviderStatus,
)
from genfans.providers.fal import FalProvider

SALT = "genfans.sandbox"
OUTPUT_PREFIX = "sandbox:"
QUEUED_SHARE = 0.25


def _fraction(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


class SandboxProvider:
    name = "sandbox"
    sends_webhooks = False
    # fal's limits, so the offline default runs the same paths (split requests, refused
    # lengths) as a real deployment.
    capabilities = FalProvider.capabilities

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
        if self._queued(request):
            return ProviderStatus(state=ProviderState.QUEUED)
        if elapsed < self.latency:
            return ProviderStatus(
                state=ProviderState.RUNNING, progress=min(95, int(100 * elapsed / self.latency))
            )
        if _fraction(request["n"]) < self.failure_rate:
            return ProviderStatus(state=ProviderState.FAILED, error="sandbox: injected failure")
        data = request["in"]
        if request["op"] in SPECIAL_OUTPUTS:  # training, video, face swap
            return SPECIAL_OUTPUTS[request["op"]](request_id, data)
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

    def _queued(self, request: dict) -> bool:
        # Like fal, a request waits in a queue before it runs (the first quarter of the
        # latency), and only then can it be cancelled.
        return time.time() - request["t"] < self.latency * QUEUED_SHARE

    def cancel(self, *, endpoint: str, request_id: str) -> bool:
        return self._queued(self._load(request_id))

    def download(self, output: ProviderOutput) -> bytes:
        index, _, request_id = output.url.removeprefix(OUTPUT_PREFIX).partition(":")
        request = self._load(request_id)
        data = request["in"]
        if request["op"] in SPECIAL_RENDERERS:
            return SPECIAL_RENDERERS[request["op"]](data, output)
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


# --- training, video and face swap (issue 6) ------------------------------------------------

VIDEO_FPS = 8
VIDEO_SIZES = {"16:9": (320, 180), "9:16": (180, 320), "1:1": (240, 240)}
SWAP_MAX_SIDE = 768


def _output_url(index: int, request_id: str) -> str:
    return f"{OUTPUT_PREFIX}{index}:{request_id}"


def _training_outputs(request_id: str, data: dict) -> ProviderStatus:
    url = _output_url(0, request_id)
    return ProviderStatus(
        state=ProviderState.COMPLETED,
        progress=100,
        outputs=(ProviderOutput(url=url, content_type="application/octet-stream", kind="weights"),),
        artefacts={"weights_url": url, "trigger_word": data.get("trigger_word", "")},
    )


def _video_outputs(request_id: str, data: dict) -> ProviderStatus:
    width, height = VIDEO_SIZES.get(data.get("aspect_ratio"), VIDEO_SIZES["16:9"])
    output = ProviderOutput(
        url=_output_url(0, request_id),
        content_type="video/mp4",
        kind="video",
        width=width,
        height=height,
        duration=float(int(data.get("duration") or 5)),
    )
    return ProviderStatus(state=ProviderState.COMPLETED, progress=100, outputs=(output,))


def _face_swap_outputs(request_id: str, data: dict) -> ProviderStatus:
    output = ProviderOutput(url=_output_url(0, request_id), content_type="image/jpeg")
    return ProviderStatus(state=ProviderState.COMPLETED, progress=100, outputs=(output,))


def _stored_image(key: str | None, *, fallback_prompt: str) -> Image.Image:
    """A file we stored ourselves (the sandbox shares our storage); a drawn one otherwise."""
    if key:
        try:
            with default_storage.open(key, "rb") as handle:
                image = Image.open(io.BytesIO(handle.read()))
                return image.convert("RGB")
        except (OSError, ValueError):
            pass
    raw = render_image(prompt=fallback_prompt, seed=0, width=512, height=512)
    return Image.open(io.BytesIO(raw)).convert("RGB")


def render_weights(*, trigger_word: str) -> bytes:
    """A tiny but well-formed safetensors file: a JSON header and one small tensor."""
    tensor = struct.pack("<4f", *(_fraction(f"{trigger_word}{i}") for i in range(4)))
    header = json.dumps(
        {
            "__metadata__": {"format": "pt", "trigger_word": trigger_word, "sandbox": "true"},
            "lora_unet.sandbox.weight": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
        }
    ).encode()
    return struct.pack("<Q", len(header)) + header + tensor


def _cover(image: Image.Image, width: int, height: int, zoom: float) -> Image.Image:
    scale = max(width / image.width, height / image.height) * zoom
    resized = image.resize(
        (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
    )
    left, top = (resized.width - width) // 2, (resized.height - height) // 2
    return resized.crop((left, top, left + width, top + height))


def render_video(*, source: Image.Image, seconds: int, width: int, height: int) -> bytes:
    """A real H.264 MP4: a slow zoom into the source image (a Ken Burns move)."""
    import av  # loads FFmpeg's libraries: only when a video is rendered

    frames = seconds * VIDEO_FPS
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=VIDEO_FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for index in range(frames):
            frame = _cover(source, width, height, zoom=1.0 + 0.15 * index / max(frames - 1, 1))
            draw = ImageDraw.Draw(frame)
            draw.text((4, height - 12), "SANDBOX", fill=(255, 255, 255))
            for packet in stream.encode(av.VideoFrame.from_image(frame)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def render_face_swap(*, base: Image.Image, face: Image.Image) -> bytes:
    """The face photo's centre, feathered into an oval on the target's upper middle."""
    base = base.copy()
    base.thumbnail((SWAP_MAX_SIDE, SWAP_MAX_SIDE))
    side = min(face.width, face.height)
    box = int(side * 0.7)
    cx, cy = face.width // 2, int(face.height * 0.42)
    left = max(0, min(face.width - box, cx - box // 2))
    top = max(0, min(face.height - box, cy - box // 2))
    size = max(16, int(min(base.width, base.height) * 0.38))
    patch = face.crop((left, top, left + box, top + box)).resize((size, int(size * 1.2)))
    mask = Image.new("L", patch.size, 0)
    ImageDraw.Draw(mask).ellipse((4, 4, patch.width - 4, patch.height - 4), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(max(2, size // 20)))
    base.paste(patch, ((base.width - patch.width) // 2, int(base.height * 0.12)), mask)
    band = max(14, base.height // 16)
    draw = ImageDraw.Draw(base, "RGBA")
    draw.rectangle((0, base.height - band, base.width, base.height), fill=(0, 0, 0, 140))
    draw.text((8, base.height - band + 2), "SANDBOX · face swap", fill=(255, 255, 255, 230))
    out = io.BytesIO()
    base.save(out, format="JPEG", quality=88)
    return out.getvalue()


def _download_weights(data: dict, output: ProviderOutput) -> bytes:
    return render_weights(trigger_word=str(data.get("trigger_word", "")))


def _download_video(data: dict, output: ProviderOutput) -> bytes:
    source = _stored_image(data.get("sandbox_source_key"), fallback_prompt=data.get("prompt", ""))
    return render_video(
        source=source,
        seconds=int(data.get("duration") or 5),
        width=output.width or 320,
        height=output.height or 180,
    )


def _download_face_swap(data: dict, output: ProviderOutput) -> bytes:
    return render_face_swap(
        base=_stored_image(data.get("sandbox_base_key"), fallback_prompt="target"),
        face=_stored_image(data.get("sandbox_swap_key"), fallback_prompt="face"),
    )


SPECIAL_OUTPUTS = {
    "model_creation": _training_outputs,
    "model_refinement": _training_outputs,
    "video_generation": _video_outputs,
    "face_swap": _face_swap_outputs,
}
SPECIAL_RENDERERS = {
    "model_creation": _download_weights,
    "model_refinement": _download_weights,
    "video_generation": _download_video,
    "face_swap": _download_face_swap,
}
