"""Output downloads (issue 15, "Safe downloads"): a client without provider credentials that
follows a few redirects, each hop checked, and fetches only https from public addresses unless
the host is in PROVIDER_DOWNLOAD_ALLOWED_HOSTS."""

import datetime
import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.test import Client

from genfans.credits.models import CreditReservation, ReservationStatus
from genfans.credits.selectors import credits_balance_get
from genfans.providers import http
from genfans.providers.base import ProviderError, ProviderOutput
from genfans.providers.fal import provider_from_settings as fal_from_settings
from genfans.providers.higgsfield import provider_from_settings as higgsfield_from_settings
from genfans.storage.models import Asset
from genfans.studio.models import Job, JobStatus
from tests.providers.fake_fal import serving_fal
from tests.providers.fakes import jpeg_bytes
from tests.studio.conftest import engine, reference_model, team_client  # noqa: F401 - fixtures

PUBLIC_IP = "93.184.216.34"


class DownloadHost:
    """Another host than the provider's API (as fal's CDN is): records each request's headers
    and serves files, redirects and cookies."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.redirects: dict[str, str] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                host.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                if self.path in host.redirects:
                    self.send_response(302)
                    self.send_header("Location", host.redirects[self.path])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = host.files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Set-Cookie", "session=from-the-cdn; Path=/")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def cdn():
    host = DownloadHost()
    yield host
    host.server.shutdown()
    host.server.server_close()


def _output(url: str) -> ProviderOutput:
    return ProviderOutput(url=url, content_type="image/jpeg")


def _refused(url: str, code: str = "download_refused") -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        http.download(url)
    assert (caught.value.code, caught.value.retryable) == (code, False)
    return caught.value


class FakeDNS:
    """Names in `answers` resolve to the given addresses; every lookup is kept."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.lookups: list[str] = []

    def __setitem__(self, host: str, addresses: list[str]) -> None:
        self.answers[host] = addresses

    def getaddrinfo(self, host, port, *args, real=socket.getaddrinfo, **kwargs):
        self.lookups.append(host)
        if host not in self.answers:
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0))
            if ":" in ip
            else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
            for ip in self.answers[host]
        ]


@pytest.fixture
def dns(monkeypatch):
    fake = FakeDNS()
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


@pytest.mark.parametrize("adapter", ["fal", "higgsfield"])
def test_no_provider_credentials_or_cookies_reach_the_download_host(adapter, settings, cdn):
    settings.FAL_KEY = "test-fal-key"
    settings.HIGGSFIELD_API_KEY, settings.HIGGSFIELD_API_SECRET = "hf-key", "hf-secret"
    provider = fal_from_settings() if adapter == "fal" else higgsfield_from_settings()
    cdn.files["/a.jpg"] = cdn.files["/b.jpg"] = jpeg_bytes()

    assert provider.download(_output(f"{cdn.url}/a.jpg")) == jpeg_bytes()
    assert provider.download(_output(f"{cdn.url}/b.jpg")) == jpeg_bytes()

    assert [path for path, _ in cdn.seen] == ["/a.jpg", "/b.jpg"]
    for _, headers in cdn.seen:
        assert "authorization" not in headers
        assert not any(name.startswith("hf-") for name in headers)
        assert "test-fal-key" not in str(headers) and "hf-secret" not in str(headers)
        # The first answer set a cookie; no answer's cookie is sent to anyone.
        assert "cookie" not in headers


def test_a_redirect_is_followed_and_the_final_bytes_returned(cdn):
    cdn.redirects["/signed"] = "/moved"
    cdn.redirects["/moved"] = f"{cdn.url}/final.jpg"
    cdn.files["/final.jpg"] = b"final bytes"

    assert http.download(f"{cdn.url}/signed") == b"final bytes"
    assert [path for path, _ in cdn.seen] == ["/signed", "/moved", "/final.jpg"]


def test_redirects_beyond_the_limit_are_refused(cdn):
    cdn.redirects["/loop"] = "/loop"
    _refused(f"{cdn.url}/loop", code="too_many_redirects")
    assert len(cdn.seen) == http.MAX_REDIRECTS + 1

    cdn.seen.clear()
    cdn.redirects.update({"/1": "/2", "/2": "/3", "/3": "/4"})
    cdn.files["/4"] = b"three hops"
    assert http.download(f"{cdn.url}/1") == b"three hops"
    assert len(cdn.seen) == 4


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/internal.jpg",
        "https://[::1]/x.jpg",
    ],
)
def test_a_redirect_to_a_private_address_is_refused(cdn, target):
    cdn.redirects["/out.jpg"] = target
    _refused(f"{cdn.url}/out.jpg")
    assert [path for path, _ in cdn.seen] == ["/out.jpg"]


def test_a_non_2xx_answer_is_never_returned(cdn):
    with pytest.raises(ProviderError) as missing:
        http.download(f"{cdn.url}/missing.jpg")
    assert (missing.value.code, missing.value.retryable) == ("download_failed", False)


def test_plain_http_is_refused_unless_the_host_is_allowlisted(settings, dns, cdn):
    dns["downloads.example"] = [PUBLIC_IP]
    _refused("http://downloads.example/out.jpg")
    # Allowlisted by host:port, not by host alone: another port of the same host is refused.
    cdn.files["/a"] = b"ok"
    settings.PROVIDER_DOWNLOAD_ALLOWED_HOSTS = [f"127.0.0.1:{cdn.port}"]
    assert http.download(f"{cdn.url}/a") == b"ok"
    settings.PROVIDER_DOWNLOAD_ALLOWED_HOSTS = [f"127.0.0.1:{cdn.port + 1}"]
    _refused(f"{cdn.url}/a")
    settings.PROVIDER_DOWNLOAD_ALLOWED_HOSTS = []
    _refused(f"{cdn.url}/a")
    assert len(cdn.seen) == 1


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",  # shared address space (carrier NAT)
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
    ],
)
def test_a_host_resolving_to_a_non_public_address_is_refused(settings, dns, address):
    settings.PROVIDER_DOWNLOAD_ALLOWED_HOSTS = []
    dns["cdn.example"] = [address]
    error = _refused("https://cdn.example/out.jpg")
    assert f"resolves to {ipaddress.ip_address(address)}" in str(error)


def test_one_private_address_among_public_ones_is_refused(settings, dns):
    dns["cdn.example"] = [PUBLIC_IP, "10.0.0.7"]
    _refused("https://cdn.example/out.jpg")


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/x", "https://[::1]/x", "https://[::ffff:127.0.0.1]/x"]
)
def test_loopback_literals_are_refused_when_not_allowlisted(settings, url):
    settings.PROVIDER_DOWNLOAD_ALLOWED_HOSTS = ["localhost"]
    _refused(url)


@pytest.mark.parametrize("url", ["ftp://cdn.example/x", "file:///etc/passwd", "not a url"])
def test_other_schemes_are_refused(url):
    _refused(url)


def test_the_request_goes_to_the_address_that_was_checked(monkeypatch, dns):
    """A second lookup could answer differently (DNS rebinding): there is none; the connection
    is made to the checked address, with the host's name for Host and for TLS."""
    dns["cdn.example"] = [PUBLIC_IP]
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path == "/first":
            dns["cdn.example"] = ["127.0.0.1"]  # rebinds after the first check
            return httpx.Response(302, headers={"Location": "/second"})
        return httpx.Response(200, content=b"bytes")

    monkeypatch.setattr(
        http, "_download_client", httpx.Client(transport=httpx.MockTransport(answer))
    )
    with pytest.raises(ProviderError) as caught:
        http.download("https://cdn.example:8443/first")
    assert caught.value.code == "download_refused"
    [first] = sent
    assert (first.url.host, first.url.port, first.url.path) == (PUBLIC_IP, 8443, "/first")
    assert first.headers["Host"] == "cdn.example:8443"
    assert first.extensions["sni_hostname"] == "cdn.example"
    assert dns.lookups.count("cdn.example") == 2  # once per hop, each checked


def test_the_size_cap_is_kept(monkeypatch, cdn):
    monkeypatch.setattr(http, "MAX_DOWNLOAD_BYTES", 1000)
    cdn.files["/big"] = b"x" * 1001
    cdn.files["/fits"] = b"x" * 1000
    _refused(f"{cdn.url}/big", code="download_too_large")
    assert http.download(f"{cdn.url}/fits") == b"x" * 1000


def test_a_job_whose_result_names_a_private_address_fails_and_releases(
    engine,  # noqa: F811
    settings,
    team_client,  # noqa: F811
    reference_model,  # noqa: F811
):
    team, client = team_client
    before = credits_balance_get(team=team).available
    with serving_fal(settings, GENFANS_PROVIDER="fal", JOB_POLL_SECONDS=3600) as fal:
        response = client.post(
            "/api/generate",
            {
                "model_id": str(reference_model.pk),
                "prompt": "a lighthouse",
                "num_images": 1,
                "width": 512,
                "height": 512,
                "quality": "draft",
            },
            content_type="application/json",
        )
        assert response.status_code == 202
        engine.drain(until=lambda: fal.requests)
        [request_id] = fal.requests
        fal.complete(
            request_id,
            result={
                "images": [{"url": "http://169.254.169.254/latest/meta-data/", "width": 64}],
                "seed": 1,
                "has_nsfw_concepts": [False],
            },
        )
        url, headers, body = fal.webhook(request_id)
        Client().post(
            url.removeprefix("http://testserver"),
            body,
            content_type="application/json",
            headers=headers,
        )
        engine.drain()

    job = Job.objects.get(pk=response.json()["job"]["id"])
    assert (job.status, job.error_code, job.credits_charged) == (
        JobStatus.FAILED,
        "download_refused",
        0,
    )
    assert Asset.objects.filter(job=job).count() == 0
    assert list(CreditReservation.objects.filter(job=job).values_list("status", flat=True)) == [
        ReservationStatus.RELEASED
    ]
    balance = credits_balance_get(team=team)
    assert (balance.available, balance.reserved) == (before, 0)


def _tls_server(tmp_path, name: str, body: bytes):
    """An https server on 127.0.0.1 whose certificate names `name`, and a context trusting it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert_file, key_file)
    server.socket = served.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    trusted = ssl.create_default_context(cafile=str(cert_file))
    return server, trusted


@pytest.mark.parametrize(
    ("certificate_for", "delivered"), [("cdn.test", True), ("evil.test", False)]
)
def test_a_pinned_connection_still_verifies_the_certificate_for_the_host(
    monkeypatch, settings, dns, tmp_path, certificate_for, delivered
):
    """The real transport connects to the checked address and verifies TLS for the URL's host.
    (The address check is lifted here only because the test server can listen on loopback.)"""
    settings.PROVIDER_DOWNLOAD_ALLOWED_HOSTS = []
    server, trusted = _tls_server(tmp_path, certificate_for, b"over tls")
    dns["cdn.test"] = ["127.0.0.1"]
    monkeypatch.setattr(http, "_is_public", lambda address: True)
    monkeypatch.setattr(
        http,
        "_download_client",
        httpx.Client(verify=trusted, trust_env=False, follow_redirects=False),
    )
    url = f"https://cdn.test:{server.server_address[1]}/out.jpg"
    try:
        if delivered:
            assert http.download(url) == b"over tls"
        else:
            with pytest.raises(ProviderError) as caught:
                http.download(url)
            assert "certificate" in str(caught.value).lower()
    finally:
        server.shutdown()
        server.server_close()
