"""Local fakes of the providers' HTTP protocols, served over real sockets.

They speak the documented wire formats (paths, headers, JSON bodies, webhook signatures),
so the adapters under test cannot tell them from the real services.
"""

import base64
import hashlib
import io
import itertools
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from PIL import Image


def jpeg_bytes(width: int = 64, height: int = 64, colour=(200, 120, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="JPEG")
    return buffer.getvalue()


@dataclass
class FakeRequest:
    request_id: str
    app: str
    input: dict
    webhook_url: str
    status: str = "IN_QUEUE"
    result: dict | None = None
    error: str | None = None
    canceled: bool = False


@dataclass
class FakeServerBase:
    requests: dict[str, FakeRequest] = field(default_factory=dict)
    log: list[tuple[str, str]] = field(default_factory=list)
    fail_submits: int = 0  # answer this many submits with HTTP 503
    fail_status: int = 0  # answer this many status polls with HTTP 502
    hang_submits: float = 0.0  # sleep this long before answering a submit
    hang_downloads: float = 0.0  # sleep this long before serving an output file
    files: dict[str, bytes] = field(default_factory=dict)

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _reply(self, status: int, body, content_type="application/json"):
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                return json.loads(raw) if raw else {}

            def do_GET(self):
                fake.log.append(("GET", self.path))
                fake.handle(self, "GET")

            def do_POST(self):
                fake.log.append(("POST", self.path))
                fake.handle(self, "POST")

            def do_PUT(self):
                fake.log.append(("PUT", self.path))
                fake.handle(self, "PUT")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def add_file(self, name: str, content: bytes) -> str:
        self.files[name] = content
        return f"{self.url}/files/{name}"

    def submits(self) -> list[FakeRequest]:
        return list(self.requests.values())


_ids = itertools.count(1)


class FakeFal(FakeServerBase):
    """fal's queue API (queue.fal.run) and its JWKS, with Ed25519-signed webhooks."""

    user_id = "fake-user"

    def __init__(self):
        super().__init__()
        self.key = Ed25519PrivateKey.generate()

    def jwks(self) -> dict:
        raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "fake"}]}

    def handle(self, handler, method):
        url = urlparse(handler.path)
        parts = [p for p in url.path.split("/") if p]
        if parts[:2] == [".well-known", "jwks.json"]:
            return handler._reply(200, self.jwks())
        if parts[:1] == ["files"]:
            if self.hang_downloads:
                time.sleep(self.hang_downloads)
            return handler._reply(200, self.files[parts[1]], "image/jpeg")
        if handler.headers.get("Authorization") != "Key test-fal-key":
            return handler._reply(401, {"detail": "bad key"})
        if method == "POST":
            if self.hang_submits:
                time.sleep(self.hang_submits)
            if self.fail_submits:
                self.fail_submits -= 1
                return handler._reply(503, {"detail": "overloaded"})
            request_id = f"fal-{next(_ids)}"
            webhook = parse_qs(url.query).get("fal_webhook", [""])[0]
            self.requests[request_id] = FakeRequest(
                request_id, "/".join(parts), handler._body(), webhook
            )
            return handler._reply(
                200,
                {
                    "request_id": request_id,
                    "status_url": f"{self.url}/{parts[0]}/{parts[1]}/requests/{request_id}/status",
                    "response_url": f"{self.url}/{parts[0]}/{parts[1]}/requests/{request_id}",
                    "cancel_url": f"{self.url}/{parts[0]}/{parts[1]}/requests/{request_id}/cancel",
                },
            )
        # /{owner}/{app}/requests/{id}[/status|/cancel]
        request = self.requests.get(parts[3]) if len(parts) >= 4 else None
        if request is None:
            return handler._reply(404, {"detail": "not found"})
        if method == "PUT" and parts[-1] == "cancel":
            request.canceled = True
            return handler._reply(202, {"status": "CANCELLATION_REQUESTED"})
        if parts[-1] == "status":
            if self.fail_status:
                self.fail_status -= 1
                return handler._reply(502, {"detail": "bad gateway"})
            body = {"status": request.status, "request_id": request.request_id}
            if request.error:
                body["error"] = request.error
            return handler._reply(200, body)
        if request.status != "COMPLETED":
            return handler._reply(400, {"detail": "not completed"})
        return handler._reply(200, request.result)

    def complete(self, request_id: str, *, images: int = 1, nsfw=(), size=(64, 64), result=None):
        request = self.requests[request_id]
        if result is None:
            result = {
                "images": [
                    {
                        "url": self.add_file(f"{request_id}-{i}.jpg", jpeg_bytes(*size)),
                        "width": size[0],
                        "height": size[1],
                        "content_type": "image/jpeg",
                    }
                    for i in range(images)
                ],
                "seed": 42,
                "has_nsfw_concepts": [i in nsfw for i in range(images)],
            }
        request.result = result
        request.status = "COMPLETED"

    def fail(self, request_id: str, error: str = "model crashed"):
        request = self.requests[request_id]
        request.status = "COMPLETED"
        request.error = error

    # Results of the other fal endpoints the studio uses (issue 6).
    def complete_training(self, request_id: str, *, weights: bytes = b"fake-lora") -> str:
        """fal-ai/flux-lora-fast-training's result: the LoRA file and its config."""
        url = self.add_file(f"{request_id}.safetensors", weights)
        self.complete(
            request_id,
            result={
                "diffusers_lora_file": {"url": url, "content_type": "application/octet-stream"},
                "config_file": {"url": self.add_file(f"{request_id}.json", b"{}")},
            },
        )
        return url

    def complete_video(self, request_id: str, *, video: bytes) -> str:
        """kling-video image-to-video's result: one MP4 (no duration given)."""
        url = self.add_file(f"{request_id}.mp4", video)
        self.complete(request_id, result={"video": {"url": url, "content_type": "video/mp4"}})
        return url

    def complete_face_swap(self, request_id: str, *, size=(80, 60)) -> str:
        """fal-ai/face-swap's result: a single `image`."""
        url = self.add_file(f"{request_id}.jpg", jpeg_bytes(*size))
        self.complete(request_id, result={"image": {"url": url, "content_type": "image/jpeg"}})
        return url

    def webhook(self, request_id: str, *, timestamp: int | None = None, tamper: bool = False):
        """The (url, headers, body) fal would POST for this request."""
        request = self.requests[request_id]
        body = json.dumps(
            {
                "request_id": request_id,
                "gateway_request_id": request_id,
                "status": "ERROR" if request.error else "OK",
                "payload": request.result,
            }
        ).encode()
        timestamp = str(timestamp or int(time.time()))
        message = "\n".join(
            [request_id, self.user_id, timestamp, hashlib.sha256(body).hexdigest()]
        ).encode()
        signature = self.key.sign(message).hex()
        if tamper:
            body = body.replace(b'"OK"', b'"ER"')
        headers = {
            "X-Fal-Webhook-Request-Id": request_id,
            "X-Fal-Webhook-User-Id": self.user_id,
            "X-Fal-Webhook-Timestamp": timestamp,
            "X-Fal-Webhook-Signature": signature,
        }
        return request.webhook_url, headers, body


class FakeHiggsfield(FakeServerBase):
    """Higgsfield's platform API: submit with hf_webhook, /requests/{id}/status|cancel."""

    def handle(self, handler, method):
        url = urlparse(handler.path)
        parts = [p for p in url.path.split("/") if p]
        if parts[:1] == ["files"]:
            return handler._reply(200, self.files[parts[1]], "image/png")
        if handler.headers.get("Authorization") != "Key hf-key:hf-secret":
            return handler._reply(401, {"detail": "bad key"})
        if parts[:1] == ["requests"] and len(parts) == 3:
            request = self.requests.get(parts[1])
            if request is None:
                return handler._reply(404, {"detail": "not found"})
            if parts[2] == "cancel" and method == "POST":
                if request.status != "queued":
                    return handler._reply(400, {"detail": "cannot cancel"})
                request.status = "canceled"
                return handler._reply(202, {"status": "canceled"})
            body = {"status": request.status, "request_id": request.request_id}
            body.update(request.result or {})
            return handler._reply(200, body)
        if method == "POST":
            if self.fail_submits:
                self.fail_submits -= 1
                return handler._reply(500, {"detail": "boom"})
            request_id = f"hf-{next(_ids)}"
            webhook = parse_qs(url.query).get("hf_webhook", [""])[0]
            self.requests[request_id] = FakeRequest(
                request_id, "/".join(parts), handler._body(), webhook, status="queued"
            )
            return handler._reply(
                200,
                {
                    "status": "queued",
                    "request_id": request_id,
                    "status_url": f"{self.url}/requests/{request_id}/status",
                    "cancel_url": f"{self.url}/requests/{request_id}/cancel",
                },
            )
        return handler._reply(404, {"detail": "not found"})

    def complete(self, request_id: str, *, images: int = 1):
        request = self.requests[request_id]
        request.status = "completed"
        request.result = {
            "images": [
                {"url": self.add_file(f"{request_id}-{i}.png", jpeg_bytes())} for i in range(images)
            ]
        }

    def set_status(self, request_id: str, status: str):
        self.requests[request_id].status = status


@contextmanager
def serving_fal(settings, **overrides):
    """A running FakeFal with the app's settings pointed at it (plus `overrides`)."""
    fake = FakeFal().start()
    settings.FAL_KEY = "test-fal-key"
    settings.FAL_QUEUE_URL = fake.url
    settings.FAL_JWKS_URL = f"{fake.url}/.well-known/jwks.json"
    for name, value in overrides.items():
        setattr(settings, name, value)
    try:
        yield fake
    finally:
        fake.stop()


@contextmanager
def serving_higgsfield(settings, **overrides):
    """A running FakeHiggsfield with the app's settings pointed at it (plus `overrides`)."""
    fake = FakeHiggsfield().start()
    settings.HIGGSFIELD_API_KEY = "hf-key"
    settings.HIGGSFIELD_API_SECRET = "hf-secret"
    settings.HIGGSFIELD_BASE_URL = fake.url
    for name, value in overrides.items():
        setattr(settings, name, value)
    try:
        yield fake
    finally:
        fake.stop()
