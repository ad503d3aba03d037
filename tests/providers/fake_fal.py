"""A local fal: its queue API (queue.fal.run), its JWKS and Ed25519-signed webhooks, and a CDN.

A contract fake: every submit is validated against the endpoint's input schema as fal
publishes it (tests/providers/contracts/fal/, each file naming its source and date). An
endpoint without a schema is unknown (404); an invalid body is answered 422 with fal's
HTTPValidationError shape, `{"detail": [{"loc": [...], "msg": ..., "type": ...}]}`.

Results live on a separate server, as fal's (v3.fal.media) do on another host than the
queue, and every download records the headers it arrived with, so a test can see that no
credentials reached it.
"""

import base64
import hashlib
import itertools
import json
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jsonschema import Draft202012Validator

from tests.providers.fakes import FakeRequest, FakeServerBase, jpeg_bytes

CONTRACTS = Path(__file__).parent / "contracts" / "fal"
_ids = itertools.count(1)


def fal_schemas() -> dict[str, dict]:
    """Each endpoint's published input schema, by endpoint id."""
    schemas = {}
    for path in sorted(CONTRACTS.glob("*.json")):
        schema = json.loads(path.read_text())
        schemas[schema["$id"]] = schema
    return schemas


SCHEMAS = fal_schemas()
VALIDATORS = {endpoint: Draft202012Validator(schema) for endpoint, schema in SCHEMAS.items()}

# jsonschema's keyword → the error type fal's (pydantic) validation reports for it.
ERROR_TYPES = {
    "required": "missing",
    "maximum": "less_than_equal",
    "minimum": "greater_than_equal",
    "enum": "enum",
    "type": "type_error",
    "additionalProperties": "extra_forbidden",
}


def validation_errors(endpoint: str, body) -> list[dict]:
    """fal's `detail` entries for what is wrong with `body` ([] when it is valid)."""
    errors = []
    for error in sorted(VALIDATORS[endpoint].iter_errors(body), key=lambda e: list(e.path)):
        loc = ["body", *error.absolute_path]
        if error.validator == "required":
            # jsonschema reports a missing field at its parent; fal names the field.
            loc.append(error.message.split("'")[1])
        errors.append(
            {
                "loc": loc,
                "msg": error.message,
                "type": ERROR_TYPES.get(str(error.validator), str(error.validator)),
            }
        )
    return errors


class FakeFalCdn(FakeServerBase):
    """fal's media host: serves result files, and records each download's headers."""

    def __init__(self, hang=lambda: 0.0):
        super().__init__()
        self.hang = hang
        self.downloads: list[tuple[str, dict[str, str]]] = []

    def handle(self, handler, method):
        parts = [p for p in urlparse(handler.path).path.split("/") if p]
        self.downloads.append((handler.path, dict(handler.headers.items())))
        if method != "GET" or len(parts) != 2 or parts[0] != "files" or parts[1] not in self.files:
            return handler._reply(404, {"detail": "Not Found"})
        if self.hang():
            time.sleep(self.hang())
        name = parts[1]
        content_type = {".mp4": "video/mp4", ".jpg": "image/jpeg"}.get(
            name[name.rfind(".") :], "application/octet-stream"
        )
        return handler._reply(200, self.files[name], content_type)


class FakeFal(FakeServerBase):
    """fal's queue API and its JWKS; results on `self.cdn`, a different host and port."""

    user_id = "fake-user"

    def __init__(self):
        super().__init__()
        self.key = Ed25519PrivateKey.generate()
        self.cdn = FakeFalCdn(hang=lambda: self.hang_downloads)
        # (endpoint, body, detail) of every submit answered 422.
        self.rejected: list[tuple[str, dict, list[dict]]] = []

    def start(self):
        self.cdn.start()
        return super().start()

    def stop(self):
        super().stop()
        self.cdn.stop()

    def add_file(self, name: str, content: bytes) -> str:
        return self.cdn.add_file(name, content)

    @property
    def downloads(self) -> list[tuple[str, dict[str, str]]]:
        """(path, headers) of every request the CDN received."""
        return self.cdn.downloads

    def jwks(self) -> dict:
        raw = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": "fake"}]}

    def handle(self, handler, method):
        url = urlparse(handler.path)
        parts = [p for p in url.path.split("/") if p]
        if parts[:2] == [".well-known", "jwks.json"]:
            return handler._reply(200, self.jwks())
        if handler.headers.get("Authorization") != "Key test-fal-key":
            return handler._reply(401, {"detail": "bad key"})
        if method == "POST":
            return self._submit(handler, url, parts)
        # /{owner}/{app}/requests/{id}[/status|/cancel]
        request = self.requests.get(parts[3]) if len(parts) >= 4 else None
        if request is None:
            return handler._reply(404, {"detail": "Request not found"})
        if method == "PUT" and parts[-1] == "cancel":
            return self._cancel(handler, request)
        if parts[-1] == "status":
            if self.fail_status:
                self.fail_status -= 1
                return handler._reply(502, {"detail": "bad gateway"})
            body = {"status": request.status, "request_id": request.request_id}
            if request.error:
                body["error"] = request.error
            return handler._reply(200, body)
        if request.status != "COMPLETED":
            return handler._reply(400, {"detail": "Request is still in progress"})
        return handler._reply(200, request.result)

    def _submit(self, handler, url, parts):
        endpoint = "/".join(parts)
        if endpoint not in VALIDATORS:
            return handler._reply(404, {"detail": "Not Found"})
        if self.hang_submits:
            time.sleep(self.hang_submits)
        if self.fail_submits:
            self.fail_submits -= 1
            return handler._reply(503, {"detail": "overloaded"})
        body = handler._body()
        errors = validation_errors(endpoint, body)
        if errors:
            self.rejected.append((endpoint, body, errors))
            return handler._reply(422, {"detail": errors})
        request_id = f"fal-{next(_ids)}"
        webhook = parse_qs(url.query).get("fal_webhook", [""])[0]
        self.requests[request_id] = FakeRequest(request_id, endpoint, body, webhook)
        base = f"{self.url}/{parts[0]}/{parts[1]}/requests/{request_id}"
        return handler._reply(
            200,
            {
                "request_id": request_id,
                "status_url": f"{base}/status",
                "response_url": base,
                "cancel_url": f"{base}/cancel",
            },
        )

    def _cancel(self, handler, request):
        # fal takes a request out of its queue; one a runner has picked up runs (and bills).
        if request.status != "IN_QUEUE":
            return handler._reply(400, {"status": "ALREADY_COMPLETED"})
        request.canceled = True
        return handler._reply(202, {"status": "CANCELLATION_REQUESTED"})

    def start_running(self, request_id: str) -> None:
        """A runner picked the request up: IN_PROGRESS, no longer cancellable."""
        self.requests[request_id].status = "IN_PROGRESS"

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
