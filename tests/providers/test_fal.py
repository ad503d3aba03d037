import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from genfans.providers import fal_webhook
from genfans.providers.base import OUTCOME_UNKNOWN, ProviderError, ProviderRequest, ProviderState
from genfans.providers.errors import WebhookRejected
from genfans.providers.fal import FalProvider, app_path, provider_from_settings
from tests.providers.fake_fal import FakeFal

ENDPOINT = "fal-ai/flux-lora"


def _request(**overrides):
    return ProviderRequest(
        operation="image_generation",
        endpoint=overrides.get("endpoint", ENDPOINT),
        input=overrides.get("input", {"prompt": "a cat", "num_images": 2}),
        webhook_url="http://app.test/api/webhooks/fal?job=1",
    )


def test_submit_sends_input_and_webhook_then_reads_status_and_result(fake_fal):
    provider = provider_from_settings()
    request_id = provider.submit(_request())
    sent = fake_fal.requests[request_id]
    assert sent.app == ENDPOINT
    assert sent.input == {"prompt": "a cat", "num_images": 2}
    assert sent.webhook_url == "http://app.test/api/webhooks/fal?job=1"
    assert provider.status(endpoint=ENDPOINT, request_id=request_id).state == ProviderState.QUEUED

    fake_fal.complete(request_id, images=2, nsfw=(1,))
    status = provider.status(endpoint=ENDPOINT, request_id=request_id)
    assert status.state == ProviderState.COMPLETED
    assert [o.nsfw for o in status.outputs] == [False, True]
    assert provider.download(status.outputs[0]).startswith(b"\xff\xd8")


def test_status_and_result_use_the_app_path_without_sub_paths(fake_fal):
    endpoint = "fal-ai/kling-video/v1.6/standard/image-to-video"
    assert app_path(endpoint) == "fal-ai/kling-video"
    provider = provider_from_settings()
    clip = {"prompt": "wave", "image_url": "https://example.test/a.jpg", "duration": "5"}
    request_id = provider.submit(_request(endpoint=endpoint, input=clip))
    provider.status(endpoint=endpoint, request_id=request_id)
    assert ("GET", f"/fal-ai/kling-video/requests/{request_id}/status") in fake_fal.log


def test_completed_with_an_error_is_a_failure(fake_fal):
    provider = provider_from_settings()
    request_id = provider.submit(_request())
    fake_fal.fail(request_id, "out of memory")
    status = provider.status(endpoint=ENDPOINT, request_id=request_id)
    assert status.state == ProviderState.FAILED
    assert "out of memory" in status.error


def test_server_errors_are_retryable_and_auth_errors_are_not(fake_fal):
    fake_fal.fail_submits = 1
    provider = provider_from_settings()
    with pytest.raises(ProviderError) as error:
        provider.submit(_request())
    assert error.value.retryable
    assert fake_fal.requests == {}

    bad_key = FalProvider(key="wrong", queue_url=fake_fal.url)
    with pytest.raises(ProviderError) as error:
        bad_key.submit(_request())
    assert not error.value.retryable


def test_a_submit_that_timed_out_after_sending_is_outcome_unknown_not_retryable(fake_fal):
    fake_fal.hang_submits = 0.5
    client = httpx.Client(timeout=0.1, headers={"Authorization": "Key test-fal-key"})
    provider = FalProvider(key="test-fal-key", queue_url=fake_fal.url, client=client)
    with pytest.raises(ProviderError) as error:
        provider.submit(_request())
    # fal took the request (and will bill it): sending it again would pay for it twice.
    assert not error.value.retryable
    assert error.value.code == OUTCOME_UNKNOWN
    time.sleep(0.5)
    assert len(fake_fal.requests) == 1


def test_cancel_is_true_only_while_the_request_waits_in_fals_queue(fake_fal):
    provider = provider_from_settings()
    queued, running, done = (provider.submit(_request()) for _ in range(3))
    fake_fal.start_running(running)
    fake_fal.complete(done)
    assert provider.cancel(endpoint=ENDPOINT, request_id=queued) is True
    # A runner has it (or finished it): fal answers 400 and bills the work.
    assert provider.cancel(endpoint=ENDPOINT, request_id=running) is False
    assert provider.cancel(endpoint=ENDPOINT, request_id=done) is False
    assert [fake_fal.requests[r].canceled for r in (queued, running, done)] == [True, False, False]


def test_cancel_that_cannot_reach_fal_is_a_retryable_error():
    provider = FalProvider(key="k", queue_url="http://127.0.0.1:9", client=httpx.Client())
    with pytest.raises(ProviderError) as error:
        provider.cancel(endpoint=ENDPOINT, request_id="fal-1")
    assert error.value.retryable is True


def test_webhook_signature_verifies_against_the_jwks(fake_fal):
    request_id = provider_from_settings().submit(_request())
    fake_fal.complete(request_id)
    _, headers, body = fake_fal.webhook(request_id)
    fal_webhook.fal_webhook_verify(headers=headers, body=body)


@pytest.mark.parametrize("case", ["tampered", "stale", "missing", "other_key"])
def test_bad_webhooks_are_rejected(fake_fal, case):
    request_id = provider_from_settings().submit(_request())
    fake_fal.complete(request_id)
    if case == "stale":
        _, headers, body = fake_fal.webhook(request_id, timestamp=int(time.time()) - 301)
    else:
        _, headers, body = fake_fal.webhook(request_id, tamper=case == "tampered")
    if case == "missing":
        headers.pop("X-Fal-Webhook-Signature")
    if case == "other_key":
        impostor = FakeFal()
        impostor.requests = fake_fal.requests
        _, headers, body = impostor.webhook(request_id)
    with pytest.raises(WebhookRejected):
        fal_webhook.fal_webhook_verify(headers=headers, body=body)


def _jwks_fetches(fake_fal) -> int:
    return sum(1 for _, path in fake_fal.log if path.endswith("jwks.json"))


def _signed_webhook(fake_fal):
    request_id = provider_from_settings().submit(_request())
    fake_fal.complete(request_id)
    _, headers, body = fake_fal.webhook(request_id)
    return headers, body


def test_cached_keys_verify_without_a_fetch_and_an_unknown_key_forces_none(fake_fal):
    headers, body = _signed_webhook(fake_fal)
    fal_webhook.fal_webhook_verify(headers=headers, body=body)
    fal_webhook.fal_webhook_verify(headers=headers, body=body)
    impostor = FakeFal()
    impostor.requests = fake_fal.requests
    _, forged_headers, forged_body = impostor.webhook(next(iter(fake_fal.requests)))
    for _ in range(5):
        with pytest.raises(WebhookRejected):
            fal_webhook.fal_webhook_verify(headers=forged_headers, body=forged_body)
    assert _jwks_fetches(fake_fal) == 1


def test_a_rotated_key_is_picked_up_by_the_next_refresh(fake_fal, monkeypatch):
    headers, body = _signed_webhook(fake_fal)
    fal_webhook.fal_webhook_verify(headers=headers, body=body)
    fake_fal.key = Ed25519PrivateKey.generate()
    headers, body = _signed_webhook(fake_fal)
    with pytest.raises(WebhookRejected):
        fal_webhook.fal_webhook_verify(headers=headers, body=body)
    monkeypatch.setattr(fal_webhook, "JWKS_REFRESH_SECONDS", 0)
    fal_webhook.fal_webhook_verify(headers=headers, body=body)
    assert _jwks_fetches(fake_fal) == 2


class SlowJwks(ThreadingHTTPServer):
    """A key server that takes `delay` seconds to answer, counting what it is asked."""

    daemon_threads = True

    def __init__(self, delay: float, jwks: dict):
        self.delay, self.jwks, self.hits = delay, jwks, 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.hits += 1
                time.sleep(server.delay)
                data = json.dumps(server.jwks).encode()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/.well-known/jwks.json"


@pytest.fixture
def slow_jwks(fake_fal, settings, monkeypatch):
    monkeypatch.setattr(fal_webhook, "JWKS_TIMEOUT", httpx.Timeout(0.5))
    server = SlowJwks(delay=2.0, jwks=fake_fal.jwks())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.FAL_JWKS_URL = server.url
    yield server
    server.shutdown()
    server.server_close()


def _verify_in_parallel(headers, body, count: int) -> list[BaseException | None]:
    def attempt(_):
        try:
            fal_webhook.fal_webhook_verify(headers=headers, body=body)
        except WebhookRejected as exc:
            return exc
        return None

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(attempt, range(count)))


def test_forged_webhooks_against_a_slow_key_server_fail_fast_with_one_fetch(fake_fal, slow_jwks):
    impostor = FakeFal()
    impostor.requests = fake_fal.requests
    _signed_webhook(fake_fal)
    _, headers, body = impostor.webhook(next(iter(fake_fal.requests)))
    started = time.monotonic()
    outcomes = _verify_in_parallel(headers, body, 20)
    # One thread waits out the 0.5 s timeout; the other 19 answer at once.
    assert time.monotonic() - started < 1.5
    assert all(isinstance(outcome, WebhookRejected) for outcome in outcomes)
    assert slow_jwks.hits == 1
    # The failed fetch also waits out the refresh interval: more forgeries fetch nothing.
    started = time.monotonic()
    assert all(_verify_in_parallel(headers, body, 20))
    assert time.monotonic() - started < 0.5
    assert slow_jwks.hits == 1


def test_cached_keys_keep_verifying_while_a_slow_refresh_runs(fake_fal, slow_jwks, monkeypatch):
    slow_jwks.delay = 0
    headers, body = _signed_webhook(fake_fal)
    fal_webhook.fal_webhook_verify(headers=headers, body=body)
    slow_jwks.delay = 2.0
    monkeypatch.setattr(fal_webhook, "JWKS_REFRESH_SECONDS", 0.2)
    time.sleep(0.2)
    started = time.monotonic()
    outcomes = _verify_in_parallel(headers, body, 20)
    assert time.monotonic() - started < 1.5
    assert outcomes == [None] * 20
    assert slow_jwks.hits == 2
