"""Video, face swap and the gallery end to end through the HTTP API with the sandbox."""

import io

import av
import pytest
from django.test import Client
from PIL import Image

from genfans.credits.calculator import estimate
from genfans.credits.selectors import credits_balance_get
from genfans.storage.models import Asset
from genfans.studio.models import Job
from genfans.teams.models import ActivityLog
from tests.studio.conftest import make_team_client
from tests.studio.helpers import create_model, file_bytes, generate_from, upload, uploads

START = 550


def _video_cost(seconds: int) -> int:
    return estimate(
        operation="video_generation", params={"duration_s": seconds, "resolution": "720p"}
    ).credits


def _swap_cost() -> int:
    return estimate(operation="face_swap", params={"num_images": 1}).credits


def _spent(team) -> int:
    return sum(Job.objects.filter(team=team).values_list("credits_charged", flat=True))


def _image(engine, client, reference_model) -> str:
    body = {
        "model_id": str(reference_model.pk),
        "prompt": "studio portrait",
        "num_images": 1,
        "width": 512,
        "height": 512,
        "quality": "draft",
    }
    job = client.post("/api/generate", body, content_type="application/json").json()["job"]
    engine.drain()
    return client.get(f"/api/jobs/{job['id']}").json()["outputs"][0]["id"]


def _video(client, **body):
    return client.post("/api/videos", body, content_type="application/json")


@pytest.mark.parametrize(
    ("seconds", "aspect", "size"), [(5, "16:9", (320, 180)), (10, "9:16", (180, 320))]
)
def test_video_from_an_image_is_a_playable_mp4_with_its_duration(
    engine, pro_team_client, reference_model, seconds, aspect, size
):
    team, client = pro_team_client
    image_id = _image(engine, client, reference_model)
    response = _video(
        client, image_asset_id=image_id, prompt="slow turn", duration_s=seconds, aspect_ratio=aspect
    )
    assert response.status_code == 202, response.content
    job = response.json()["job"]
    assert job["credits"]["reserved"] == _video_cost(seconds)
    engine.drain()

    done = client.get(f"/api/jobs/{job['id']}").json()
    assert done["status"] == "succeeded"
    assert done["credits"]["charged"] == _video_cost(seconds)
    [output] = done["outputs"]
    assert output["kind"] == "video" and output["content_type"] == "video/mp4"
    assert output["duration"] == pytest.approx(seconds, abs=0.2)
    content = file_bytes(client, output["url"])
    with av.open(io.BytesIO(content)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        assert (stream.codec_context.width, stream.codec_context.height) == size
        assert stream.codec_context.name == "h264"
    assert frames == seconds * 8
    assert ActivityLog.objects.filter(team=team, action="generate_video").count() == 1
    assert credits_balance_get(team=team).available == START - _spent(team)


def test_video_from_a_custom_models_newest_image(engine, pro_team_client, reference_model):
    team, client = pro_team_client
    model = create_model(client, reference_model, uploads(client, 4)).json()["model"]
    engine.drain()
    no_image = _video(client, model_id=model["id"])
    assert no_image.status_code == 400
    assert "no images yet" in no_image.json()["error"]["message"]
    generate_from(client, model["id"])
    engine.drain()
    newest = Asset.objects.filter(kind="image").latest("created_at")
    job = _video(client, model_id=model["id"]).json()["job"]
    engine.drain()
    stored = Job.objects.get(pk=job["id"])
    assert stored.params["source_asset_id"] == str(newest.pk)
    assert stored.params["custom_model_id"] == model["id"]
    assert stored.credits_charged == _video_cost(5)
    # The gallery files the video under the model.
    items = client.get(f"/api/assets?model_id={model['id']}").json()["items"]
    assert [i["kind"] for i in items] == ["video", "image"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"duration_s": 7}, "invalid_params"),
        ({"aspect_ratio": "4:3"}, "validation_error"),
        ({"image_asset_id": "00000000-0000-0000-0000-000000000000"}, "invalid_params"),
        ({"image_asset_id": None}, "invalid_params"),
    ],
)
def test_bad_video_requests_change_nothing(engine, pro_team_client, reference_model, body, code):
    team, client = pro_team_client
    image_id = _image(engine, client, reference_model)
    before = credits_balance_get(team=team)
    response = _video(client, **{"image_asset_id": image_id, **body})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert Job.objects.filter(type="video_generation").count() == 0
    after = credits_balance_get(team=team)
    assert (after.available, after.reserved) == (before.available, before.reserved)


def test_face_swap_with_an_uploaded_face_stores_a_composite(engine, pro_team_client):
    team, client = pro_team_client
    target = upload(client, colour=(30, 30, 200), size=(300, 400))
    face = upload(client, colour=(250, 200, 30), size=(200, 200))
    response = client.post(
        "/api/face-swap",
        {"target_upload_id": target, "face_upload_id": face},
        content_type="application/json",
    )
    assert response.status_code == 202, response.content
    engine.drain()
    done = client.get(f"/api/jobs/{response.json()['job']['id']}").json()
    assert done["status"] == "succeeded" and done["credits"]["charged"] == _swap_cost()
    [output] = done["outputs"]
    assert (output["kind"], output["width"], output["height"]) == ("image", 300, 400)
    image = Image.open(io.BytesIO(file_bytes(client, output["url"]))).convert("RGB")
    # The face's colour is pasted onto the upper middle; the corners stay the target's.
    assert image.getpixel((150, 120))[0] > 200 and image.getpixel((5, 5))[2] > 150
    assert ActivityLog.objects.filter(team=team, action="face_swap").count() == 1


def test_face_swap_with_a_custom_models_face(engine, pro_team_client, reference_model):
    _, client = pro_team_client
    model = create_model(client, reference_model, uploads(client, 4)).json()["model"]
    engine.drain()
    target = upload(client)
    job = client.post(
        "/api/face-swap",
        {"target_upload_id": target, "model_id": model["id"]},
        content_type="application/json",
    ).json()["job"]
    engine.drain()
    stored = Job.objects.get(pk=job["id"])
    assert stored.status == "succeeded" and stored.credits_charged == _swap_cost()
    assert stored.params["custom_model_id"] == model["id"]


def test_face_swap_needs_exactly_one_face_and_the_teams_photos(engine, pro_team_client):
    team, client = pro_team_client
    target = upload(client)
    _, stranger = make_team_client(Client, email="stranger@example.com", credits=100)
    theirs = upload(stranger)
    for body in (
        {"target_upload_id": target},
        {"target_upload_id": target, "face_upload_id": target, "model_id": target},
        {"target_upload_id": theirs, "face_upload_id": target},
        {"target_upload_id": target, "face_upload_id": theirs},
    ):
        response = client.post("/api/face-swap", body, content_type="application/json")
        assert response.status_code == 400, body
    assert Job.objects.count() == 0
    assert credits_balance_get(team=team).reserved == 0


def test_gallery_lists_filters_paginates_and_deletes(engine, pro_team_client, reference_model):
    team, client = pro_team_client
    first = _image(engine, client, reference_model)
    second = _image(engine, client, reference_model)
    _video(client, image_asset_id=first)
    upload(client)  # uploads are not gallery items
    engine.drain()
    items = client.get("/api/assets").json()["items"]
    assert [i["kind"] for i in items] == ["video", "image", "image"]
    assert all(i["expires_at"] for i in items)
    assert [i["id"] for i in client.get("/api/assets?kind=image").json()["items"]] == [
        second,
        first,
    ]
    page = client.get("/api/assets?limit=2").json()
    rest = client.get(f"/api/assets?limit=2&cursor={page['next_cursor']}").json()
    assert len(page["items"]) == 2 and [i["id"] for i in rest["items"]] == [first]

    _, stranger = make_team_client(Client, email="stranger@example.com")
    assert stranger.get("/api/assets").json()["items"] == []
    assert stranger.delete(f"/api/assets/{first}").status_code == 404

    url = items[-1]["url"]
    assert client.delete(f"/api/assets/{first}").json() == {"id": first, "deleted": True}
    assert client.delete(f"/api/assets/{first}").status_code == 404
    assert client.get(url).status_code == 404  # the file is gone too
    assert [i["id"] for i in client.get("/api/assets?kind=image").json()["items"]] == [second]
