import pytest

from genfans.providers.base import ProviderError, ProviderRequest, ProviderState
from genfans.providers.higgsfield import (
    SoulSize,
    provider_from_settings,
    soul_batch_size,
    soul_seed,
    soul_size,
)

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


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((1024, 1024), SoulSize("1:1", "1080p", differs=True)),
        ((768, 1024), SoulSize("3:4", "720p", differs=True)),
        ((1536, 1024), SoulSize("3:2", "1080p", differs=True)),
        ((1920, 1080), SoulSize("16:9", "1080p", differs=False)),
        ((720, 1280), SoulSize("9:16", "720p", differs=False)),
        ((1000, 700), SoulSize("3:2", "720p", differs=True)),
    ],
)
def test_soul_size_is_the_nearest_framing_and_resolution(size, expected):
    assert soul_size(width=size[0], height=size[1]) == expected


@pytest.mark.parametrize(("count", "batch"), [(1, 1), (2, 1), (3, 1), (4, 4), (7, 4), (8, 4)])
def test_soul_batch_size_never_exceeds_the_count(count, batch):
    assert soul_batch_size(count) == batch


@pytest.mark.parametrize(("seed", "folded"), [(0, 1), (999_999, 1_000_000), (1_000_000, 1)])
def test_soul_seed_is_folded_into_its_range(seed, folded):
    assert soul_seed(seed) == folded
