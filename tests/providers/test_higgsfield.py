import pytest

from genfans.providers.base import ProviderError, ProviderRequest, ProviderState
from genfans.providers.higgsfield import provider_from_settings

ENDPOINT = "higgsfield-ai/soul/standard"


def _submit(provider):
    return provider.submit(
        ProviderRequest(
            operation="image_generation",
            endpoint=ENDPOINT,
            input={"prompt": "a cat"},
            webhook_url="http://app.test/api/webhooks/higgsfield?job=1&token=t",
        )
    )


def test_submit_status_and_download(fake_higgsfield):
    provider = provider_from_settings()
    request_id = _submit(provider)
    assert fake_higgsfield.requests[request_id].webhook_url.endswith("token=t")
    assert provider.status(endpoint=ENDPOINT, request_id=request_id).state == ProviderState.QUEUED
    fake_higgsfield.set_status(request_id, "in_progress")
    assert provider.status(endpoint=ENDPOINT, request_id=request_id).state == ProviderState.RUNNING
    fake_higgsfield.complete(request_id, images=2)
    status = provider.status(endpoint=ENDPOINT, request_id=request_id)
    assert status.state == ProviderState.COMPLETED
    assert len(status.outputs) == 2
    assert provider.download(status.outputs[0])


@pytest.mark.parametrize("raw", ["failed", "nsfw"])
def test_failed_and_nsfw_are_failures(fake_higgsfield, raw):
    provider = provider_from_settings()
    request_id = _submit(provider)
    fake_higgsfield.set_status(request_id, raw)
    assert provider.status(endpoint=ENDPOINT, request_id=request_id).state == ProviderState.FAILED


def test_cancel_and_server_errors(fake_higgsfield):
    provider = provider_from_settings()
    request_id = _submit(provider)
    provider.cancel(endpoint=ENDPOINT, request_id=request_id)
    assert fake_higgsfield.requests[request_id].status == "canceled"
    fake_higgsfield.fail_submits = 1
    with pytest.raises(ProviderError) as error:
        _submit(provider)
    assert error.value.retryable
