"""Every operation Higgsfield runs, built from a real job, against Higgsfield's published input
schema (tests/providers/contracts/higgsfield/), and the fake's answers to what it refuses."""

import httpx
import pytest

from genfans.billing.seed import seed_plans
from genfans.billing.selectors import plan_get
from genfans.catalog.models import ReferenceModel
from genfans.providers import higgsfield
from genfans.providers.base import ProviderError, ProviderRequest
from genfans.providers.higgsfield import HiggsfieldProvider, provider_from_settings
from genfans.providers.registry import endpoint_for
from genfans.storage.services import asset_create
from genfans.studio import operations
from genfans.studio.models import JobType
from tests.credits.factories import make_job
from tests.providers.fake_higgsfield import contract_errors
from tests.providers.fakes import jpeg_bytes

SIZES = [(1024, 1024), (768, 1024), (1024, 768), (1024, 1536), (1536, 1024), (512, 512)]


def _job(team, job_type: str, raw: dict):
    seed_plans()  # the migrations make only the free plan; these sizes and lengths need pro
    prepared = operations.prepare(job_type=job_type, plan=plan_get(code="pro"), team=team, raw=raw)
    return make_job(team, type=job_type, params=prepared.params)


def _input(job) -> tuple[str, dict]:
    return (
        endpoint_for("higgsfield", job.type),
        operations.provider_input(job, provider_name="higgsfield"),
    )


@pytest.fixture
def reference(db):
    return ReferenceModel.objects.create(
        slug="contract", name="Contract", category="fashion", base_prompt="portrait"
    )


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("num_images", [1, 4])
def test_image_generation_input_meets_souls_schema(team, reference, width, height, num_images):
    job = _job(
        team,
        JobType.IMAGE_GENERATION,
        {
            "prompt": "a cat",
            "model_id": str(reference.pk),
            "width": width,
            "height": height,
            "num_images": num_images,
            "seed": 2**31 - 1,
        },
    )
    endpoint, body = _input(job)
    assert endpoint == "higgsfield-ai/soul/standard"
    assert contract_errors(endpoint, body) == []
    assert body["batch_size"] == num_images
    assert 1 <= body["seed"] <= 1_000_000


def test_video_generation_input_meets_dops_schema(team):
    image = asset_create(
        team=team, kind="image", content=jpeg_bytes(), content_type="image/jpeg", job=None
    )
    job = _job(team, JobType.VIDEO_GENERATION, {"image_asset_id": str(image.pk), "duration_s": 5})
    endpoint, body = _input(job)
    assert endpoint == "higgsfield-ai/dop/standard"
    assert contract_errors(endpoint, body) == []
    assert body["duration"] == 5


def test_the_capabilities_promise_only_what_the_schemas_accept():
    soul = higgsfield.HiggsfieldProvider.capabilities["image_generation"]
    dop = higgsfield.HiggsfieldProvider.capabilities["video_generation"]
    # Every split into requests of at most max_images is a batch SOUL takes.
    assert all(n in higgsfield.SOUL_BATCH_SIZES for n in range(1, soul.max_images + 1))
    assert not soul.custom_weights
    for seconds in dop.video_seconds:
        body = {"prompt": "p", "image_url": "https://cdn.example/a.jpg", "duration": seconds}
        assert contract_errors("higgsfield-ai/dop/standard", body) == []


def _submit(provider, endpoint: str, body: dict) -> str:
    return provider.submit(
        ProviderRequest(
            operation="image_generation",
            endpoint=endpoint,
            input=body,
            webhook_url="http://app.test/api/webhooks/higgsfield?job=1&token=t",
        )
    )


def test_a_fal_shaped_body_is_refused_with_422_and_nothing_is_queued(fake_higgsfield):
    fal_style = {"prompt": "a cat", "width": 1024, "height": 1024, "num_images": 2, "seed": 7}
    with pytest.raises(ProviderError) as error:
        _submit(provider_from_settings(), "higgsfield-ai/soul/standard", fal_style)
    assert not error.value.retryable and "HTTP 422" in str(error.value)
    assert fake_higgsfield.requests == {}
    response = httpx.post(
        f"{fake_higgsfield.url}/higgsfield-ai/soul/standard",
        json=fal_style,
        headers={"Authorization": "Key hf-key:hf-secret"},
    )
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {("body",)}
    assert "width" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize(
    "endpoint", ["higgsfield-ai/model_creation", "fal-ai/flux-lora", "higgsfield-ai/soul"]
)
def test_an_endpoint_without_a_schema_is_404(fake_higgsfield, endpoint):
    with pytest.raises(ProviderError) as error:
        _submit(provider_from_settings(), endpoint, {"prompt": "a cat"})
    assert "HTTP 404" in str(error.value) and not error.value.retryable


def test_cancel_is_true_only_while_queued(fake_higgsfield):
    provider = provider_from_settings()
    queued = _submit(provider, "higgsfield-ai/soul/standard", {"prompt": "a"})
    running = _submit(provider, "higgsfield-ai/soul/standard", {"prompt": "b"})
    fake_higgsfield.set_status(running, "in_progress")
    assert provider.cancel(endpoint="", request_id=queued) is True
    assert fake_higgsfield.requests[queued].status == "canceled"
    assert provider.cancel(endpoint="", request_id=running) is False
    assert fake_higgsfield.requests[running].status == "in_progress"


def test_cancel_raises_retryable_when_higgsfield_is_unreachable():
    provider = HiggsfieldProvider(key="k", secret="s", base_url="http://127.0.0.1:9")
    with pytest.raises(ProviderError) as error:
        provider.cancel(endpoint="", request_id="r")
    assert error.value.retryable


def test_results_come_from_another_host_which_records_each_downloads_headers(fake_higgsfield):
    provider = provider_from_settings()
    request_id = _submit(provider, "higgsfield-ai/soul/standard", {"prompt": "a", "batch_size": 4})
    fake_higgsfield.complete(request_id)
    status = provider.status(endpoint="", request_id=request_id)
    assert len(status.outputs) == 4
    assert all(httpx.URL(o.url).host != httpx.URL(fake_higgsfield.url).host for o in status.outputs)
    provider.download(status.outputs[0])
    [(name, headers)] = fake_higgsfield.cdn.downloads
    assert name == f"{request_id}-0.png"


def test_no_credentials_reach_the_result_host(fake_higgsfield):
    provider = provider_from_settings()
    request_id = _submit(provider, "higgsfield-ai/soul/standard", {"prompt": "a"})
    fake_higgsfield.complete(request_id)
    provider.download(provider.status(endpoint="", request_id=request_id).outputs[0])
    [(_, headers)] = fake_higgsfield.cdn.downloads
    assert "authorization" not in {name.lower() for name in headers}
