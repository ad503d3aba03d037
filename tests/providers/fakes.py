"""Local fakes of the providers' HTTP protocols, served over real sockets.

They speak the documented wire formats (paths, headers, JSON bodies, webhook signatures),
so the adapters under test cannot tell them from the real services. The shared server base
lives here; fal's fake is in `fake_fal`.
"""

import io
import itertools
import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

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
