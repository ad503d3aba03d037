import io
import time

from PIL import Image

from genfans.providers.base import ProviderRequest, ProviderState
from genfans.providers.sandbox import SandboxProvider


def _request(seed=7):
    return ProviderRequest(
        operation="image_generation",
        endpoint="image_generation",
        input={
            "prompt": "a cat",
            "image_size": {"width": 768, "height": 512},
            "num_images": 2,
            "seed": seed,
        },
        webhook_url="",
    )


def test_sandbox_renders_real_deterministic_images_at_the_requested_size():
    provider = SandboxProvider(latency=0, failure_rate=0)
    first = provider.status(endpoint="", request_id=provider.submit(_request()))
    again = provider.status(endpoint="", request_id=provider.submit(_request()))
    assert first.state == ProviderState.COMPLETED
    assert len(first.outputs) == 2
    image = Image.open(io.BytesIO(provider.download(first.outputs[0])))
    assert (image.format, image.size) == ("JPEG", (768, 512))
    assert provider.download(first.outputs[0]) == provider.download(again.outputs[0])
    assert provider.download(first.outputs[0]) != provider.download(first.outputs[1])


def test_sandbox_latency_and_failure_rate():
    slow = SandboxProvider(latency=60, failure_rate=0)
    assert slow.status(endpoint="", request_id=slow.submit(_request())).state == "queued"
    failing = SandboxProvider(latency=0, failure_rate=1.0)
    status = failing.status(endpoint="", request_id=failing.submit(_request()))
    assert status.state == ProviderState.FAILED


def test_a_sandbox_request_can_be_cancelled_only_while_it_is_queued(monkeypatch):
    sandbox = SandboxProvider(latency=8, failure_rate=0)
    request_id = sandbox.submit(_request())
    assert sandbox.cancel(endpoint="", request_id=request_id) is True
    later = time.time() + 3  # past the queued quarter of the latency
    monkeypatch.setattr(time, "time", lambda: later)
    assert sandbox.status(endpoint="", request_id=request_id).state == ProviderState.RUNNING
    assert sandbox.cancel(endpoint="", request_id=request_id) is False
