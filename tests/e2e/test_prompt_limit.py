"""A prompt over the limit is kept whole in the field, counted, and refused with the limit:
never cut to 2,000 characters without a word."""

from playwright.sync_api import expect

from genfans.catalog.models import ReferenceModel
from genfans.studio.models import Job
from tests.factories import PASSWORD, make_user


def test_a_long_prompt_is_counted_and_refused_not_cut(live_server, page):
    ReferenceModel.objects.create(
        slug="mila-limit", name="Mila", category="fitness", base_prompt="portrait"
    )
    make_user(email="prompt@example.com")
    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill("prompt@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard/**")

    page.goto(live_server.url + "/dashboard/generate")
    prompt = page.get_by_label("Prompt")
    prompt.fill("a" * 5000)
    assert prompt.evaluate("field => field.value.length") == 5000
    expect(page.get_by_test_id("char-count")).to_have_text(
        "5,000 / 2,000 characters: too long, shorten it"
    )
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_text("A prompt can be at most 2,000 characters")).to_be_visible()
    assert page.get_by_label("Prompt").evaluate("field => field.value.length") == 5000
    assert Job.objects.count() == 0
