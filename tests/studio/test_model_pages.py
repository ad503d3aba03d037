"""The My Models, wizard, model, Video, Face swap and Gallery pages (server side)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from genfans.billing.models import Plan
from genfans.core.errors import InvalidText
from genfans.credits.errors import InsufficientCredits
from genfans.credits.models import PricingRule
from genfans.credits.selectors import credits_balance_get
from genfans.credits.services import credits_adjust
from genfans.storage.models import Asset
from genfans.studio.models import CustomModel, Job, ModelVersion
from tests.credits.factories import give_credits
from tests.factories import make_user
from tests.providers.fakes import jpeg_bytes

HTMX = {"HX-Request": "true"}


def _photo(name="p.jpg", colour=(180, 100, 90), size=(512, 640)):
    return SimpleUploadedFile(name, jpeg_bytes(*size, colour=colour), "image/jpeg")


@pytest.fixture
def browser(engine):
    user = make_user(email="pages@example.com")
    team = user.memberships.get().team
    give_credits(team, 500)
    client = Client()
    client.force_login(user)
    return team, client


def _create(client, reference_model, photos=4, name="Mia Rose"):
    return client.post(
        "/dashboard/models/new",
        {
            "reference_model_id": str(reference_model.pk),
            "name": name,
            "quality": "standard",
            "photos": [_photo(f"{i}.jpg", colour=(40 * i % 255, 90, 90)) for i in range(photos)],
        },
    )


def test_wizard_preselects_the_reference_and_prices_the_photos(browser, reference_model):
    _, client = browser
    page = client.get(f"/dashboard/models/new?reference={reference_model.pk}")
    assert page.status_code == 200
    assert f'value="{reference_model.pk}" checked' in page.content.decode()
    estimate = client.post(
        "/dashboard/models/new/estimate", {"num_images": 5, "quality": "standard"}, headers=HTMX
    )
    assert 'data-testid="estimate">' in estimate.content.decode()
    assert "credits" in estimate.content.decode()
    too_few = client.post("/dashboard/models/new/estimate", {"num_images": 2}, headers=HTMX)
    assert "—" in too_few.content.decode()


def test_wizard_rejects_too_few_photos_and_changes_nothing(browser, reference_model):
    team, client = browser
    response = _create(client, reference_model, photos=3)
    assert response.status_code == 400
    assert "Choose 4 to 30 photos (you chose 3)" in response.content.decode()
    assert CustomModel.objects.count() == 0 and Asset.objects.count() == 0
    assert credits_balance_get(team=team).reserved == 0


def test_wizard_trains_and_the_model_page_goes_live_then_generates(
    browser, engine, reference_model
):
    team, client = browser
    response = _create(client, reference_model)
    model = CustomModel.objects.get()
    assert response.status_code == 302 and response.url == f"/dashboard/models/{model.pk}"
    page = client.get(response.url).content.decode()
    assert 'hx-trigger="every 2s"' in page and "Training v1" in page
    listing = client.get("/dashboard/models").content.decode()
    assert "Mia Rose" in listing and 'data-status="training"' in listing

    engine.drain()
    # The live part asks the browser to reload once training ends.
    poll = client.get(f"/dashboard/models/{model.pk}", headers={**HTMX, "HX-Target": "model-live"})
    assert poll.headers["HX-Refresh"] == "true"
    page = client.get(f"/dashboard/models/{model.pk}").content.decode()
    assert 'data-testid="current-version">v1' in page and "Generate from this model" in page

    generated = client.post(
        f"/dashboard/models/{model.pk}/generate",
        {
            "prompt": "at the beach",
            "version": 1,
            "size": "512",
            "quality": "draft",
            "num_images": 1,
        },
    )
    job = Job.objects.get(type="image_generation")
    assert generated.url == f"/dashboard/jobs/{job.pk}"
    assert job.params["custom_model_id"] == str(model.pk)

    refined = client.post(
        f"/dashboard/models/{model.pk}/refine",
        {"refine-instructions": "softer light", "refine-quality": "draft", "photos": [_photo()]},
    )
    assert refined.status_code == 302
    engine.drain()
    assert ModelVersion.objects.get(model=model, number=2).status == "ready"
    renamed = client.post(f"/dashboard/models/{model.pk}/rename", {"name": "Mia R."})
    assert renamed.status_code == 302
    assert CustomModel.objects.get().name == "Mia R."
    archived = client.post(f"/dashboard/models/{model.pk}/archive")
    assert archived.url == "/dashboard/models"
    assert CustomModel.objects.get().status == "archived"


def test_another_teams_model_page_is_404(browser, reference_model):
    _, client = browser
    _create(client, reference_model)
    model = CustomModel.objects.get()
    stranger = Client()
    stranger.force_login(make_user(email="other@example.com"))
    assert stranger.get(f"/dashboard/models/{model.pk}").status_code == 404
    assert stranger.post(f"/dashboard/models/{model.pk}/archive").status_code == 404
    assert (
        stranger.post(f"/dashboard/models/{model.pk}/refine", {"instructions": "x"}).status_code
        == 404
    )


def test_video_face_swap_and_gallery_pages(browser, engine, reference_model):
    browser[0].plan = Plan.objects.get(code="pro")
    browser[0].subscription_status = "active"
    browser[0].save()
    team, client = browser
    target = _photo("target.jpg", size=(200, 240))
    swapped = client.post("/dashboard/face-swap", {"target": target, "face": _photo("face.jpg")})
    job = Job.objects.get(type="face_swap")
    assert swapped.url == f"/dashboard/face-swap?job={job.pk}"
    page = client.get(swapped.url).content.decode()
    assert f'hx-get="/dashboard/jobs/{job.pk}"' in page
    engine.drain()
    image = Asset.objects.get(kind="image")

    video_page = client.get(f"/dashboard/video?image={image.pk}").content.decode()
    assert f'value="{image.pk}" checked' in video_page
    made = client.post(
        "/dashboard/video",
        {"image_asset_id": str(image.pk), "duration_s": 5, "aspect_ratio": "1:1", "prompt": ""},
    )
    assert made.status_code == 302
    engine.drain()
    assert Asset.objects.filter(kind="video").count() == 1

    gallery = client.get("/dashboard/gallery").content.decode()
    assert gallery.count('data-testid="gallery-item"') == 2
    assert "<video controls" in gallery and "kept until" in gallery
    videos = client.get("/dashboard/gallery?kind=video", headers={**HTMX, "HX-Target": "gallery"})
    assert videos.content.decode().count('data-testid="gallery-item"') == 1
    deleted = client.post(f"/dashboard/gallery/{image.pk}/delete", headers=HTMX)
    assert deleted.status_code == 200 and deleted.content == b""
    assert Asset.objects.get(pk=image.pk).deleted_at is not None
    assert client.post(f"/dashboard/gallery/{image.pk}/delete").status_code == 404
    assert (
        client.post("/dashboard/video", {"duration_s": 5, "aspect_ratio": "1:1"}).status_code == 400
    )


def test_wizard_checks_the_balance_before_storing_photos(engine, reference_model):
    user = make_user(email="poor@example.com")  # the free plan's 50 credits
    client = Client()
    client.force_login(user)
    response = _create(client, reference_model)
    assert response.status_code == 400
    assert "get more credits first" in response.content.decode()
    assert Asset.objects.count() == 0 and CustomModel.objects.count() == 0


def test_admin_lists_models_with_their_versions(browser, engine, reference_model):
    _, client = browser
    _create(client, reference_model)
    engine.drain()
    model = CustomModel.objects.get()
    staff = make_user(email="staff@example.com")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    admin = Client()
    admin.force_login(staff)
    assert "Mia Rose" in admin.get("/admin/studio/custommodel/").content.decode()
    page = admin.get(f"/admin/studio/custommodel/{model.pk}/change/").content.decode()
    assert model.trigger_word in page and "Creation" in page


# --- what the pages answer when something is refused ---------------------------------------


def _page(response) -> str:
    return response.content.decode()


def test_my_models_cards_refresh_alone_and_a_training_model_stays_live(browser, reference_model):
    _, client = browser
    _create(client, reference_model)
    model = CustomModel.objects.get()
    cards = client.get("/dashboard/models", headers={**HTMX, "HX-Target": "model-cards"})
    assert "<html" not in _page(cards) and 'data-status="training"' in _page(cards)
    live = client.get(f"/dashboard/models/{model.pk}", headers={**HTMX, "HX-Target": "model-live"})
    assert live.status_code == 200 and "HX-Refresh" not in live.headers
    assert "<html" not in _page(live) and "Training v1" in _page(live)


def test_the_wizard_names_the_photo_it_refused_and_stores_none(browser, reference_model):
    team, client = browser
    photos = [_photo(f"{i}.jpg") for i in range(3)]
    photos.append(SimpleUploadedFile("notes.jpg", b"shopping list", "image/jpeg"))
    response = client.post(
        "/dashboard/models/new",
        {
            "reference_model_id": str(reference_model.pk),
            "name": "Mia",
            "quality": "standard",
            "photos": photos,
        },
    )
    assert response.status_code == 400
    assert "notes.jpg: Only JPEG, PNG and WebP images are accepted." in _page(response)
    assert CustomModel.objects.count() == Asset.objects.count() == 0
    assert credits_balance_get(team=team).reserved == 0


def test_the_estimate_shows_no_price_for_a_non_number_or_an_unpriced_operation(
    browser, reference_model
):
    _, client = browser
    url = "/dashboard/models/new/estimate"
    no_number = client.post(url, {"num_images": "five", "quality": "standard"}, headers=HTMX)
    assert 'data-testid="estimate">—<' in _page(no_number)
    PricingRule.objects.filter(operation="model_creation").update(active=False)
    unpriced = client.post(url, {"num_images": "5", "quality": "standard"}, headers=HTMX)
    assert 'data-testid="estimate">—<' in _page(unpriced)


@pytest.fixture
def trained(browser, engine, reference_model):
    team, client = browser
    _create(client, reference_model)
    engine.drain()
    return team, client, CustomModel.objects.get()


def test_generate_shows_field_errors_and_the_services_refusal(trained):
    team, client, model = trained
    url = f"/dashboard/models/{model.pk}/generate"
    body = {"prompt": "", "version": 1, "size": "512", "quality": "draft", "num_images": 1}
    empty = client.post(url, body)
    assert empty.status_code == 400 and "This field is required." in _page(empty)
    available = credits_balance_get(team=team).available
    credits_adjust(team=team, amount=-available, reason="test: spent elsewhere", user=None)
    broke = client.post(url, {**body, "prompt": "at the beach"})
    assert broke.status_code == 400
    assert f'role="alert">{InsufficientCredits.default_message} </div>' in _page(broke)
    assert not Job.objects.filter(type="image_generation").exists()
    assert credits_balance_get(team=team).reserved == 0


def test_refine_rename_and_archive_refused_while_a_refinement_trains(trained, engine):
    team, client, model = trained
    refine = f"/dashboard/models/{model.pk}/refine"
    no_notes = client.post(refine, {"refine-instructions": "", "refine-quality": "draft"})
    assert no_notes.status_code == 400 and "This field is required." in _page(no_notes)

    assert client.post(refine, {"refine-instructions": "a", "refine-quality": "draft"}).url
    again = client.post(refine, {"refine-instructions": "b", "refine-quality": "draft"})
    assert again.status_code == 400
    assert "This model is already training: wait for it to finish." in _page(again)
    archive = client.post(f"/dashboard/models/{model.pk}/archive", follow=True)
    assert "This model is training: cancel its job first" in _page(archive)
    assert CustomModel.objects.get().status != "archived"
    engine.drain()
    assert ModelVersion.objects.filter(model=model).count() == 2

    rename = f"/dashboard/models/{model.pk}/rename"
    blank = client.post(rename, {"name": ""}, follow=True)
    assert "The name must be 1 to 80 characters." in _page(blank)
    two_lines = client.post(rename, {"name": "Mia\nRose"}, follow=True)
    assert InvalidText.default_message in _page(two_lines)
    assert CustomModel.objects.get().name == "Mia Rose"
    stranger = Client()
    stranger.force_login(make_user(email="other@example.com"))
    assert stranger.post(rename, {"name": "Mine"}).status_code == 404


def test_a_refinement_the_operator_turned_off_is_unpriced_and_refused(trained):
    team, client, model = trained
    PricingRule.objects.filter(operation="model_refinement").update(active=False)
    page = _page(client.get(f"/dashboard/models/{model.pk}"))
    assert "Refine" in page and "None credits" not in page
    refused = client.post(
        f"/dashboard/models/{model.pk}/refine",
        {"refine-instructions": "softer light", "refine-quality": "draft"},
    )
    assert refused.status_code == 400
    assert "This operation is not available right now." in _page(refused)
    assert ModelVersion.objects.filter(model=model).count() == 1
    assert credits_balance_get(team=team).reserved == 0
