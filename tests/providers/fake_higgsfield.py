"""Higgsfield's platform API as its reference and official SDK (higgsfield-client) describe it,
validated against the input schemas kept in `contracts/higgsfield/` (each with its source and
date): a submit to an endpoint without a schema is 404, a body the schema refuses is 422.

Wire format (docs.higgsfield.ai, 2026-12-02): `POST /{endpoint}?hf_webhook=…` with
`Authorization: Key KEY_ID:KEY_SECRET` answers `{status, request_id, status_url, cancel_url}`;
`GET /requests/{id}/status` answers the same plus `images: [{url}]` or `video: {url}` once
completed; `POST /requests/{id}/cancel` works only while queued, else 400. Results are served
from another host and port (as a CDN would), which records the headers each download carried.
"""

import json
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import jsonschema

from tests.providers.fakes import FakeRequest, FakeServerBase, jpeg_bytes

CONTRACTS = Path(__file__).parent / "contracts" / "higgsfield"
# The endpoints the reference documents and we use, by their endpoint id.
SCHEMAS = {
    "higgsfield-ai/soul/standard": "soul-standard.json",
    "higgsfield-ai/dop/standard": "dop-standard.json",
}
AUTHORIZATION = "Key hf-key:hf-secret"


def schema_for(endpoint: str) -> dict:
    return json.loads((CONTRACTS / SCHEMAS[endpoint]).read_text())


def contract_errors(endpoint: str, body: dict) -> list[dict]:
    """The body's violations of the endpoint's schema, in the shape of a 422 `detail` (the
    reference's generated pages show FastAPI's validation error; the SDK reads `detail`)."""
    validator = jsonschema.Draft202012Validator(
        schema_for(endpoint), format_checker=jsonschema.FormatChecker()
    )
    return [
        {"loc": ["body", *error.absolute_path], "msg": error.message, "type": error.validator}
        for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    ]


@dataclass
class FakeCdn:
    """Where Higgsfield's results live: another host (127.0.0.2) and port than the API."""

    files: dict[str, bytes] = field(default_factory=dict)
    downloads: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def start(self):
        cdn = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                name = self.path.removeprefix("/")
                cdn.downloads.append((name, dict(self.headers.items())))
                content = cdn.files.get(name)
                self.send_response(200 if content is not None else 404)
                self.send_header("Content-Length", str(len(content or b"")))
                self.end_headers()
                self.wfile.write(content or b"")

        self.server = ThreadingHTTPServer(("127.0.0.2", 0), Handler)
        self.url = f"http://127.0.0.2:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def add(self, name: str, content: bytes) -> str:
        self.files[name] = content
        return f"{self.url}/{name}"


class FakeHiggsfield(FakeServerBase):
    """Higgsfield's platform API: submit with hf_webhook, /requests/{id}/status|cancel."""

    def start(self):
        self.cdn = FakeCdn().start()
        self.rejected: list[tuple[str, dict]] = []
        return super().start()

    def stop(self):
        super().stop()
        self.cdn.stop()

    def add_file(self, name: str, content: bytes) -> str:
        return self.cdn.add(name, content)

    def _handle_body(self, request: FakeRequest) -> dict:
        return {
            "status": request.status,
            "request_id": request.request_id,
            "status_url": f"{self.url}/requests/{request.request_id}/status",
            "cancel_url": f"{self.url}/requests/{request.request_id}/cancel",
        }

    def handle(self, handler, method):
        url = urlparse(handler.path)
        parts = [p for p in url.path.split("/") if p]
        if handler.headers.get("Authorization") != AUTHORIZATION:
            return handler._reply(401, {"detail": "Not authenticated"})
        if parts[:1] == ["requests"] and len(parts) == 3:
            request = self.requests.get(parts[1])
            if request is None:
                return handler._reply(404, {"detail": "Request not found"})
            if parts[2] == "cancel" and method == "POST":
                if request.status != "queued":
                    return handler._reply(400, {"detail": "Request cannot be cancelled"})
                request.status = "canceled"
                request.canceled = True
                return handler._reply(202, self._handle_body(request))
            if parts[2] != "status" or method != "GET":
                return handler._reply(404, {"detail": "Not Found"})
            if self.fail_status:
                self.fail_status -= 1
                return handler._reply(502, {"detail": "bad gateway"})
            body = self._handle_body(request)
            if request.error:
                body["error"] = request.error
            body.update(request.result or {})
            return handler._reply(200, body)
        endpoint = "/".join(parts)
        if method != "POST" or endpoint not in SCHEMAS:
            return handler._reply(404, {"detail": "Not Found"})
        if self.fail_submits:
            self.fail_submits -= 1
            return handler._reply(500, {"detail": "boom"})
        body = handler._body()
        errors = contract_errors(endpoint, body)
        if errors:
            self.rejected.append((endpoint, body))
            return handler._reply(422, {"detail": errors})
        request_id = str(uuid.uuid4())
        webhook = parse_qs(url.query).get("hf_webhook", [""])[0]
        self.requests[request_id] = FakeRequest(
            request_id, endpoint, body, webhook, status="queued"
        )
        return handler._reply(200, self._handle_body(self.requests[request_id]))

    def complete(self, request_id: str, *, images: int | None = None):
        """Completes an image request with as many images as it asked for (or `images`)."""
        request = self.requests[request_id]
        count = images if images is not None else request.input.get("batch_size", 1)
        request.status = "completed"
        request.result = {
            "images": [
                {"url": self.add_file(f"{request_id}-{i}.png", jpeg_bytes())} for i in range(count)
            ]
        }

    def complete_video(self, request_id: str, *, video: bytes) -> str:
        request = self.requests[request_id]
        url = self.add_file(f"{request_id}.mp4", video)
        request.status = "completed"
        request.result = {"video": {"url": url}}
        return url

    def fail(self, request_id: str, error: str = "generation failed"):
        request = self.requests[request_id]
        request.status = "failed"
        request.error = error

    def set_status(self, request_id: str, status: str):
        self.requests[request_id].status = status


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
