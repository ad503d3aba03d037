"""What the engine asks of a provider is what that provider takes: requests split to its
per-request limit, jobs routed only where they can run (refused before anything is reserved
otherwise), cancels that tell the truth, and video charged for the clip delivered."""

import pytest
from django.test import Client
from PIL import Image

from genfans.credits.calculator import estimate
from genfans.credits.models import CreditReservation
from genfans.credits.selectors import credits_balance_get
from genfans.providers.errors import OperationUnavailable
from genfans.providers.registry import Needs, provider_route
from genfans.providers.sandbox import render_video
from genfans.storage.models import Asset
from genfans.studio.models import Job, JobStatus
from tests.providers.fake_fal import serving_fal
from tests.providers.fake_higgsfield import serving_higgsfield
from tests.studio.helpers import upload

START = 550


@pytest.fixture
def fal(engine, settings):
    # Only webhooks move these jobs.
    with serving_fal(settings, GENFANS_PROVIDER="fal", JOB_POLL_SECONDS=3600) as fake:
        yield fake


def _generate(client, model, **overrides):
    body = {
        "model_id": str(model.pk),
        "prompt": "a harbour at night",
        "num_images": 8,
        "width": 512,
        "height": 512,
        "quality": "draft",
        "seed": 100,
        **overrides,
    }
    return client.post("/api/generate", body, content_type="application/json")


def _images_cost(num_images: int) -> int:
    params = {"num_images": num_images, "width": 512, "height": 512, "quality": "draft"}
    return estimate(operation="image_generation", params=params).credits


def _next_request(engine, fal) -> str:
    seen = set(fal.requests)
    engine.drain(until=lambda: set(fal.requests) - seen)
    [request_id] = set(fal.requests) - seen
    return request_id


def _deliver(fal, request_id, engine, *, settle=True) -> None:
    url, headers, body = fal.webhook(request_id)
    path = url.removeprefix("http://testserver")
    response = Client().post(path, body, content_type="application/json", headers=headers)
    assert response.status_code == 200
    if settle:
        engine.drain()


# --- split requests -----------------------------------------------------------------------


def test_eight_images_on_fal_are_two_requests_of_four_seeded_apart(
    engine, fal, team_client, reference_model
):
    team, client = team_client
    job_id = _generate(client, reference_model).json()["job"]["id"]

    first = _next_request(engine, fal)
    fal.complete(first, images=4, size=(512, 512))
    _deliver(fal, first, engine, settle=False)
    second = _next_request(engine, fal)
    assert Job.objects.get(pk=job_id).progress >= 50
    fal.complete(second, images=4, size=(512, 512))
    _deliver(fal, second, engine)

    sent = [fal.requests[request].input for request in (first, second)]
    assert [(body["num_images"], body["seed"]) for body in sent] == [(4, 100), (4, 101)]
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.credits_charged) == (JobStatus.SUCCEEDED, _images_cost(8))
    assert Asset.objects.filter(job=job, kind="image").count() == 8
    assert credits_balance_get(team=team).available == START - _images_cost(8)


def test_a_part_that_fails_after_one_delivered_charges_only_the_images_delivered(
    engine, fal, team_client, reference_model
):
    team, client = team_client
    job_id = _generate(client, reference_model).json()["job"]["id"]
    first = _next_request(engine, fal)
    fal.complete(first, images=4, size=(512, 512))
    _deliver(fal, first, engine, settle=False)
    second = _next_request(engine, fal)
    fal.fail(second)
    _deliver(fal, second, engine)

    job = Job.objects.get(pk=job_id)
    assert (job.status, job.credits_charged) == (JobStatus.SUCCEEDED, _images_cost(4))
    assert Asset.objects.filter(job=job, kind="image").count() == 4
    balance = credits_balance_get(team=team)
    assert (balance.available, balance.reserved) == (START - _images_cost(4), 0)


# --- routing --------------------------------------------------------------------------------


@pytest.fixture
def higgsfield_only(engine, settings):
    with serving_higgsfield(settings, GENFANS_PROVIDER="higgsfield", FAL_KEY="") as fake:
        yield fake


def test_a_higgsfield_only_deployment_refuses_what_higgsfield_cannot_run_before_reserving(
    higgsfield_only, pro_team_client, reference_model
):
    team, client = pro_team_client
    image = upload(client)
    refused = {
        "training": client.post(
            "/api/models",
            {"reference_model_id": str(reference_model.pk), "name": "Ava", "photo_ids": []},
            content_type="application/json",
        ),
        "10 s video": client.post(
            "/api/videos",
            {"image_asset_id": image, "duration_s": 10},
            content_type="application/json",
        ),
        "face swap": client.post(
            "/api/face-swap",
            {"target_upload_id": image, "face_upload_id": image},
            content_type="application/json",
        ),
    }
    for what, response in refused.items():
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "operation_unavailable", what
    assert refused["10 s video"].status_code == 409
    assert refused["face swap"].status_code == 409
    assert not Job.objects.exists()
    assert not CreditReservation.objects.exists()
    assert credits_balance_get(team=team).available == START

    five = client.post(
        "/api/videos", {"image_asset_id": image, "duration_s": 5}, content_type="application/json"
    )
    assert five.status_code == 202
    assert Job.objects.get().provider == "higgsfield"


def test_routing_falls_back_to_a_keyed_provider_that_can_and_never_to_the_sandbox(settings):
    settings.GENFANS_PROVIDER = "higgsfield"
    settings.PROVIDER_BY_OPERATION = {}
    settings.HIGGSFIELD_API_KEY = "hf-key"
    settings.FAL_KEY = ""
    with pytest.raises(OperationUnavailable):
        provider_route("model_creation")
    with pytest.raises(OperationUnavailable):
        provider_route("image_generation", Needs(custom_weights=True))
    assert provider_route("image_generation") == "higgsfield"

    settings.FAL_KEY = "fal-key"
    assert provider_route("model_creation") == "fal"
    assert provider_route("image_generation", Needs(custom_weights=True)) == "fal"
    assert provider_route("video_generation", Needs(video_seconds=10)) == "fal"
    assert provider_route("video_generation", Needs(video_seconds=5)) == "higgsfield"


def test_with_no_keys_the_sandbox_runs_everything(settings):
    settings.GENFANS_PROVIDER = "sandbox"
    settings.FAL_KEY = settings.HIGGSFIELD_API_KEY = ""
    for operation in ("image_generation", "model_creation", "video_generation", "face_swap"):
        assert provider_route(operation) == "sandbox"
    assert provider_route("image_generation", Needs(custom_weights=True)) == "sandbox"


# --- cancel -------------------------------------------------------------------------------


def test_a_job_still_queued_at_fal_is_cancelled_there_and_released(
    engine, fal, team_client, reference_model
):
    team, client = team_client
    job_id = _generate(client, reference_model, num_images=1).json()["job"]["id"]
    request_id = _next_request(engine, fal)

    response = client.delete(f"/api/jobs/{job_id}")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "canceled"
    assert fal.requests[request_id].canceled
    assert credits_balance_get(team=team).available == START


def test_a_job_fal_is_running_cannot_be_cancelled_and_keeps_its_reservation(
    engine, fal, team_client, reference_model
):
    team, client = team_client
    job_id = _generate(client, reference_model, num_images=1).json()["job"]["id"]
    request_id = _next_request(engine, fal)
    fal.start_running(request_id)

    response = client.delete(f"/api/jobs/{job_id}")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "job_already_running"
    assert Job.objects.get(pk=job_id).status == JobStatus.RUNNING
    assert credits_balance_get(team=team).reserved == _images_cost(1)
    # It runs to the end and is charged for what it delivers.
    fal.complete(request_id, images=1, size=(512, 512))
    _deliver(fal, request_id, engine)
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.credits_charged) == (JobStatus.SUCCEEDED, _images_cost(1))


# --- video as delivered ---------------------------------------------------------------------


def test_a_ten_second_video_delivered_as_five_is_charged_as_five(engine, fal, pro_team_client):
    team, client = pro_team_client
    image = upload(client)
    job_id = client.post(
        "/api/videos", {"image_asset_id": image, "duration_s": 10}, content_type="application/json"
    ).json()["job"]["id"]
    request_id = _next_request(engine, fal)
    clip = render_video(source=Image.new("RGB", (64, 64)), seconds=5, width=64, height=112)
    fal.complete_video(request_id, video=clip)
    _deliver(fal, request_id, engine)

    job = Job.objects.get(pk=job_id)
    five = estimate(operation="video_generation", params={"duration_s": 5}).credits
    ten = estimate(operation="video_generation", params={"duration_s": 10}).credits
    assert job.credits_reserved == ten
    assert (job.status, job.credits_charged) == (JobStatus.SUCCEEDED, five)
    assert credits_balance_get(team=team).available == START - five
