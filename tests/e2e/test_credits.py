from playwright.sync_api import expect

from genfans.accounts.models import User
from genfans.accounts.verification import email_verification_token_make
from genfans.credits.services import credits_reserve
from tests.credits.factories import give_credits, make_job
from tests.factories import PASSWORD


def test_a_user_sees_their_credits_and_filters_the_history(live_server, page):
    page.goto(live_server.url + "/sign-up")
    page.get_by_label("Name").fill("Grace")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_test_id("verify-email-banner")).to_be_visible()
    expect(page.get_by_test_id("header-balance")).to_have_text("0 credits")

    user = User.objects.get(email="grace@example.com")
    page.goto(f"{live_server.url}/verify-email/{email_verification_token_make(user)}")
    expect(page.get_by_test_id("header-balance")).to_have_text("50 credits")
    expect(page.get_by_test_id("verify-email-banner")).to_have_count(0)

    team = user.memberships.get().team
    give_credits(team, 30)
    credits_reserve(team=team, job=make_job(team), amount=12)

    page.get_by_role("link", name="Credits", exact=True).first.click()
    expect(page).to_have_url(live_server.url + "/dashboard/credits")
    expect(page.get_by_test_id("credits-available")).to_have_text("68")
    expect(page.get_by_test_id("credits-reserved")).to_have_text("12")
    expect(page.get_by_test_id("credit-row")).to_have_count(3)

    page.locator('a.chip[data-kind="reserve"]').click()
    expect(page).to_have_url(live_server.url + "/dashboard/credits?kind=reserve")
    expect(page.get_by_test_id("credit-row")).to_have_count(1)
    expect(page.locator('a.chip[data-kind="reserve"]')).to_have_class("chip active")
    expect(page.get_by_test_id("credit-row")).to_contain_text("12 held")

    page.set_viewport_size({"width": 390, "height": 800})
    expect(page.get_by_test_id("credits-available")).to_be_visible()
