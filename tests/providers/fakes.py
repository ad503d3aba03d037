"""Local fakes of the providers' HTTP protocols, served over real sockets.

They speak the documented wire formats (paths, headers, JSON bodies, webhook signatures),
so the adapters under test cannot tell them from the real services. The shared server base
lives here; fal's fake is in `fake_fal`.
"""

import io
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
