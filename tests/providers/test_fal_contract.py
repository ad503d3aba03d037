"""What we send fal against what fal publishes (tests/providers/contracts/fal/).

Every operation's job is made for real (through the sandbox, which runs the same engine),
then turned into fal's request body by `studio.operations.provider_input` and checked
against the endpoint's schema. The fake enforces the same schemas on the wire.
"""

import httpx
import pytest
from django.conf import settings as django_settings
from jsonschema import Draft202012Validator

from genfans.providers.base import ProviderOutput, ProviderRequest, ProviderState
from genfans.providers.fal import FalProvider, provider_from_settings
from genfans.studio import operations
from genfans.studio.models import Job, JobType
from tests.providers.fake_fal import SCHEMAS
from tests.studio.conftest import engine, pro_team_client, reference_model  # noqa: F401
from tests.studio.helpers import create_model, generate_from, upload, uploads


@pytest.fixture
def jobs(engine, pro_team_client, reference_model):  # noqa: F811
    """One settled job of every operation, made through the sandbox."""
    _, client = pro_team_client
    model = create_model(client, reference_model, uploads(client, 4)).json()["model"]
    engine.drain()
    client.post(
        f"/api/models/{model['id']}/refine",
        {"instructions": "warmer light", "upload_ids": uploads(client, 1)},
        content_type="application/json",
    )
    engine.drain()
    assert generate_from(client, model["id"], num_images=4).status_code == 202
    body = {
        "model_id": str(reference_model.pk),
        "prompt": "on a rooftop at dusk",
        "num_images": 4,
        "width": 1024,
        "height": 768,
        "quality": "standard",
    }
    assert client.post("/api/generate", body, content_type="application/json").status_code == 202
    target, face = upload(client, size=(120, 160)), upload(client, colour=(10, 200, 10))
    for path, body in (
        ("/api/videos", {"image_asset_id": target, "duration_s": 10, "aspect_ratio": "9:16"}),
        ("/api/face-swap", {"target_upload_id": target, "face_upload_id": face}),
    ):
        assert client.post(path, body, content_type="application/json").status_code == 202
    engine.drain()
    return list(Job.objects.order_by("created_at"))


def test_every_operation_sends_fal_a_body_its_schema_accepts(jobs):
    endpoints = django_settings.PROVIDER_ENDPOINTS["fal"]
    kinds = []
    for job in jobs:
        body = operations.provider_input(job, provider_name="fal")
        schema = SCHEMAS[endpoints[job.type]]
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(body)]
        assert errors == [], (job.type, body)
        # fal ignores a field its endpoint does not declare: a user's choice silently dropped.
        assert set(body) <= set(schema["properties"]), (job.type, body)
        kinds.append((job.type, bool(body.get("loras"))))
    assert kinds == [
        (JobType.MODEL_CREATION, False),
        (JobType.MODEL_REFINEMENT, False),
        (JobType.IMAGE_GENERATION, True),
        (JobType.IMAGE_GENERATION, False),
        (JobType.VIDEO_GENERATION, False),
        (JobType.FACE_SWAP, False),
    ]


def test_the_adapter_claims_what_the_schemas_allow():
    endpoints = django_settings.PROVIDER_ENDPOINTS["fal"]
    capabilities = FalProvider.capabilities
    assert set(capabilities) == set(endpoints)
    images = SCHEMAS[endpoints["image_generation"]]["properties"]
    assert capabilities["image_generation"].max_images == images["num_images"]["maximum"]
    assert "loras" in images and capabilities["image_generation"].custom_weights
    durations = SCHEMAS[endpoints["video_generation"]]["properties"]["duration"]["enum"]
    assert capabilities["video_generation"].video_seconds == tuple(int(d) for d in durations)


def _submit(fake_fal, path: str, body: dict) -> httpx.Response:
    return httpx.post(
        f"{fake_fal.url}/{path}", json=body, headers={"Authorization": "Key test-fal-key"}
    )


def test_the_fake_rejects_what_fal_rejects(fake_fal):
    response = _submit(fake_fal, "fal-ai/flux-lora", {"prompt": "a cat", "num_images": 8})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "loc": ["body", "num_images"],
                "msg": "8 is greater than the maximum of 4",
                "type": "less_than_equal",
            }
        ]
    }
    clip = {"prompt": "wave", "image_url": "https://example.test/a.jpg", "duration": 10}
    response = _submit(fake_fal, "fal-ai/kling-video/v1.6/standard/image-to-video", clip)
    assert response.status_code == 422
    assert [(e["loc"], e["type"]) for e in response.json()["detail"]] == [
        (["body", "duration"], "enum")
    ]
    response = _submit(fake_fal, "fal-ai/face-swap", {"base_image_url": "https://x.test/a"})
    assert [e["loc"] for e in response.json()["detail"]] == [["body", "swap_image_url"]]
    assert _submit(fake_fal, "fal-ai/no-such-model", {"prompt": "a cat"}).status_code == 404
    assert fake_fal.requests == {}
    assert len(fake_fal.rejected) == 3


def test_results_come_from_another_host_than_the_queue(fake_fal):
    provider = provider_from_settings()
    request_id = provider.submit(
        ProviderRequest(
            operation="image_generation",
            endpoint="fal-ai/flux-lora",
            input={"prompt": "a cat", "num_images": 1},
            webhook_url="",
        )
    )
    fake_fal.complete(request_id)
    status = provider.status(endpoint="fal-ai/flux-lora", request_id=request_id)
    assert status.state == ProviderState.COMPLETED
    [output] = status.outputs
    assert httpx.URL(output.url).port != httpx.URL(fake_fal.url).port


def test_no_credentials_reach_the_result_host(fake_fal):
    url = fake_fal.add_file("out.jpg", b"\xff\xd8bytes")
    provider_from_settings().download(ProviderOutput(url=url, content_type="image/jpeg"))
    [(path, headers)] = fake_fal.downloads
    assert path == "/files/out.jpg"
    assert "authorization" not in {name.lower() for name in headers}
