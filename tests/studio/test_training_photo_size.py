"""Training photos (new models and refinements, API and page) are at least 512 px on their
short side; other uploads (face-swap targets) are not held to it."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from genfans.credits.selectors import credits_balance_get
from genfans.storage.models import Asset
from genfans.studio.models import CustomModel, Job
from tests.credits.factories import give_credits
from tests.factories import make_user
from tests.providers.fakes import jpeg_bytes
from tests.studio.helpers import create_model, upload, uploads


def test_the_api_refuses_a_model_from_small_photos_naming_each_and_changes_nothing(
    engine, team_client, reference_model
):
    team, client = team_client
    good = uploads(client, 3)
    # Any image is a valid upload (it may be a face-swap target); training refuses it.
    tiny = upload(client, size=(16, 16))
    narrow = upload(client, size=(640, 511))
    response = create_model(client, reference_model, [*good, tiny, narrow])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "photo_too_small"
    assert error["details"]["min_side"] == 512
    assert error["details"]["photos"] == [
        {"upload_id": tiny, "width": 16, "height": 16},
        {"upload_id": narrow, "width": 640, "height": 511},
    ]
    assert "2 photos are too small" in error["message"]
    assert CustomModel.objects.count() == 0 and Job.objects.count() == 0
    assert credits_balance_get(team=team).reserved == 0


def test_the_api_accepts_a_512_by_600_photo(engine, team_client, reference_model):
    _, client = team_client
    ids = [upload(client, size=(512, 600)) for _ in range(4)]
    assert create_model(client, reference_model, ids).status_code == 202


def _photo(name, size):
    return SimpleUploadedFile(name, jpeg_bytes(*size), "image/jpeg")


def test_the_wizard_names_every_refused_file_and_stores_nothing(engine, reference_model):
    user = make_user(email="wizard@example.com")
    team = user.memberships.get().team
    give_credits(team, 500)
    client = Client()
    client.force_login(user)
    photos = [_photo(f"ok-{i}.jpg", (512, 600)) for i in range(4)]
    photos += [
        _photo("tiny.jpg", (16, 16)),
        SimpleUploadedFile("notes.txt", b"not a photo", "text/plain"),
    ]
    response = client.post(
        "/dashboard/models/new",
        {
            "reference_model_id": str(reference_model.pk),
            "name": "Mia Rose",
            "quality": "standard",
            "photos": photos,
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "tiny.jpg: Photos must be at least 512 pixels on the short side" in page
    assert "this one is 16×16" in page
    assert "notes.txt: Only JPEG, PNG and WebP images are accepted." in page
    assert "ok-0.jpg:" not in page
    assert CustomModel.objects.count() == 0 and Asset.objects.count() == 0
    assert credits_balance_get(team=team).reserved == 0
