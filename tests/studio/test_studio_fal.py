"""Custom models, video and face swap through fal's protocol (the local fake fal server)."""

import io
import zipfile

import pytest
from django.test import Client
from PIL import Image

from genfans.credits.calculator import estimate
from genfans.credits.selectors import credits_balance_get
from genfans.providers.sandbox import render_video
from genfans.storage.models import Asset
from genfans.studio.models import CustomModel, Job, JobStatus, ModelVersion
from tests.providers.fake_fal import serving_fal
from tests.providers.fake_higgsfield import serving_higgsfield
from tests.studio.helpers import create_model, file_bytes, generate_from, upload, uploads

START = 550


@pytest.fixture
def fal(engine, settings):
    # Only webhooks move these jobs.
    with serving_fal(settings, GENFANS_PROVIDER="fal", JOB_POLL_SECONDS=3600) as fake:
        yield fake


def _next_request(engine, fal) -> str:
    seen = set(fal.requests)
    engine.drain(until=lambda: set(fal.requests) - seen)
    [request_id] = set(fal.requests) - seen
    return request_id


def _deliver(fal, request_id, engine) -> None:
    url, headers, body = fal.webhook(request_id)
    path = url.removeprefix("http://testserver")
    response = Client().post(path, body, content_type="application/json", headers=headers)
    assert response.status_code == 200
    engine.drain()


def _cost(operation, **params) -> int:
    return estimate(operation=operation, params=params).credits


def _trained_model(engine, fal, client, reference_model):
    model = create_model(client, reference_model, uploads(client, 4)).json()["model"]
    request_id = _next_request(engine, fal)
    lora = fal.complete_training(request_id, weights=b"v1-weights")
    _deliver(fal, request_id, engine)
    return model, request_id, lora


def test_training_sends_a_fetchable_zip_and_stores_the_weights(
    engine, fal, team_client, reference_model
):
    team, client = team_client
    model, request_id, lora = _trained_model(engine, fal, client, reference_model)
    sent = fal.requests[request_id]
    assert sent.app == "fal-ai/flux-lora-fast-training"
    assert sent.input["trigger_word"] == "avasummer_gf"
    assert sent.input["images_data_url"].startswith("http://testserver/media/")
    archive = file_bytes(client, sent.input["images_data_url"].removeprefix("http://testserver"))
    assert len(zipfile.ZipFile(io.BytesIO(archive)).namelist()) == 4

    version = ModelVersion.objects.get(model_id=model["id"])
    assert version.status == "ready"
    # The weights are copied into our storage; fal's link is only kept for the record.
    assert (
        file_bytes(
            client, client.get(f"/api/models/{model['id']}").json()["versions"][0]["weights_url"]
        )
        == b"v1-weights"
    )
    assert version.artefacts["provider_weights_url"] == lora
    job = Job.objects.get(type="model_creation")
    assert job.credits_charged == job.credits_estimated == _cost("model_creation", num_images=4)
    assert credits_balance_get(team=team).available == START - job.credits_charged


def test_refine_then_generate_from_each_version_sends_its_weights(
    engine, fal, team_client, reference_model
):
    team, client = team_client
    model, _, _ = _trained_model(engine, fal, client, reference_model)
    client.post(
        f"/api/models/{model['id']}/refine",
        {"instructions": "warmer light", "upload_ids": uploads(client, 1)},
        content_type="application/json",
    )
    request_id = _next_request(engine, fal)
    archive = file_bytes(
        client, fal.requests[request_id].input["images_data_url"].removeprefix("http://testserver")
    )
    names = zipfile.ZipFile(io.BytesIO(archive)).namelist()
    assert len([n for n in names if n.endswith(".jpg")]) == 5
    # The instructions caption the new photo only.
    assert [n for n in names if n.endswith(".txt")] == ["05.txt"]
    caption = zipfile.ZipFile(io.BytesIO(archive)).read("05.txt").decode()
    assert caption == "avasummer_gf, warmer light"
    fal.complete_training(request_id, weights=b"v2-weights")
    _deliver(fal, request_id, engine)
    v1, v2 = ModelVersion.objects.filter(model_id=model["id"]).order_by("number")
    assert CustomModel.objects.get(pk=model["id"]).current_version_id == v2.pk

    for number, version, weights in ((1, v1, b"v1-weights"), (None, v2, b"v2-weights")):
        job = generate_from(client, model["id"], version=number) if number else None
        job = job or generate_from(client, model["id"])
        assert job.status_code == 202
        request_id = _next_request(engine, fal)
        sent = fal.requests[request_id].input
        assert sent["prompt"].startswith("photo of avasummer_gf, ")
        [lora] = sent["loras"]
        assert lora["scale"] == 1 and version.weights.storage_key in lora["path"]
        assert lora["path"].startswith("http://testserver/media/")
        assert file_bytes(client, lora["path"].removeprefix("http://testserver")) == weights
        fal.complete(request_id)
        _deliver(fal, request_id, engine)
    charged = list(Job.objects.order_by("created_at").values_list("credits_charged", flat=True))
    assert charged == [
        _cost("model_creation", num_images=4),
        _cost("model_refinement", num_images=1),
        *[_cost("image_generation", num_images=1, width=512, height=512, quality="draft")] * 2,
    ]
    assert credits_balance_get(team=team).available == START - sum(charged)


def test_a_failed_refinement_keeps_version_one_and_releases_the_credits(
    engine, fal, team_client, reference_model
):
    team, client = team_client
    model, _, _ = _trained_model(engine, fal, client, reference_model)
    before = credits_balance_get(team=team).available
    response = client.post(
        f"/api/models/{model['id']}/refine",
        {"instructions": "sharper"},
        content_type="application/json",
    )
    assert credits_balance_get(team=team).reserved == response.json()["job"]["credits"]["reserved"]
    request_id = _next_request(engine, fal)
    fal.fail(request_id, "training diverged")
    _deliver(fal, request_id, engine)

    detail = client.get(f"/api/models/{model['id']}").json()
    assert detail["status"] == "ready" and detail["current_version"] == 1
    assert [(v["number"], v["status"]) for v in detail["versions"]] == [(2, "failed"), (1, "ready")]
    balance = credits_balance_get(team=team)
    assert (balance.available, balance.reserved) == (before, 0)
    assert Job.objects.get(type="model_refinement").status == JobStatus.FAILED
    # Generation still uses version 1, and a new refinement may start.
    job = generate_from(client, model["id"]).json()["job"]
    assert Job.objects.get(pk=job["id"]).params["version_number"] == 1
    engine.drain(until=lambda: len(fal.requests) == 3)


def test_failed_creation_fails_the_model_and_releases(engine, fal, team_client, reference_model):
    team, client = team_client
    model = create_model(client, reference_model, uploads(client, 4)).json()["model"]
    request_id = _next_request(engine, fal)
    fal.fail(request_id)
    _deliver(fal, request_id, engine)
    assert client.get(f"/api/models/{model['id']}").json()["status"] == "failed"
    assert credits_balance_get(team=team).available == START
    assert generate_from(client, model["id"]).status_code == 409


def test_video_and_face_swap_through_fal(engine, fal, pro_team_client, reference_model):
    team, client = pro_team_client
    target = upload(client, size=(120, 160))
    face = upload(client, colour=(10, 200, 10))
    client.post(
        "/api/videos",
        {"image_asset_id": target, "duration_s": 10, "aspect_ratio": "9:16", "prompt": "wave"},
        content_type="application/json",
    )
    request_id = _next_request(engine, fal)
    sent = fal.requests[request_id]
    assert sent.app.startswith("fal-ai/kling-video")
    assert sent.input["duration"] == "10"
    # kling's image-to-video takes no aspect ratio (the source image's shape is the clip's).
    assert "aspect_ratio" not in sent.input
    assert sent.input["image_url"].startswith("http://testserver/media/")
    assert "sandbox_source_key" not in sent.input
    from PIL import Image

    clip = render_video(source=Image.new("RGB", (64, 64)), seconds=10, width=64, height=112)
    fal.complete_video(request_id, video=clip)
    _deliver(fal, request_id, engine)
    video = Asset.objects.get(kind="video")
    assert video.duration == pytest.approx(10, abs=0.2)
    assert (video.width, video.height) == (64, 112)

    client.post(
        "/api/face-swap",
        {"target_upload_id": target, "face_upload_id": face},
        content_type="application/json",
    )
    request_id = _next_request(engine, fal)
    sent = fal.requests[request_id].input
    assert set(sent) == {"base_image_url", "swap_image_url"}
    fal.complete_face_swap(request_id, size=(80, 60))
    _deliver(fal, request_id, engine)
    swapped = Asset.objects.get(kind="image", job__type="face_swap")
    assert (swapped.width, swapped.height) == (80, 60)
    charged = dict(Job.objects.values_list("type", "credits_charged"))
    assert charged == {
        "video_generation": _cost("video_generation", duration_s=10, resolution="720p"),
        "face_swap": _cost("face_swap", num_images=1),
    }
    assert credits_balance_get(team=team).available == START - sum(charged.values())


def test_video_through_higgsfield_when_configured(engine, pro_team_client, settings):
    """GENFANS_PROVIDER_VIDEO_GENERATION=higgsfield sends only videos to Higgsfield's DoP."""
    with serving_higgsfield(
        settings, PROVIDER_BY_OPERATION={"video_generation": "higgsfield"}
    ) as fake:
        team, client = pro_team_client
        image = upload(client)
        job = client.post(
            "/api/videos",
            {"image_asset_id": image, "duration_s": 5},
            content_type="application/json",
        ).json()["job"]
        engine.drain(until=lambda: bool(fake.requests))
        [request] = fake.submits()
        assert request.app == "higgsfield-ai/dop/standard"
        assert request.input["duration"] == 5 and request.input["image_url"]
        clip = render_video(source=Image.new("RGB", (64, 64)), seconds=5, width=96, height=64)
        request.status = "completed"
        request.result = {"video": {"url": fake.add_file(f"{request.request_id}.mp4", clip)}}
        engine.drain()
        stored = Job.objects.get(pk=job["id"])
        assert stored.status == "succeeded" and stored.provider == "higgsfield"
        video = Asset.objects.get(kind="video")
        assert video.duration == pytest.approx(5, abs=0.2) and (video.width, video.height) == (
            96,
            64,
        )
        assert stored.credits_charged == _cost("video_generation", duration_s=5, resolution="720p")
