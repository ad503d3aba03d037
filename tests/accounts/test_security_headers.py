import re
import runpy
from datetime import timedelta
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

import genfans.config.settings as settings_module
from genfans.core.management.commands.serve import ACCESS_LOG_FORMAT

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/sign-in",
    "/pricing",
    "/dashboard/",
    "/dashboard/generate",
    "/api/user",
    "/api/docs",
]


def _csp(response) -> dict[str, list[str]]:
    directives = (d.split() for d in response.headers["Content-Security-Policy"].split(";"))
    return {name: values for name, *values in directives}


@pytest.mark.parametrize("url", PAGES)
def test_every_response_carries_the_security_headers(owner_client, url):
    response = owner_client.get(url)
    assert response.status_code == 200
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    # A nonce is named only where the response made one (pages do, JSON does not).
    assert csp["script-src"][0] == "'self'"
    assert all(value.startswith("'nonce-") for value in csp["script-src"][1:])
    assert csp["style-src"] == csp["script-src"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "microphone=()" in response.headers["Permissions-Policy"]
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("url", ["/", "/sign-in", "/pricing", "/dashboard/generate"])
def test_inline_blocks_carry_the_nonce_of_the_header(owner_client, url):
    response = owner_client.get(url)
    nonce = _csp(response)["script-src"][1].removeprefix("'nonce-").removesuffix("'")
    html = response.content.decode()
    assert f'"inlineScriptNonce": "{nonce}"' in html
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
        assert f'nonce="{nonce}"' in tag or " src=" in tag, tag


def test_pages_declare_no_inline_handlers_or_style_attributes(owner_client):
    for url in ["/", "/dashboard/", "/dashboard/team", "/dashboard/api-keys", "/catalog"]:
        html = owner_client.get(url).content.decode()
        assert not re.search(r"\s(on[a-z]+|style|hx-on[:\w-]*)=", html), url


def test_api_docs_load_swagger_from_our_static_files(owner_client):
    html = owner_client.get("/api/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "https://" not in html


def test_two_responses_get_two_nonces(client):
    first, second = (_csp(client.get("/"))["script-src"][1] for _ in range(2))
    assert first != second


@pytest.mark.parametrize(
    ("base_url", "hsts"),
    [("https://genfans.example", "max-age=31536000"), ("http://127.0.0.1:8000", None)],
)
def test_hsts_only_when_the_public_address_is_https(client, settings, monkeypatch, base_url, hsts):
    monkeypatch.setenv("BASE_URL", base_url)
    loaded = runpy.run_path(settings_module.__file__)
    settings.SECURE_HSTS_SECONDS = loaded["SECURE_HSTS_SECONDS"]
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = loaded["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    response = client.get("/sign-in", secure=True)
    assert response.headers.get("Strict-Transport-Security") == hsts


def test_the_access_log_keeps_no_query_string_or_referrer(tmp_path):
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("access_log_format", ACCESS_LOG_FORMAT)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/media/a.png?signature=secret-sig",
        "PATH_INFO": "/media/a.png",
        "QUERY_STRING": "signature=secret-sig",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.7",
        "HTTP_REFERER": "https://genfans.example/api/webhooks/higgsfield?token=secret-token",
        "HTTP_USER_AGENT": "curl/8",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=12)
    Logger(config).access(response, SimpleNamespace(headers=[]), environ, timedelta(0))
    line = (tmp_path / "access.log").read_text()
    assert '"GET /media/a.png HTTP/1.1" 200 12 "curl/8"' in line
    assert "secret" not in line
