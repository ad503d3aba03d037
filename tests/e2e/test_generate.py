import re

from playwright.sync_api import expect

from genfans.catalog.models import ReferenceModel
from tests.credits.factories import give_credits
from tests.factories import PASSWORD, make_user


def test_generate_images_and_pay_the_shown_cost(live_server, page, worker):
    ReferenceModel.objects.create(
        slug="mila-fitness", name="Mila", category="fitness", base_prompt="athletic portrait"
    )
    user = make_user(email="maker@example.com")
    give_credits(user.memberships.get().team, 100)

    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill("maker@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    balance = page.get_by_test_id("header-balance")
    expect(balance).to_have_text("150 credits")

    page.get_by_role("link", name="Generate", exact=True).click()
    page.get_by_label("Model").select_option(label="Mila · Fitness")
    page.get_by_label("Prompt").fill("sunrise run on the beach")
    page.get_by_label("Size").select_option("512x512")
    page.get_by_label("Quality").select_option("draft")
    page.get_by_label("Images").fill("2")
    page.get_by_label("Images").blur()
    estimate = page.get_by_test_id("estimate")
    expect(estimate).to_have_text("10 credits")
    cost = int(re.match(r"\d+", estimate.inner_text()).group())

    page.get_by_role("button", name="Generate").click()
    status = page.get_by_test_id("job-status")
    expect(status).to_have_text(re.compile("Queued|Running"))
    expect(page.get_by_role("progressbar")).to_be_visible()
    expect(status).to_have_text("Succeeded", timeout=20_000)
    images = page.get_by_test_id("outputs").locator("img")
    expect(images).to_have_count(2)
    expect(images.first).to_have_js_property("naturalWidth", 512)
    expect(page.get_by_test_id("job-charged")).to_have_text(str(cost))
    page.reload()
    expect(balance).to_have_text(f"{150 - cost} credits")
