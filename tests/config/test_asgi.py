"""The ASGI entry point (`ASGI_APPLICATION`) answers requests as an ASGI server calls it."""

import asyncio
import json

from asgiref.sync import async_to_sync
from django.conf import settings


async def asgi_get(application, path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    sent = []
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    responded = asyncio.Event()

    async def receive():
        if messages:
            return messages.pop()
        await responded.wait()  # as a server does: the client goes once it has the answer
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            responded.set()

    await application(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body


def test_the_asgi_application_serves_the_health_check_and_a_404(db):
    from genfans.config.asgi import application

    assert settings.ASGI_APPLICATION == "genfans.config.asgi.application"
    status, headers, body = async_to_sync(asgi_get)(application, "/healthz")
    assert status == 200
    assert headers[b"Content-Type"] == b"application/json"
    assert json.loads(body) == {"status": "ok"}
    status, _, _ = async_to_sync(asgi_get)(application, "/no-such-page")
    assert status == 404
