"""Pages run under the Content-Security-Policy without tripping it, and htmx still works."""

import pytest
from playwright.sync_api import expect

from genfans.catalog.models import ReferenceModel
from tests.credits.factories import give_credits
from tests.factories import PASSWORD, make_user

REPORT_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
def violations(page):
    """What the browser reported as blocked, from the console and the DOM event."""
    page.add_init_script(REPORT_VIOLATIONS)
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    # A script the policy broke half-way shows up as an uncaught error instead.
    page.on("pageerror", lambda error: console.append(str(error)))

    def reported():
        return console + page.evaluate("window.cspViolations")

    return reported


def test_pages_trip_no_policy_and_htmx_swaps(live_server, page, violations):
    ReferenceModel.objects.create(
        slug="mila-fitness", name="Mila", category="fitness", base_prompt="athletic portrait"
    )
    ReferenceModel.objects.create(
        slug="ava-glam", name="Ava", category="glamour", base_prompt="studio portrait"
    )
    user = make_user(email="maker@example.com")
    give_credits(user.memberships.get().team, 100)

    page.goto(live_server.url + "/")
    expect(page.get_by_role("link", name="Get started").first).to_be_visible()
    assert violations() == []

    page.goto(live_server.url + "/sign-in")
    page.get_by_label("Email").fill("maker@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("header-balance")).to_have_text("150 credits")
    assert violations() == []

    page.goto(live_server.url + "/dashboard/generate")
    page.get_by_label("Model").select_option(label="Mila · Fitness")
    page.get_by_label("Quality").select_option("draft")
    page.get_by_label("Size").select_option("512x512")
    page.get_by_label("Images").fill("2")
    page.get_by_label("Images").blur()
    expect(page.get_by_test_id("estimate")).to_have_text("10 credits")
    assert violations() == []

    # A chip swaps the results through htmx and, through app.js, sets the form's category.
    page.goto(live_server.url + "/dashboard/catalog")
    page.get_by_role("navigation", name="Categories").get_by_role("link", name="Fitness").click()
    expect(page.get_by_test_id("catalog-card")).to_have_count(1)
    expect(page.locator("#catalog-category")).to_have_value("fitness")
    assert violations() == []

    page.goto(live_server.url + "/api/docs")
    expect(page.locator(".swagger-ui .info")).to_be_visible()
    assert violations() == []
