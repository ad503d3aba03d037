"""The studio journey in a browser: catalog → create-model wizard → training finishes →
generate from the model → a video from one image → the gallery shows both."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from genfans.billing.models import Plan
from genfans.catalog.models import ReferenceModel
from genfans.catalog.seed import seed_reference_models
from genfans.storage.models import Asset
from genfans.storage.uploads import upload_create
from genfans.studio.custom_models import custom_model_create
from genfans.studio.models import CustomModel, Job
from tests.credits.factories import give_credits
from tests.factories import PASSWORD, make_user
from tests.providers.fakes import jpeg_bytes


def on_pro_plan(team) -> None:
    """Video and face swap are Pro features."""
    team.plan = Plan.objects.get(code="pro")
    team.subscription_status = "active"
    team.save(update_fields=["plan", "subscription_status"])


def test_catalog_to_model_to_images_to_video_to_gallery(live_server, page, worker, tmp_path):
    seed_reference_models()
    user = make_user(email="studio@example.com")
    on_pro_plan(user.memberships.get().team)
    give_credits(user.memberships.get().team, 400)
    photos = []
    for index in range(5):
        path = tmp_path / f"me-{index}.jpg"
        path.write_bytes(jpeg_bytes(512, 640, colour=(60 + 30 * index, 110, 150)))
        photos.append(str(path))

    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill("studio@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Catalog → a persona → "Create my model" opens the wizard with it chosen.
    page.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_role("searchbox").fill("yoga")
    expect(page.get_by_test_id("catalog-card")).to_have_count(1)
    page.get_by_test_id("catalog-card").first.click()
    page.get_by_role("link", name="Create my model").click()
    freya = ReferenceModel.objects.get(slug="freya-lind")
    expect(page).to_have_url(f"{live_server.url}/dashboard/models/new?reference={freya.id}")
    expect(page.locator(f"input[name=reference_model_id][value='{freya.id}']")).to_be_checked()

    # Photos: previews, count and a live price; too few is refused in the page.
    page.get_by_label("Photos", exact=True).set_input_files(photos[:3])
    expect(page.get_by_test_id("photo-previews").locator("img")).to_have_count(3)
    expect(page.get_by_test_id("photo-count")).to_contain_text("choose 4–30")
    expect(page.get_by_test_id("estimate")).to_have_text("—")
    page.get_by_label("Photos", exact=True).set_input_files(photos)
    expect(page.get_by_test_id("photo-previews").locator("img")).to_have_count(5)
    expect(page.get_by_test_id("photo-count")).to_have_text("5 photos ✓")
    expect(page.get_by_test_id("estimate")).to_have_text(re.compile(r"\d+ credits"))
    price = int(re.match(r"\d+", page.get_by_test_id("estimate").inner_text()).group())
    expect(page.get_by_test_id("balance")).to_have_text("450")
    page.get_by_label("Name", exact=True).fill("Freya Me")
    page.get_by_test_id("start-training").click()

    # Live training status, then the page reloads with the generate form.
    model = CustomModel.objects.get()
    expect(page).to_have_url(f"{live_server.url}/dashboard/models/{model.pk}")
    status = page.get_by_test_id("model-status")
    expect(status).to_have_text("Training")
    expect(page.get_by_role("progressbar")).to_be_visible()
    expect(status).to_have_text("Ready", timeout=20_000)
    expect(page.get_by_test_id("current-version")).to_have_text("v1")
    assert Job.objects.get(type="model_creation").credits_charged == price

    page.get_by_label("Prompt").fill("golden hour on a rooftop")
    page.get_by_label("Size").select_option("512")
    page.get_by_label("Quality", exact=True).select_option("draft")
    page.get_by_test_id("generate").click()
    expect(page.get_by_test_id("job-status")).to_have_text("Succeeded", timeout=20_000)
    expect(page.get_by_test_id("outputs").locator("img")).to_have_count(1)

    # A video from that image, from the gallery's "Make a video".
    page.get_by_role("link", name="Gallery", exact=True).click()
    expect(page.get_by_test_id("gallery-item")).to_have_count(1)
    page.get_by_role("link", name="Make a video").click()
    image = Asset.objects.get(kind="image")
    expect(page.locator(f"input[name=image_asset_id][value='{image.pk}']")).to_be_checked()
    page.get_by_label("Prompt").fill("she turns and smiles")
    page.get_by_label("Length").select_option("5")
    page.get_by_test_id("make-video").click()
    expect(page.get_by_test_id("job-status")).to_have_text("Succeeded", timeout=30_000)
    video = page.get_by_test_id("outputs").locator("video")
    expect(video).to_have_count(1)

    page.get_by_role("link", name="Gallery", exact=True).click()
    items = page.get_by_test_id("gallery-item")
    expect(items).to_have_count(2)
    expect(page.locator("[data-testid=gallery-item][data-kind=video] video")).to_have_count(1)
    expect(page.locator("[data-testid=gallery-item][data-kind=image] img")).to_have_count(1)
    expect(items.first.get_by_test_id("expires")).to_be_visible()
    page.get_by_role("link", name="Videos").click()
    expect(items).to_have_count(1)
    assert Asset.objects.get(kind="video").duration == pytest.approx(5, abs=0.2)


def test_face_swap_with_a_models_face(live_server, page, worker, tmp_path):
    reference = ReferenceModel.objects.create(
        slug="ava-fashion", name="Ava", category="fashion", base_prompt="portrait of Ava"
    )
    user = make_user(email="swap@example.com")
    team = user.memberships.get().team
    on_pro_plan(team)
    give_credits(team, 200)
    photos = [
        str(
            upload_create(
                team=team,
                user=user,
                file=SimpleUploadedFile(f"{i}.jpg", jpeg_bytes(512, 640, colour=(200, 150, 40))),
            ).pk
        )
        for i in range(4)
    ]
    custom_model_create(
        team=team, user=user, name="Ava Me", reference_model_id=str(reference.pk), upload_ids=photos
    )
    target = tmp_path / "target.jpg"
    target.write_bytes(jpeg_bytes(300, 400, colour=(20, 40, 200)))

    page.goto(live_server.url + "/dashboard/face-swap")
    page.get_by_label("Email").fill("swap@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("estimate")).to_have_text(re.compile(r"\d+ credits"))
    # The model is offered once its training has finished.
    for _ in range(40):
        if CustomModel.objects.get().status == "ready":
            break
        page.wait_for_timeout(250)
    page.reload()
    page.get_by_label("Photo to change").set_input_files(str(target))
    page.get_by_label("A model's face").select_option(label="Ava Me")
    page.get_by_test_id("swap").click()
    expect(page.get_by_test_id("job-status")).to_have_text("Succeeded", timeout=20_000)
    result = page.get_by_test_id("outputs").locator("img")
    expect(result).to_have_count(1)
    assert result.evaluate("img => img.naturalWidth") == 300
    assert (
        Job.objects.get(type="face_swap").credits_charged
        == Job.objects.get(type="face_swap").credits_estimated
    )
