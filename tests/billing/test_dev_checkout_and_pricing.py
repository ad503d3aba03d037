"""The pricing page and the development checkout (DEBUG on, no Stripe key)."""

import pytest

from genfans.billing.checkout import subscription_dev_checkout
from genfans.billing.errors import DevCheckoutDisabled
from genfans.credits.models import CreditTransaction
from genfans.credits.selectors import credits_balance_get
from genfans.teams.errors import NotTeamOwner
from genfans.teams.models import Action, ActivityLog, Role, SubscriptionStatus, TeamMember
from tests.factories import make_user


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def test_pricing_is_public_and_lists_the_paid_plans(client, plans):
    response = client.get("/pricing")

    assert response.status_code == 200
    for code in ("starter", "pro", "studio"):
        plan = plans[code]
        assert plan.name in response.text
        assert f"${plan.price_cents // 100}" in response.text
        assert f"<strong>{plan.monthly_credits}</strong> credits a month" in response.text
        assert f"<strong>{plan.max_concurrent_jobs}</strong> jobs at a time" in response.text
        assert f"/sign-up?next=%2Fpricing%3Fplan%3D{code}" in response.text
    assert "Free</h2>" not in response.text


def test_pricing_marks_the_development_checkout(client, plans, debug):
    assert "Development checkout" in client.get("/pricing").text


def test_pricing_offers_owners_a_checkout_button(owner_client, plans, debug):
    response = owner_client.get("/pricing?plan=pro")

    assert 'action="/dashboard/billing/checkout"' in response.text
    assert "Start your trial of the plan you picked" in response.text


def test_dev_checkout_switches_the_plan_and_grants_its_credits(owner_client, team, plans, debug):
    response = owner_client.post("/dashboard/billing/checkout", {"plan": "pro"})

    assert response.status_code == 302 and response["Location"] == "/dashboard/billing"
    team.refresh_from_db()
    assert team.plan == plans["pro"]
    assert team.subscription_status == SubscriptionStatus.TRIALING
    assert team.trial_ends_at is not None and team.current_period_end is not None
    assert credits_balance_get(team=team).available == 50 + plans["pro"].monthly_credits
    [replenish] = CreditTransaction.objects.filter(team=team, kind="replenish")
    assert replenish.reference.startswith("dev-")
    log = ActivityLog.objects.get(team=team, action=Action.SUBSCRIPTION_CHANGED)
    assert log.metadata["source"] == "dev_checkout"
    page = owner_client.get("/dashboard/billing")
    assert "Pro plan" in page.text and "Trialing" in page.text
    assert "1500 credits" in page.text


def test_dev_checkout_downgrade_grants_nothing_and_an_upgrade_the_difference_once(
    owner_client, team, plans, debug
):
    owner_client.post("/dashboard/billing/checkout", {"plan": "pro"})
    owner_client.post("/dashboard/billing/checkout", {"plan": "starter"})

    team.refresh_from_db()
    assert team.plan == plans["starter"]
    assert credits_balance_get(team=team).available == 50 + plans["pro"].monthly_credits

    owner_client.post("/dashboard/billing/checkout", {"plan": "studio"})
    owner_client.post("/dashboard/billing/checkout", {"plan": "pro"})
    owner_client.post("/dashboard/billing/checkout", {"plan": "studio"})

    team.refresh_from_db()
    assert team.plan == plans["studio"]
    assert credits_balance_get(team=team).available == 50 + plans["studio"].monthly_credits


def test_dev_checkout_is_off_without_debug(owner_client, team, plans, settings):
    settings.DEBUG = False

    response = owner_client.post("/dashboard/billing/checkout", {"plan": "pro"})

    assert response.status_code == 302 and response["Location"] == "/pricing"
    team.refresh_from_db()
    assert team.plan.code == "free"
    with pytest.raises(DevCheckoutDisabled):
        subscription_dev_checkout(team=team, user=team.memberships.get().user, plan=plans["pro"])


def test_dev_checkout_is_off_when_stripe_is_configured(owner, team, plans, debug, settings):
    settings.STRIPE_SECRET_KEY = "sk_test_x"

    with pytest.raises(DevCheckoutDisabled):
        subscription_dev_checkout(team=team, user=owner, plan=plans["pro"])
    team.refresh_from_db()
    assert team.plan.code == "free"


def test_members_cannot_use_the_dev_checkout(client, team, plans, debug):
    member = make_user(email="member@example.com")
    TeamMember.objects.filter(user=member).delete()
    TeamMember.objects.create(team=team, user=member, role=Role.MEMBER)
    client.force_login(member)

    assert client.post("/dashboard/billing/checkout", {"plan": "pro"}).status_code == 403
    with pytest.raises(NotTeamOwner):
        subscription_dev_checkout(team=team, user=member, plan=plans["pro"])
    team.refresh_from_db()
    assert team.plan.code == "free"


def test_visitors_are_sent_to_sign_in(client, plans):
    response = client.post("/dashboard/billing/checkout", {"plan": "pro"})

    assert response.status_code == 302 and response["Location"].startswith("/sign-in")


def test_billing_nav_entry(owner_client, plans):
    assert 'href="/dashboard/billing"' in owner_client.get("/dashboard/").text


def test_api_dev_checkout(owner_client, team, plans, debug):
    response = owner_client.post(
        "/api/billing/checkout", {"plan": "studio"}, content_type="application/json"
    )

    assert response.status_code == 200
    body = owner_client.get("/api/billing").json()
    assert body["plan"] == "studio" and body["status"] == "trialing"
    assert body["checkout"] == "development" and body["monthly_credits"] == 5000
