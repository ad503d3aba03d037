import time

import httpx
import pytest

from genfans.providers import fal_webhook
from genfans.providers.base import ProviderError, ProviderRequest, ProviderState
from genfans.providers.errors import WebhookRejected
from genfans.providers.fal import FalProvider, app_path, provider_from_settings
from tests.providers.fakes import FakeFal

ENDPOINT = "fal-ai/flux-lora"


def _request(**overrides):
    return ProviderRequest(
        operation="image_generation",
        endpoint=overrides.get("endpoint", ENDPOINT),
        input={"prompt": "a cat", "num_images": 2},
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
    request_id = provider.submit(_request(endpoint=endpoint))
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


def test_timeouts_are_retryable(fake_fal):
    fake_fal.hang_submits = 0.5
    client = httpx.Client(timeout=0.1, headers={"Authorization": "Key test-fal-key"})
    provider = FalProvider(key="test-fal-key", queue_url=fake_fal.url, client=client)
    with pytest.raises(ProviderError) as error:
        provider.submit(_request())
    assert error.value.retryable
    assert error.value.code == "provider_timeout"


def test_cancel_reaches_fal(fake_fal):
    provider = provider_from_settings()
    request_id = provider.submit(_request())
    provider.cancel(endpoint=ENDPOINT, request_id=request_id)
    assert fake_fal.requests[request_id].canceled


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


def test_unknown_key_refetches_the_jwks_once(fake_fal, settings):
    from django.core.cache import cache

    cache.set(fal_webhook.JWKS_CACHE_KEY, ["AAAA" * 11])
    request_id = provider_from_settings().submit(_request())
    fake_fal.complete(request_id)
    _, headers, body = fake_fal.webhook(request_id)
    fal_webhook.fal_webhook_verify(headers=headers, body=body)
    assert sum(1 for _, path in fake_fal.log if path.endswith("jwks.json")) == 1
