"""Custom models end to end through the HTTP API: create → train → versions → generate."""

import io
import json
import struct
import zipfile

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from genfans.credits.calculator import estimate
from genfans.credits.selectors import credits_balance_get
from genfans.storage.models import Asset
from genfans.storage.retention import retention_cleanup
from genfans.studio.custom_models import custom_model_refine
from genfans.studio.errors import InvalidJobParams
from genfans.studio.models import CustomModel, Job, JobStatus, ModelVersion
from genfans.teams.models import ActivityLog
from tests.studio.conftest import make_team_client
from tests.studio.helpers import create_model, file_bytes, generate_from, uploads

START = 550  # team_client's 500 plus the free plan's 50


def _training_cost(n: int, operation="model_creation", quality="standard") -> int:
    return estimate(operation=operation, params={"num_images": n, "quality": quality}).credits


def _image_cost(n=1) -> int:
    params = {"num_images": n, "width": 512, "height": 512, "quality": "draft"}
    return estimate(operation="image_generation", params=params).credits


def _ready_model(engine, client, reference_model, photos=4):
    response = create_model(client, reference_model, uploads(client, photos))
    assert response.status_code == 202, response.content
    engine.drain()
    return response.json()


def test_create_model_trains_version_one_and_charges_the_estimate(
    engine, team_client, reference_model
):
    team, client = team_client
    photo_ids = uploads(client, 5)
    response = create_model(client, reference_model, photo_ids)
    assert response.status_code == 202
    body = response.json()
    model, job = body["model"], body["job"]
    assert model["status"] == "training" and model["current_version"] is None
    assert model["trigger_word"] == "avasummer_gf"
    assert job["type"] == "model_creation"
    assert job["credits"]["reserved"] == _training_cost(5)
    assert job["params"]["custom_model_id"] == model["id"]

    # The provider is sent a zip of exactly the training photos.
    version = ModelVersion.objects.get(model_id=model["id"])
    with default_storage.open(version.archive.storage_key, "rb") as handle:
        names = zipfile.ZipFile(io.BytesIO(handle.read())).namelist()
    assert len(names) == 5

    engine.drain()

    detail = client.get(f"/api/models/{model['id']}").json()
    assert detail["status"] == "ready" and detail["current_version"] == 1
    [v1] = detail["versions"]
    assert (v1["number"], v1["kind"], v1["status"], v1["num_photos"]) == (1, "creation", "ready", 5)
    assert sorted(v1["photo_ids"]) == sorted(photo_ids)
    assert v1["credits_charged"] == _training_cost(5)
    weights = file_bytes(client, v1["weights_url"])
    header_len = struct.unpack("<Q", weights[:8])[0]
    header = json.loads(weights[8 : 8 + header_len])
    assert header["__metadata__"]["trigger_word"] == "avasummer_gf"
    stored = ModelVersion.objects.get(pk=v1["id"])
    assert stored.artefacts["trigger_word"] == "avasummer_gf"
    assert stored.artefacts["provider_weights_url"]
    # What a live model needs never expires; the zip does.
    assert stored.weights.expires_at is None
    assert not Asset.objects.filter(pk__in=photo_ids, expires_at__isnull=False).exists()
    assert stored.archive.expires_at is not None
    thumbnail = CustomModel.objects.get(pk=model["id"]).thumbnail
    assert (thumbnail.kind, thumbnail.width, thumbnail.height) == ("thumbnail", 384, 512)
    assert thumbnail.expires_at is None and detail["thumbnail_url"]
    outputs = client.get(f"/api/jobs/{job['id']}").json()["outputs"]
    assert [o["kind"] for o in outputs] == ["weights"]
    job_row = Job.objects.get(pk=job["id"])
    assert job_row.credits_charged == job_row.credits_estimated == _training_cost(5)
    assert credits_balance_get(team=team).available == START - _training_cost(5)
    assert ActivityLog.objects.filter(team=team, action="create_model").count() == 1


def test_retention_never_deletes_what_a_live_model_needs(engine, team_client, reference_model):
    _, client = team_client
    model = _ready_model(engine, client, reference_model)["model"]
    Asset.objects.exclude(expires_at=None).update(expires_at="2000-01-01T00:00:00Z")
    retention_cleanup()
    version = ModelVersion.objects.get(model_id=model["id"])
    assert version.weights.deleted_at is None
    assert version.training_images.filter(deleted_at__isnull=True).count() == 4
    assert Asset.objects.get(pk=version.archive_id).deleted_at is not None


@pytest.mark.parametrize(("count", "code"), [(3, "invalid_params"), (31, "validation_error")])
def test_photo_count_is_validated_and_nothing_changes(
    engine, team_client, reference_model, count, code
):
    team, client = team_client
    real = uploads(client, min(count, 4))
    ids = real[:count] + [f"{i:032x}" for i in range(count - len(real[:count]))]
    response = create_model(client, reference_model, ids)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert CustomModel.objects.count() == 0 and Job.objects.count() == 0
    assert credits_balance_get(team=team).reserved == 0


def test_another_teams_photos_and_models_are_not_found(engine, team_client, reference_model):
    team, client = team_client
    _, stranger = make_team_client(Client, email="stranger@example.com", credits=500)
    theirs = uploads(stranger, 4)
    response = create_model(client, reference_model, theirs)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_params"
    model = _ready_model(engine, client, reference_model)["model"]
    assert stranger.get(f"/api/models/{model['id']}").status_code == 404
    assert (
        stranger.patch(
            f"/api/models/{model['id']}", {"name": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert stranger.delete(f"/api/models/{model['id']}").status_code == 404
    refine = stranger.post(
        f"/api/models/{model['id']}/refine",
        {"instructions": "x"},
        content_type="application/json",
    )
    assert refine.status_code == 404
    # Through /api/generate another team's model is just not a model they can use.
    generate = stranger.post(
        "/api/generate",
        {"model_id": model["id"], "prompt": "x", "width": 512, "height": 512},
        content_type="application/json",
    )
    assert generate.status_code == 400
    assert stranger.get("/api/models").json()["items"] == []
    assert Job.objects.filter(team=team).count() == 1


def test_refine_adds_version_two_keeps_history_and_generates_from_either(
    engine, team_client, reference_model
):
    team, client = team_client
    model = _ready_model(engine, client, reference_model)["model"]
    extra = uploads(client, 2)
    response = client.post(
        f"/api/models/{model['id']}/refine",
        {"instructions": "more freckles, shorter hair", "upload_ids": extra},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["version"]["number"] == 2 and body["version"]["parent_number"] == 1
    assert body["model"]["current_version"] == 1  # until v2 is trained
    assert body["job"]["credits"]["reserved"] == _training_cost(2, "model_refinement")
    engine.drain()

    detail = client.get(f"/api/models/{model['id']}").json()
    assert detail["current_version"] == 2
    v2, v1 = detail["versions"]
    assert (v2["number"], v2["kind"], v2["status"]) == (2, "refinement", "ready")
    assert v2["instructions"] == "more freckles, shorter hair"
    assert v2["num_photos"] == 6 and v1["num_photos"] == 4
    assert v1["status"] == "ready" and v2["weights_url"] != v1["weights_url"]
    assert ActivityLog.objects.filter(team=team, action="refine_model").count() == 1

    first = generate_from(client, model["id"], version=1).json()["job"]
    current = generate_from(client, model["id"]).json()["job"]
    engine.drain()
    assert Job.objects.get(pk=first["id"]).params["version_number"] == 1
    assert Job.objects.get(pk=current["id"]).params["version_number"] == 2
    for job_id in (first["id"], current["id"]):
        done = client.get(f"/api/jobs/{job_id}").json()
        assert done["status"] == "succeeded" and done["credits"]["charged"] == _image_cost()
    spent = _training_cost(4) + _training_cost(2, "model_refinement") + 2 * _image_cost()
    assert credits_balance_get(team=team).available == START - spent


def test_generate_through_the_generate_endpoint_uses_the_custom_model(
    engine, team_client, reference_model
):
    _, client = team_client
    model = _ready_model(engine, client, reference_model)["model"]
    response = client.post(
        "/api/generate",
        {"model_id": model["id"], "prompt": "x", "width": 512, "height": 512, "quality": "draft"},
        content_type="application/json",
    )
    assert response.status_code == 202
    engine.drain()
    job = Job.objects.get(pk=response.json()["job"]["id"])
    assert job.status == JobStatus.SUCCEEDED
    assert job.params["custom_model_id"] == model["id"] and job.params["version_number"] == 1
    body = {"model_id": model["id"], "prompt": "y", "width": 512, "height": 512, "version": 1}
    named = client.post("/api/generate", body, content_type="application/json")
    assert named.status_code == 202
    assert named.json()["job"]["params"]["version_number"] == 1
    missing = client.post("/api/generate", {**body, "version": 9}, content_type="application/json")
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "invalid_params")
    engine.drain()


def test_the_generate_page_offers_the_teams_ready_models(engine, team_client, reference_model):
    team, client = team_client
    model = _ready_model(engine, client, reference_model)["model"]
    page = Client()
    page.force_login(team.memberships.get().user)
    html = page.get("/dashboard/generate").content.decode()
    assert '<optgroup label="Your models">' in html
    assert f'<option value="{model["id"]}">{model["name"]}</option>' in html
    response = page.post(
        "/dashboard/generate",
        {
            "model_id": model["id"],
            "prompt": "z",
            "size": "512x512",
            "quality": "draft",
            "num_images": 1,
        },
    )
    assert response.status_code == 302
    engine.drain()
    job = Job.objects.filter(type="image_generation").latest("created_at")
    assert job.params["custom_model_id"] == model["id"]
    done = page.get(f"/dashboard/jobs/{job.pk}").content.decode()
    assert done.count("<img ") == 1
    training_job = Job.objects.get(type="model_creation")
    training = page.get(f"/dashboard/jobs/{training_job.pk}").content.decode()
    assert "<img " not in training and "Trained weights stored with the model" in training


def test_models_that_cannot_generate_answer_409(engine, team_client, reference_model, settings):
    team, client = team_client
    settings.SANDBOX_LATENCY_SECONDS = 60
    training = create_model(client, reference_model, uploads(client, 4)).json()["model"]
    response = generate_from(client, training["id"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "model_not_ready"
    busy = client.delete(f"/api/models/{training['id']}")
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "model_busy"
    # Canceling the training releases the reservation and fails the model.
    client.delete(f"/api/jobs/{Job.objects.get().pk}")
    assert client.get(f"/api/models/{training['id']}").json()["status"] == "failed"
    assert credits_balance_get(team=team).available == START

    settings.SANDBOX_LATENCY_SECONDS = 0
    ready = _ready_model(engine, client, reference_model)["model"]
    archived = client.delete(f"/api/models/{ready['id']}").json()
    assert archived["status"] == "archived" and archived["archived_at"]
    response = generate_from(client, ready["id"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "model_not_ready"
    # Archived: its files expire like any other output.
    version = ModelVersion.objects.get(model_id=ready["id"])
    assert version.weights.expires_at is not None
    assert client.delete(f"/api/models/{ready['id']}").status_code == 200  # idempotent
    assert [m["id"] for m in client.get("/api/models").json()["items"]] == [training["id"]]
    assert client.get("/api/models?status=archived").json()["items"][0]["id"] == ready["id"]


def test_rename_keeps_the_trigger_word(engine, team_client, reference_model):
    _, client = team_client
    model = _ready_model(engine, client, reference_model)["model"]
    renamed = client.patch(
        f"/api/models/{model['id']}", {"name": "Ava Winter"}, content_type="application/json"
    ).json()
    assert renamed["name"] == "Ava Winter" and renamed["trigger_word"] == "avasummer_gf"
    blank = client.patch(
        f"/api/models/{model['id']}", {"name": "  "}, content_type="application/json"
    )
    assert blank.status_code == 400


def test_only_one_refinement_at_a_time(engine, team_client, reference_model, settings):
    team, client = team_client
    model = _ready_model(engine, client, reference_model)["model"]
    settings.SANDBOX_LATENCY_SECONDS = 60
    first = client.post(
        f"/api/models/{model['id']}/refine", {"instructions": "a"}, content_type="application/json"
    )
    assert first.status_code == 202
    reserved = credits_balance_get(team=team).reserved
    second = client.post(
        f"/api/models/{model['id']}/refine", {"instructions": "b"}, content_type="application/json"
    )
    assert second.status_code == 409 and second.json()["error"]["code"] == "model_busy"
    assert credits_balance_get(team=team).reserved == reserved
    assert ModelVersion.objects.filter(model_id=model["id"]).count() == 2
    client.delete(f"/api/jobs/{first.json()['job']['id']}")
    engine.drain()


def test_not_enough_credits_is_402_and_creates_nothing(engine, reference_model):
    team, client = make_team_client(Client, email="poor@example.com")  # the free plan's 50
    photos = uploads(client, 4)
    response = create_model(client, reference_model, photos)
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_credits"
    assert CustomModel.objects.count() == ModelVersion.objects.count() == Job.objects.count() == 0
    assert not Asset.objects.filter(kind="archive").exists()
    balance = credits_balance_get(team=team)
    assert (balance.available, balance.reserved) == (50, 0)


def test_idempotency_key_creates_one_model(engine, team_client, reference_model):
    team, client = team_client
    photos = uploads(client, 4)
    headers = {"Idempotency-Key": "model-1"}
    first = client.post(
        "/api/models",
        {"name": "Ava", "reference_model_id": str(reference_model.pk), "upload_ids": photos},
        content_type="application/json",
        headers=headers,
    )
    again = client.post(
        "/api/models",
        {"name": "Ava", "reference_model_id": str(reference_model.pk), "upload_ids": photos},
        content_type="application/json",
        headers=headers,
    )
    assert first.status_code == again.status_code == 202
    assert first.json()["model"]["id"] == again.json()["model"]["id"]
    assert CustomModel.objects.count() == 1
    assert credits_balance_get(team=team).reserved == _training_cost(4)
    engine.drain()


def test_an_archived_models_files_expire_and_cleanup_deletes_them(
    engine, team_client, reference_model
):
    _, client = team_client
    kept = _ready_model(engine, client, reference_model)["model"]
    gone = _ready_model(engine, client, reference_model)["model"]
    client.delete(f"/api/models/{gone['id']}")
    Asset.objects.exclude(expires_at=None).update(expires_at="2000-01-01T00:00:00Z")
    retention_cleanup()
    archived = ModelVersion.objects.get(model_id=gone["id"])
    live = ModelVersion.objects.get(model_id=kept["id"])
    assert Asset.objects.get(pk=archived.weights_id).deleted_at is not None
    assert not archived.training_images.filter(deleted_at__isnull=True).exists()
    assert Asset.objects.get(pk=live.weights_id).deleted_at is None
    assert live.training_images.filter(deleted_at__isnull=True).count() == 4


# --- refinements refused ----------------------------------------------------------------------


def _refine(client, model_id, instructions, **extra):
    body = {"instructions": instructions, **extra}
    return client.post(f"/api/models/{model_id}/refine", body, content_type="application/json")


def _nothing_refined(team, model_id, reserved: int) -> None:
    assert ModelVersion.objects.filter(model_id=model_id).count() == 1
    assert Job.objects.filter(type="model_refinement").count() == 0
    assert credits_balance_get(team=team).reserved == reserved
    assert Asset.objects.filter(kind="archive").count() == 1  # v1's; no zip left behind


def test_a_refinement_must_say_what_changes_in_at_most_1000_characters(
    engine, team_client, reference_model
):
    team, client = team_client
    model = _ready_model(engine, client, reference_model)["model"]
    response = _refine(client, model["id"], "   ")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("invalid_params", "Say what should change.")
    assert error["details"]["field"] == "instructions"
    # The API's schema and the page's form stop longer text first; the service's rule holds
    # for every caller.
    with pytest.raises(InvalidJobParams, match="longer than 1000 characters") as too_long:
        custom_model_refine(
            team=team,
            user=team.memberships.get().user,
            model_id=model["id"],
            instructions="x" * 1001,
            upload_ids=[],
        )
    assert too_long.value.details["field"] == "instructions"
    _nothing_refined(team, model["id"], reserved=0)


def test_a_model_still_training_its_first_version_cannot_be_refined(
    engine, team_client, reference_model
):
    team, client = team_client
    model = create_model(client, reference_model, uploads(client, 4)).json()["model"]
    reserved = credits_balance_get(team=team).reserved
    response = _refine(client, model["id"], "softer light")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "model_not_ready"
    assert ModelVersion.objects.filter(model_id=model["id"]).count() == 1
    assert credits_balance_get(team=team).reserved == reserved
    engine.drain()


@pytest.fixture
def while_zipping(monkeypatch):
    """Runs `meanwhile` once, right after the refinement's photos are zipped: what another
    request does between the submit's checks and its transaction."""
    from genfans.studio.operations import training

    pack = training.pack
    pending = []

    def pack_then(**kwargs):
        stored = pack(**kwargs)
        while pending:
            pending.pop()()
        return stored

    monkeypatch.setattr(training, "pack", pack_then)
    return pending.append


def test_a_model_archived_while_its_refinement_is_zipped_is_refused(
    engine, team_client, reference_model, while_zipping
):
    team, client = team_client
    model = _ready_model(engine, client, reference_model)["model"]
    while_zipping(lambda: client.delete(f"/api/models/{model['id']}"))

    response = _refine(client, model["id"], "softer light")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "model_not_ready"
    assert CustomModel.objects.get().status == "archived"
    _nothing_refined(team, model["id"], reserved=0)


def test_a_refinement_that_finished_while_another_was_zipped_makes_it_submit_again(
    engine, team_client, reference_model, while_zipping
):
    team, client = team_client
    model = _ready_model(engine, client, reference_model)["model"]

    def another_refinement():
        assert _refine(client, model["id"], "shorter hair").status_code == 202
        engine.drain()

    while_zipping(another_refinement)
    response = _refine(client, model["id"], "softer light")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "model_busy"
    assert list(
        ModelVersion.objects.filter(model_id=model["id"])
        .order_by("number")
        .values_list("number", "instructions")
    ) == [(1, ""), (2, "shorter hair")]
    assert credits_balance_get(team=team).reserved == 0
