from playwright.sync_api import expect

from genfans.catalog.models import ReferenceModel
from genfans.catalog.seed import seed_reference_models
from tests.factories import PASSWORD, make_user


def test_browse_filter_search_and_open_a_model(live_server, page):
    seed_reference_models()
    make_user(email="cat@example.com", name="Cat")
    page.goto(live_server.url + "/dashboard/catalog")
    page.get_by_label("Email").fill("cat@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/dashboard/catalog")

    cards = page.get_by_test_id("catalog-card")
    expect(cards).to_have_count(24)  # first page
    expect(page.get_by_test_id("catalog-count")).to_have_text("54 models")

    page.get_by_role("navigation", name="Categories").get_by_role("link", name="Fitness").click()
    expect(page).to_have_url(live_server.url + "/dashboard/catalog?category=fitness")
    expect(cards).to_have_count(ReferenceModel.objects.filter(category="fitness").count())
    expect(page.get_by_text("Ava Sterling")).to_have_count(0)

    page.get_by_role("searchbox").fill("yoga")
    expect(cards).to_have_count(1)
    expect(page.get_by_test_id("catalog-count")).to_have_text("1 model matching “yoga”")
    thumbnail = cards.first.locator("img")
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") == 384  # served by the signed view

    cards.first.click()
    freya = ReferenceModel.objects.get(slug="freya-lind")
    expect(page).to_have_url(f"{live_server.url}/dashboard/catalog/{freya.id}")
    expect(page.get_by_role("heading", name="Freya Lind", exact=True)).to_be_visible()
    expect(page.get_by_test_id("base-prompt")).to_contain_text("yoga studio")
    expect(page.get_by_role("link", name="Create my model")).to_have_attribute(
        "href", f"/dashboard/models/new?reference={freya.id}"
    )
