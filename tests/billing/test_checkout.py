"""Checkout, return and customer portal against the fake Stripe API (the real SDK on the wire)."""

import pytest
from django.test import Client

from genfans.billing.models import Plan
from genfans.credits.selectors import credits_balance_get
from genfans.teams.models import Action, ActivityLog, Role, SubscriptionStatus, TeamMember
from tests.billing.conftest import make_event, post_event
from tests.factories import make_user


def start_checkout(client, plan_code="pro"):
    return client.post("/dashboard/billing/checkout", {"plan": plan_code})


def return_from_checkout(client, session_id, *, follow=False):
    """Stripe's redirect lands on a page that only reads; its form POSTs the confirmation."""
    page = client.get(f"/dashboard/billing?session_id={session_id}")
    assert page.status_code == 200 and "Confirming your subscription" in page.text
    return client.post("/dashboard/billing", {"session_id": session_id}, follow=follow)


def test_checkout_creates_a_trial_subscription_session_for_the_team(
    owner_client, team, fake_stripe, plans
):
    response = start_checkout(owner_client)

    assert response.status_code == 302
    [session] = fake_stripe.sessions.values()
    assert response["Location"] == session["url"]
    params = session["_params"]
    team.refresh_from_db()
    assert team.stripe_customer_id and params["customer"] == team.stripe_customer_id
    assert params["mode"] == "subscription"
    assert params["line_items"] == [{"price": plans["pro"].stripe_price_id, "quantity": "1"}]
    assert params["subscription_data"]["trial_period_days"] == "14"
    metadata = {"team_id": str(team.pk), "plan": "pro", "trial": "1"}
    assert params["subscription_data"]["metadata"] == metadata
    assert params["allow_promotion_codes"] == "true"
    assert params["client_reference_id"] == str(team.pk)
    assert params["metadata"] == metadata
    assert params["success_url"].endswith("/dashboard/billing?session_id={CHECKOUT_SESSION_ID}")
    [customer] = fake_stripe.customers.values()
    assert customer["metadata"] == {"team_id": str(team.pk)}
    assert customer["email"] == "owner@example.com"
    # Nothing is bought yet.
    assert team.plan.code == "free" and team.subscription_status == SubscriptionStatus.NONE


def test_a_second_checkout_reuses_the_teams_customer(owner_client, team, fake_stripe):
    start_checkout(owner_client, "starter")
    start_checkout(owner_client, "studio")

    assert len(fake_stripe.calls("POST", "/v1/customers")) == 1
    customers = {s["_params"]["customer"] for s in fake_stripe.sessions.values()}
    assert len(customers) == 1


def test_return_from_checkout_links_the_team_and_starts_the_trial(
    owner_client, team, fake_stripe, plans
):
    start_checkout(owner_client)
    [session_id] = fake_stripe.sessions
    subscription = fake_stripe.complete_checkout(session_id)

    response = return_from_checkout(owner_client, session_id)

    assert response.status_code == 302 and response["Location"] == "/dashboard/billing"
    team.refresh_from_db()
    assert team.plan == plans["pro"]
    assert team.subscription_status == SubscriptionStatus.TRIALING
    assert team.stripe_subscription_id == subscription["id"]
    assert team.trial_ends_at is not None and team.current_period_end is not None
    assert int(team.trial_ends_at.timestamp()) == subscription["trial_end"]
    log = ActivityLog.objects.get(team=team, action=Action.SUBSCRIPTION_CHANGED)
    assert log.metadata["plan"] == "pro" and log.metadata["status"] == "trialing"
    page = owner_client.get("/dashboard/billing")
    assert "Pro plan" in page.text and "Trialing" in page.text
    assert "Manage subscription" in page.text


def test_the_return_from_stripe_is_a_read_and_its_post_applies_it(
    owner_client, team, fake_stripe, plans
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start_checkout(owner_client)
    [session_id] = fake_stripe.sessions
    fake_stripe.complete_checkout(session_id)

    with CaptureQueriesContext(connection) as queries:
        page = owner_client.get(f"/dashboard/billing?session_id={session_id}")

    assert page.status_code == 200
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        # Every GET renews the sign-in session (accounts/middleware.py); that is not the sync.
        and not q["sql"].startswith('UPDATE "django_session"')
    ]
    assert writes == []
    assert not fake_stripe.calls("GET", f"/v1/checkout/sessions/{session_id}")
    assert 'hx-trigger="load"' in page.text and f'value="{session_id}"' in page.text
    team.refresh_from_db()
    assert team.plan.code == "free" and team.stripe_subscription_id == ""

    response = owner_client.post(
        "/dashboard/billing", {"session_id": session_id}, headers={"HX-Request": "true"}
    )

    assert response.status_code == 200 and response["HX-Redirect"] == "/dashboard/billing"
    team.refresh_from_db()
    assert team.plan == plans["pro"] and team.subscription_status == SubscriptionStatus.TRIALING
    page = owner_client.get("/dashboard/billing")
    assert "Thanks! Your subscription is active." in page.text and "Pro plan" in page.text
    assert "Confirming your subscription" not in page.text


def test_a_member_cannot_confirm_a_checkout(owner_client, team, fake_stripe, request):
    start_checkout(owner_client)
    [session_id] = fake_stripe.sessions
    fake_stripe.complete_checkout(session_id)
    member_client = request.getfixturevalue("member_client")  # the same client, signed in again

    page = member_client.get(f"/dashboard/billing?session_id={session_id}")
    refused = member_client.post("/dashboard/billing", {"session_id": session_id})

    assert page.status_code == 200 and "Confirming your subscription" not in page.text
    assert refused.status_code == 403
    team.refresh_from_db()
    assert team.plan.code == "free" and team.stripe_subscription_id == ""


def test_returning_twice_changes_nothing_more(owner_client, team, fake_stripe):
    start_checkout(owner_client)
    [session_id] = fake_stripe.sessions
    fake_stripe.complete_checkout(session_id)
    return_from_checkout(owner_client, session_id)
    return_from_checkout(owner_client, session_id)

    assert ActivityLog.objects.filter(action=Action.SUBSCRIPTION_CHANGED).count() == 1


def test_another_teams_session_is_refused(owner_client, team, fake_stripe, plans):
    other = make_user(email="other@example.com")
    other_team = other.memberships.get().team
    other_client = Client()
    other_client.force_login(other)
    start_checkout(other_client)
    [session_id] = fake_stripe.sessions
    fake_stripe.complete_checkout(session_id)

    response = return_from_checkout(owner_client, session_id, follow=True)

    assert "does not belong to your team" in response.text
    team.refresh_from_db()
    other_team.refresh_from_db()
    assert team.plan.code == "free" and team.stripe_subscription_id == ""
    assert other_team.plan.code == "free"


def test_checkout_finds_the_price_by_lookup_key_when_none_is_configured(
    owner_client, team, fake_stripe, plans
):
    price_id = plans["starter"].stripe_price_id
    Plan.objects.filter(code="starter").update(stripe_price_id="")

    start_checkout(owner_client, "starter")

    [session] = fake_stripe.sessions.values()
    assert session["_params"]["line_items"][0]["price"] == price_id


def test_a_stripe_error_is_shown_not_raised(owner_client, team, fake_stripe, plans):
    Plan.objects.filter(code="pro").update(stripe_price_id="price_unknown")

    response = start_checkout(owner_client)

    assert response.status_code == 302 and response["Location"] == "/dashboard/billing"
    assert fake_stripe.sessions == {}


def test_portal_creates_a_configuration_once_and_opens_a_session(owner_client, team, fake_stripe):
    start_checkout(owner_client)
    team.refresh_from_db()

    first = owner_client.post("/dashboard/billing/portal")
    second = owner_client.post("/dashboard/billing/portal")

    assert len(fake_stripe.portal_configurations) == 1
    [configuration] = fake_stripe.portal_configurations.values()
    products = configuration["features"]["subscription_update"]["products"]
    assert len(products) == 3
    sessions = list(fake_stripe.portal_sessions.values())
    assert first["Location"] == sessions[0]["url"] and second["Location"] == sessions[1]["url"]
    assert {s["customer"] for s in sessions} == {team.stripe_customer_id}
    assert {s["configuration"] for s in sessions} == {configuration["id"]}
    assert sessions[0]["return_url"].endswith("/dashboard/billing")


def test_portal_uses_our_configuration_over_the_accounts_default(owner_client, fake_stripe):
    """The default may prorate without invoicing; ours invoices an upgrade at once."""
    fake_stripe.portal_configurations["bpc_default"] = {
        "id": "bpc_default",
        "object": "billing_portal.configuration",
        "active": True,
        "is_default": True,
        "metadata": {},
    }
    start_checkout(owner_client)

    owner_client.post("/dashboard/billing/portal")

    [session] = fake_stripe.portal_sessions.values()
    ours = fake_stripe.portal_configurations[session["configuration"]]
    assert ours["metadata"] == {"genfans": "1"}
    assert ours["features"]["subscription_update"]["proration_behavior"] == "always_invoice"


def test_portal_brings_an_older_configuration_of_ours_to_always_invoice(owner_client, fake_stripe):
    fake_stripe.portal_configurations["bpc_old"] = {
        "id": "bpc_old",
        "object": "billing_portal.configuration",
        "active": True,
        "is_default": False,
        "metadata": {"genfans": "1"},
        "features": {"subscription_update": {"proration_behavior": "create_prorations"}},
    }
    start_checkout(owner_client)

    owner_client.post("/dashboard/billing/portal")

    [session] = fake_stripe.portal_sessions.values()
    assert session["configuration"] == "bpc_old"
    update = fake_stripe.portal_configurations["bpc_old"]["features"]["subscription_update"]
    assert update["proration_behavior"] == "always_invoice"


@pytest.fixture
def member_client(client, team):
    member = make_user(email="member@example.com")
    TeamMember.objects.filter(user=member).delete()
    TeamMember.objects.create(team=team, user=member, role=Role.MEMBER)
    client.force_login(member)
    return client


@pytest.mark.parametrize(
    ("path", "data"),
    [("/dashboard/billing/checkout", {"plan": "pro"}), ("/dashboard/billing/portal", {})],
)
def test_members_cannot_manage_billing(member_client, team, fake_stripe, path, data):
    response = member_client.post(path, data)

    assert response.status_code == 403
    assert fake_stripe.requests == []


def test_members_see_the_plan_but_no_manage_buttons(member_client, team, plans):
    response = member_client.get("/dashboard/billing")

    assert response.status_code == 200
    assert "Free plan" in response.text
    assert "Only a team owner can manage billing" in response.text
    assert "Manage subscription" not in response.text


def test_api_checkout_and_portal(owner_client, team, fake_stripe):
    response = owner_client.post(
        "/api/billing/checkout", {"plan": "studio"}, content_type="application/json"
    )
    assert response.status_code == 200
    [session] = fake_stripe.sessions.values()
    assert response.json() == {"url": session["url"]}

    portal = owner_client.post("/api/billing/portal")
    assert portal.status_code == 200
    assert portal.json()["url"].startswith(f"{fake_stripe.base}/portal/")

    status = owner_client.get("/api/billing").json()
    assert status["plan"] == "free" and status["checkout"] == "stripe" and status["can_manage"]


def test_a_subscribed_team_changes_plan_in_the_portal_not_a_second_checkout(
    owner_client, team, fake_stripe
):
    start_checkout(owner_client)
    [session_id] = fake_stripe.sessions
    fake_stripe.complete_checkout(session_id)
    return_from_checkout(owner_client, session_id)

    pricing = owner_client.get("/pricing")
    page = start_checkout(owner_client, "studio")
    api = owner_client.post(
        "/api/billing/checkout", {"plan": "studio"}, content_type="application/json"
    )

    assert "Your current plan" in pricing.text and "Switch to Studio" in pricing.text
    # One rule for the page and the API: no second checkout, the customer portal instead.
    assert len(fake_stripe.sessions) == 1
    page_portal, api_portal = fake_stripe.portal_sessions.values()
    assert page.status_code == 302 and page["Location"] == page_portal["url"]
    assert api.status_code == 200 and api.json() == {"url": api_portal["url"]}
    team.refresh_from_db()
    assert page_portal["customer"] == api_portal["customer"] == team.stripe_customer_id


@pytest.mark.parametrize("plan_code", ["nope", "free"])
def test_the_page_and_the_api_refuse_a_plan_alike(owner_client, fake_stripe, plan_code):
    page = start_checkout(owner_client, plan_code)
    api = owner_client.post(
        "/api/billing/checkout", {"plan": plan_code}, content_type="application/json"
    )

    assert fake_stripe.sessions == {}
    if plan_code == "nope":
        assert page.status_code == 404
        assert api.status_code == 404 and api.json()["error"]["code"] == "plan_not_found"
    else:
        assert page.status_code == 302 and page["Location"] == "/dashboard/billing"
        assert api.status_code == 400 and api.json()["error"]["code"] == "plan_not_purchasable"


def test_return_credits_the_first_invoice_and_its_webhook_then_changes_nothing(
    owner_client, client, team, fake_stripe, plans
):
    start_checkout(owner_client)
    [session_id] = fake_stripe.sessions
    subscription = fake_stripe.complete_checkout(session_id)
    return_from_checkout(owner_client, session_id)
    assert credits_balance_get(team=team).available == 50 + plans["pro"].monthly_credits

    invoice = fake_stripe.invoices[subscription["latest_invoice"]]
    response = post_event(client, make_event("invoice.paid", invoice))

    assert response.json()["status"] == "processed"
    assert credits_balance_get(team=team).available == 50 + plans["pro"].monthly_credits


def test_when_the_webhook_comes_first_the_return_only_confirms(
    owner_client, client, team, fake_stripe, plans
):
    start_checkout(owner_client)
    [session_id] = fake_stripe.sessions
    subscription = fake_stripe.complete_checkout(session_id)
    post_event(client, make_event("customer.subscription.created", subscription))
    post_event(
        client, make_event("invoice.paid", fake_stripe.invoices[subscription["latest_invoice"]])
    )

    return_from_checkout(owner_client, session_id)

    team.refresh_from_db()
    assert team.subscription_status == SubscriptionStatus.TRIALING
    assert team.stripe_subscription_id == subscription["id"]
    assert ActivityLog.objects.filter(action=Action.SUBSCRIPTION_CHANGED).count() == 1
    assert credits_balance_get(team=team).available == 50 + plans["pro"].monthly_credits
