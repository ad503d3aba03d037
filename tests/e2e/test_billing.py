"""A visitor picks a plan, signs up, goes through the development checkout and has the plan."""

import re

import pytest
from playwright.sync_api import expect

from genfans.billing.models import Plan
from tests.billing.fake_stripe import FakeStripe
from tests.factories import PASSWORD, make_user


@pytest.fixture(autouse=True)
def _offline_billing(settings):
    settings.DEBUG = True
    settings.STRIPE_SECRET_KEY = ""


def test_visitor_picks_a_plan_signs_up_and_gets_it(live_server, page):
    pro = Plan.objects.get(code="pro")
    allowance = pro.monthly_credits  # the Free grant waits for a verified email

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Pricing").click()
    expect(page.get_by_test_id("dev-checkout-note")).to_be_visible()
    page.get_by_role("link", name="Start free trial of Pro").click()

    expect(page).to_have_url(re.compile(r"/sign-up\?next="))
    page.get_by_label("Name").fill("Ada")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(live_server.url + "/pricing?plan=pro")
    page.get_by_role("button", name="Start free trial of Pro").click()

    expect(page).to_have_url(live_server.url + "/dashboard/billing")
    expect(
        page.get_by_text("Development checkout: your team is now on the Pro plan")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Pro plan")).to_be_visible()
    expect(page.get_by_test_id("subscription-status")).to_have_text("Trialing")
    expect(page.get_by_test_id("allowance")).to_have_text(f"{pro.monthly_credits} credits")
    expect(page.get_by_test_id("credits-available")).to_have_text(str(allowance))
    header = page.get_by_test_id("header-balance")
    if header.count():
        expect(header).to_contain_text(str(allowance))
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("link", name="Change plan")).to_be_visible()


@pytest.fixture
def fake_stripe(settings, live_server):
    """Stripe's API and its hosted checkout and portal pages, faked on a local port. Stripe
    sends the browser back to BASE_URL, the address the studio is served at: here, the live
    server's."""
    settings.BASE_URL = live_server.url
    fake = FakeStripe()
    settings.STRIPE_API_BASE = fake.start()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    # The policy lets forms land on Stripe's address, read once at start-up.
    form_action = [*settings.SECURE_CSP["form-action"], settings.STRIPE_API_BASE]
    settings.SECURE_CSP = {**settings.SECURE_CSP, "form-action": form_action}
    for plan in Plan.objects.filter(price_cents__gt=0):
        price = fake.add_price(lookup_key=f"genfans_{plan.code}_monthly")
        Plan.objects.filter(pk=plan.pk).update(stripe_price_id=price["id"])
    yield fake
    fake.stop()


def test_owner_subscribes_through_stripe_checkout_and_opens_the_portal(
    live_server, page, fake_stripe
):
    make_user(email="owner@example.com")
    page.goto(live_server.url + "/sign-in?next=/pricing")
    page.get_by_label("Email").fill("owner@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("dev-checkout-note")).to_have_count(0)

    # Stripe's hosted checkout (faked) completes and sends the browser back with the session.
    page.get_by_role("button", name="Start free trial of Studio").click()

    expect(page).to_have_url(live_server.url + "/dashboard/billing")
    expect(page.get_by_text("Thanks! Your subscription is active.")).to_be_visible()
    expect(page.get_by_role("heading", name="Studio plan")).to_be_visible()
    expect(page.get_by_test_id("subscription-status")).to_have_text("Trialing")
    expect(page.get_by_test_id("credits-available")).to_have_text(str(50 + 5000))

    page.get_by_role("button", name="Manage subscription").click()

    expect(page).to_have_url(live_server.url + "/dashboard/billing")
    assert len(fake_stripe.portal_sessions) == 1
