"""The Stripe webhook: signature checks, the event inbox, ordering and idempotency."""

import json
import time

import pytest
from django.test import Client

from genfans.accounts.models import User
from genfans.billing.models import Plan, StripeEvent, StripeEventStatus, TeamBilling
from genfans.billing.selectors import plan_effective_for_team
from genfans.credits.models import CreditTransaction
from genfans.credits.selectors import credits_balance_get
from genfans.teams.models import Action, ActivityLog, Role, SubscriptionStatus, TeamMember
from tests.billing.conftest import (
    PERIOD_START,
    checkout_session_object,
    invoice_object,
    make_event,
    post_event,
    subscription_object,
)
from tests.factories import make_user

FREE_CREDITS = 50


@pytest.fixture
def linked_team(team, plans):
    """A team that went through checkout: its Stripe customer is linked (as checkout does)."""
    team.stripe_customer_id = "cus_linked"
    team.save(update_fields=["stripe_customer_id"])
    return team


def price(plans, code):
    return {"id": f"price_{code}", "object": "price", "lookup_key": f"genfans_{code}_monthly"}


@pytest.fixture(autouse=True)
def _price_ids(plans):
    for code in ("starter", "pro", "studio"):
        Plan.objects.filter(code=code).update(stripe_price_id=f"price_{code}")


def available(team) -> int:
    return credits_balance_get(team=team).available


# --- signatures --------------------------------------------------------------------------------


def test_a_valid_event_is_stored_and_processed(client, linked_team, plans):
    session = checkout_session_object(
        session_id="cs_1",
        team=linked_team,
        customer="cus_linked",
        sub_id="sub_1",
        plan_code="pro",
    )
    event = make_event("checkout.session.completed", session)

    # Stripe sends no CSRF token: the endpoint is authenticated by its signature alone.
    response = post_event(Client(enforce_csrf_checks=True), event)

    assert response.status_code == 200
    assert response.json() == {"received": True, "status": "processed"}
    stored = StripeEvent.objects.get()
    assert stored.stripe_id == event["id"] and stored.type == "checkout.session.completed"
    assert stored.status == StripeEventStatus.PROCESSED and stored.error == ""
    assert stored.team == linked_team and stored.attempts == 1
    assert stored.payload == event
    linked_team.refresh_from_db()
    assert linked_team.stripe_subscription_id == "sub_1"
    assert linked_team.plan.code == "pro"
    assert linked_team.subscription_status == SubscriptionStatus.TRIALING


@pytest.mark.parametrize(
    "case", ["tampered", "missing", "stale", "wrong_secret", "garbage_header", "no_secret"]
)
def test_a_bad_signature_is_refused_and_nothing_is_stored(client, linked_team, settings, case):
    event = make_event(
        "invoice.paid",
        invoice_object(
            invoice_id="in_1", customer="cus_linked", sub_id="sub_1", price_id="price_pro"
        ),
    )
    payload = json.dumps(event)
    kwargs = {}
    if case == "tampered":
        import stripe

        signature = stripe.WebhookSignature.generate_signature_header(payload, "whsec_test_secret")
        kwargs = {"payload": payload.replace("in_1", "in_2"), "signature": signature}
    elif case == "missing":
        kwargs = {"signature": ""}
    elif case == "stale":
        kwargs = {"timestamp": int(time.time()) - 600}
    elif case == "wrong_secret":
        kwargs = {"secret": "whsec_other"}
    elif case == "garbage_header":
        kwargs = {"signature": "nonsense"}
    elif case == "no_secret":
        settings.STRIPE_WEBHOOK_SECRET = ""

    response = post_event(client, event, **kwargs)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert StripeEvent.objects.count() == 0
    assert available(linked_team) == FREE_CREDITS


def test_a_signed_body_that_is_not_an_event_is_refused_and_kept_as_malformed(client):
    response = post_event(client, {}, payload="[1, 2]")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_event"
    assert StripeEvent.objects.get().status == StripeEventStatus.MALFORMED


# --- inbox -------------------------------------------------------------------------------------


def test_an_unknown_event_type_is_stored_and_ignored(client, linked_team):
    event = make_event("customer.created", {"id": "cus_linked", "object": "customer"})

    response = post_event(client, event)

    assert response.status_code == 200 and response.json()["status"] == "ignored"
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEventStatus.IGNORED and stored.processed_at is not None


def test_a_duplicated_event_is_processed_once(client, linked_team, plans):
    subscription = subscription_object(
        sub_id="sub_1", customer="cus_linked", price=price(plans, "pro")
    )
    event = make_event("customer.subscription.created", subscription)

    first = post_event(client, event)
    second = post_event(client, event)

    assert first.status_code == second.status_code == 200
    stored = StripeEvent.objects.get()
    assert stored.attempts == 1 and stored.status == StripeEventStatus.PROCESSED
    assert ActivityLog.objects.filter(action=Action.SUBSCRIPTION_CHANGED).count() == 1


def test_a_replayed_invoice_grants_credits_once(client, linked_team, plans):
    invoice = invoice_object(
        invoice_id="in_1", customer="cus_linked", sub_id="sub_1", price_id="price_pro"
    )
    event = make_event("invoice.paid", invoice)

    post_event(client, event)
    post_event(client, event)
    # The same invoice in a different event (Stripe resends with a new id on re-triggers).
    response = post_event(client, make_event("invoice.paid", invoice))

    assert response.status_code == 200
    assert available(linked_team) == FREE_CREDITS + plans["pro"].monthly_credits
    assert CreditTransaction.objects.filter(team=linked_team, kind="replenish").count() == 1
    assert StripeEvent.objects.count() == 2
    assert "granted already" in StripeEvent.objects.order_by("created_at").last().error


def test_each_paid_invoice_is_a_new_period_of_credits(client, linked_team, plans):
    periods = [("in_1", "subscription_create", 0), ("in_2", "subscription_cycle", 30 * 86400)]
    for invoice_id, reason, offset in periods:
        post_event(
            client,
            make_event(
                "invoice.paid",
                invoice_object(
                    invoice_id=invoice_id,
                    customer="cus_linked",
                    sub_id="sub_1",
                    price_id="price_starter",
                    amount_paid=2900,
                    billing_reason=reason,
                    period_start=PERIOD_START + offset,
                ),
            ),
        )

    # The unused credits of the first period expired; the free grant stays.
    assert available(linked_team) == FREE_CREDITS + plans["starter"].monthly_credits
    assert CreditTransaction.objects.filter(team=linked_team, kind="replenish").count() == 2


def test_an_invoice_in_the_old_api_shape_is_understood(client, linked_team, plans):
    invoice = {
        "id": "in_old",
        "object": "invoice",
        "customer": "cus_linked",
        "subscription": "sub_1",
        "billing_reason": "subscription_create",
        "amount_paid": 19900,
        "lines": {
            "data": [
                {
                    "price": {"id": "price_studio", "lookup_key": None},
                    "period": {"start": PERIOD_START, "end": PERIOD_START + 30 * 86400},
                }
            ]
        },
    }

    post_event(client, make_event("invoice.paid", invoice))

    assert available(linked_team) == FREE_CREDITS + plans["studio"].monthly_credits


def test_a_non_subscription_invoice_is_ignored(client, linked_team):
    invoice = {"id": "in_x", "object": "invoice", "customer": "cus_linked", "lines": {"data": []}}

    response = post_event(client, make_event("invoice.paid", invoice))

    assert response.json()["status"] == "ignored"
    assert available(linked_team) == FREE_CREDITS


def test_a_failing_event_is_recorded_and_answered_500_so_stripe_retries(client, linked_team):
    invoice = invoice_object(
        invoice_id="in_1", customer="cus_linked", sub_id="sub_1", price_id="price_not_ours"
    )
    event = make_event("invoice.paid", invoice)

    first = post_event(client, event)
    second = post_event(client, event)

    assert first.status_code == second.status_code == 500
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEventStatus.FAILED and stored.attempts == 2
    assert "no plan matches" in stored.error
    assert available(linked_team) == FREE_CREDITS


# --- subscription state ----------------------------------------------------------------------


def test_subscription_lifecycle_drives_the_effective_plan(client, linked_team, plans):
    now = int(time.time())
    sub = subscription_object(sub_id="sub_1", customer="cus_linked", price=price(plans, "pro"))
    steps = [
        ("customer.subscription.created", "trialing", SubscriptionStatus.TRIALING, "pro"),
        ("customer.subscription.updated", "active", SubscriptionStatus.ACTIVE, "pro"),
        ("customer.subscription.updated", "past_due", SubscriptionStatus.PAST_DUE, "free"),
        ("customer.subscription.updated", "unpaid", SubscriptionStatus.UNPAID, "free"),
        ("customer.subscription.updated", "active", SubscriptionStatus.ACTIVE, "pro"),
        ("customer.subscription.deleted", "canceled", SubscriptionStatus.CANCELED, "free"),
    ]
    for offset, (event_type, stripe_status, status, effective) in enumerate(steps):
        post_event(
            client, make_event(event_type, {**sub, "status": stripe_status}, created=now + offset)
        )
        linked_team.refresh_from_db()
        assert linked_team.subscription_status == status, event_type
        assert plan_effective_for_team(team=linked_team).code == effective

    assert linked_team.stripe_subscription_id == "sub_1"
    assert linked_team.current_period_end is not None
    assert ActivityLog.objects.filter(action=Action.SUBSCRIPTION_CHANGED).count() == 6


def test_a_plan_change_in_the_portal_switches_the_plan(client, linked_team, plans):
    sub = subscription_object(
        sub_id="sub_1", customer="cus_linked", price=price(plans, "pro"), status="active"
    )
    now = int(time.time())
    post_event(client, make_event("customer.subscription.created", sub, created=now))
    upgraded = {**sub, "items": {"data": [{"price": price(plans, "studio")}]}}
    post_event(client, make_event("customer.subscription.updated", upgraded, created=now + 1))

    linked_team.refresh_from_db()
    assert linked_team.plan == plans["studio"]


def test_an_older_subscription_event_arriving_late_is_ignored(client, linked_team, plans):
    sub = subscription_object(sub_id="sub_1", customer="cus_linked", price=price(plans, "pro"))
    now = int(time.time())
    post_event(
        client,
        make_event("customer.subscription.updated", {**sub, "status": "active"}, created=now),
    )
    late = post_event(client, make_event("customer.subscription.created", sub, created=now - 5))

    assert late.json()["status"] == "ignored"
    linked_team.refresh_from_db()
    assert linked_team.subscription_status == SubscriptionStatus.ACTIVE


def test_a_deleted_subscription_stays_deleted(client, linked_team, plans):
    sub = subscription_object(sub_id="sub_1", customer="cus_linked", price=price(plans, "pro"))
    now = int(time.time())
    post_event(
        client,
        make_event("customer.subscription.deleted", {**sub, "status": "canceled"}, created=now),
    )
    post_event(
        client,
        make_event("customer.subscription.updated", {**sub, "status": "active"}, created=now),
    )

    linked_team.refresh_from_db()
    assert linked_team.subscription_status == SubscriptionStatus.CANCELED
    assert plan_effective_for_team(team=linked_team).code == "free"


def test_a_new_subscription_after_cancel_is_adopted(client, linked_team, plans):
    now = int(time.time())
    old = subscription_object(sub_id="sub_old", customer="cus_linked", price=price(plans, "pro"))
    post_event(
        client,
        make_event("customer.subscription.deleted", {**old, "status": "canceled"}, created=now),
    )
    new = subscription_object(
        sub_id="sub_new", customer="cus_linked", price=price(plans, "starter"), status="active"
    )
    post_event(client, make_event("customer.subscription.created", new, created=now + 1))

    linked_team.refresh_from_db()
    assert linked_team.stripe_subscription_id == "sub_new"
    assert linked_team.subscription_status == SubscriptionStatus.ACTIVE
    assert linked_team.plan == plans["starter"]


# --- out of order ------------------------------------------------------------------------------


def test_invoice_before_checkout_credits_the_linked_team(client, linked_team, plans):
    invoice = invoice_object(
        invoice_id="in_1", customer="cus_linked", sub_id="sub_1", price_id="price_pro"
    )
    post_event(client, make_event("invoice.paid", invoice))
    session = checkout_session_object(
        session_id="cs_1",
        team=linked_team,
        customer="cus_linked",
        sub_id="sub_1",
        plan_code="pro",
    )
    post_event(client, make_event("checkout.session.completed", session))

    linked_team.refresh_from_db()
    assert available(linked_team) == FREE_CREDITS + plans["pro"].monthly_credits
    assert linked_team.plan == plans["pro"]
    assert linked_team.stripe_subscription_id == "sub_1"


def test_invoice_for_an_unlinked_team_is_matched_by_subscription_metadata(client, team, plans):
    invoice = invoice_object(
        invoice_id="in_1",
        customer="cus_new",
        sub_id="sub_1",
        price_id="price_pro",
        metadata={"team_id": str(team.pk), "plan": "pro"},
    )

    response = post_event(client, make_event("invoice.paid", invoice))

    assert response.json()["status"] == "processed"
    team.refresh_from_db()
    assert available(team) == FREE_CREDITS + plans["pro"].monthly_credits
    assert team.stripe_customer_id == "cus_new" and team.stripe_subscription_id == "sub_1"


def test_an_event_no_team_matches_is_parked_then_processed_when_checkout_links_it(
    client, team, plans, django_capture_on_commit_callbacks
):
    invoice = invoice_object(
        invoice_id="in_1", customer="cus_new", sub_id="sub_1", price_id="price_pro"
    )
    sub = subscription_object(
        sub_id="sub_1", customer="cus_new", price=price(plans, "pro"), status="active"
    )
    now = int(time.time())
    parked = post_event(client, make_event("invoice.paid", invoice, created=now))
    post_event(client, make_event("customer.subscription.created", sub, created=now))

    assert parked.status_code == 200 and parked.json()["status"] == "parked"
    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"parked"}
    assert available(team) == FREE_CREDITS

    session = checkout_session_object(
        session_id="cs_1", team=team, customer="cus_new", sub_id="sub_1", plan_code="pro"
    )
    with django_capture_on_commit_callbacks(execute=True):
        post_event(client, make_event("checkout.session.completed", session, created=now + 1))

    assert set(StripeEvent.objects.values_list("status", flat=True)) == {"processed"}
    team.refresh_from_db()
    assert available(team) == FREE_CREDITS + plans["pro"].monthly_credits
    # The real state (active) wins over checkout's provisional "trialing".
    assert team.subscription_status == SubscriptionStatus.ACTIVE
    assert team.plan == plans["pro"]


def test_subscription_updated_before_checkout_is_not_rolled_back_by_it(client, linked_team, plans):
    sub = subscription_object(
        sub_id="sub_1", customer="cus_linked", price=price(plans, "pro"), status="active"
    )
    now = int(time.time())
    post_event(client, make_event("customer.subscription.updated", sub, created=now))
    session = checkout_session_object(
        session_id="cs_1",
        team=linked_team,
        customer="cus_linked",
        sub_id="sub_1",
        plan_code="pro",
    )
    post_event(client, make_event("checkout.session.completed", session, created=now - 3))

    linked_team.refresh_from_db()
    assert linked_team.subscription_status == SubscriptionStatus.ACTIVE


# --- payment failures and trial end ------------------------------------------------------------


def test_a_failed_payment_shows_owners_a_banner_until_an_invoice_is_paid(
    client, owner_client, linked_team, plans
):
    invoice = invoice_object(
        invoice_id="in_1", customer="cus_linked", sub_id="sub_1", price_id="price_pro"
    )
    member = make_user(email="member@example.com")
    TeamMember.objects.filter(user=member).delete()
    TeamMember.objects.create(team=linked_team, user=member, role=Role.MEMBER)

    post_event(client, make_event("invoice.payment_failed", invoice))

    assert TeamBilling.objects.get(team=linked_team).payment_failed_invoice_id == "in_1"
    assert "Your last payment failed" in owner_client.get("/dashboard/").text
    member_client = Client()
    member_client.force_login(member)
    assert "Your last payment failed" not in member_client.get("/dashboard/").text

    post_event(client, make_event("invoice.paid", {**invoice, "id": "in_2"}))

    assert TeamBilling.objects.get(team=linked_team).payment_failed_at is None
    assert "Your last payment failed" not in owner_client.get("/dashboard/").text


def test_trial_will_end_is_recorded(client, linked_team, plans, caplog):
    sub = subscription_object(sub_id="sub_1", customer="cus_linked", price=price(plans, "pro"))

    response = post_event(client, make_event("customer.subscription.trial_will_end", sub))

    assert response.json()["status"] == "processed"
    stored = StripeEvent.objects.get()
    assert stored.team == linked_team and stored.error == "trial ends soon"
    assert "trial of team" in caplog.text


def test_staff_can_process_a_failed_event_again_from_the_admin(client, linked_team, plans):
    invoice = invoice_object(
        invoice_id="in_1", customer="cus_linked", sub_id="sub_1", price_id="price_new_pro"
    )
    post_event(client, make_event("invoice.paid", invoice))
    stored = StripeEvent.objects.get()
    assert stored.status == StripeEventStatus.FAILED
    Plan.objects.filter(code="pro").update(stripe_price_id="price_new_pro")  # the fix
    staff = make_user(email="staff@example.com")
    User.objects.filter(pk=staff.pk).update(is_staff=True, is_superuser=True)
    client.force_login(staff)

    listing = client.get("/admin/billing/stripeevent/")
    response = client.post(
        "/admin/billing/stripeevent/",
        {"action": "process_again", "_selected_action": [str(stored.pk)]},
    )

    assert listing.status_code == 200 and response.status_code == 302
    stored.refresh_from_db()
    assert stored.status == StripeEventStatus.PROCESSED and stored.attempts == 2
    assert available(linked_team) == FREE_CREDITS + plans["pro"].monthly_credits


def test_a_plan_change_invoice_credits_the_plan_billed_not_the_proration_credit(
    client, linked_team, plans
):
    opening = invoice_object(
        invoice_id="in_1", customer="cus_linked", sub_id="sub_1", price_id="price_pro"
    )
    post_event(client, make_event("invoice.paid", opening))
    invoice = invoice_object(
        invoice_id="in_up",
        customer="cus_linked",
        sub_id="sub_1",
        price_id="price_studio",
        billing_reason="subscription_update",
    )
    period = {"start": PERIOD_START + 86400, "end": PERIOD_START + 30 * 86400}
    invoice["lines"]["data"] = [
        {"amount": -3000, "period": period, "pricing": {"price_details": {"price": "price_pro"}}},
        {
            "amount": 19900,
            "period": period,
            "pricing": {"price_details": {"price": "price_studio"}},
        },
    ]

    post_event(client, make_event("invoice.paid", invoice))

    assert available(linked_team) == FREE_CREDITS + plans["studio"].monthly_credits


def test_a_cancellation_at_period_end_shows_when_the_plan_ends(
    client, owner_client, linked_team, plans
):
    period_end = int(time.time()) + 10 * 86400
    sub = subscription_object(
        sub_id="sub_1",
        customer="cus_linked",
        price=price(plans, "pro"),
        status="active",
        period_end=period_end,
    )
    now = int(time.time())
    post_event(client, make_event("customer.subscription.created", sub, created=now))
    post_event(
        client,
        make_event(
            "customer.subscription.updated", {**sub, "cancel_at_period_end": True}, created=now + 1
        ),
    )

    billing = TeamBilling.objects.get(team=linked_team)
    assert int(billing.cancels_at.timestamp()) == period_end
    page = owner_client.get("/dashboard/billing").text
    assert "Ends (canceled)" in page and "Renews" not in page

    post_event(client, make_event("customer.subscription.updated", sub, created=now + 2))

    billing.refresh_from_db()
    assert billing.cancels_at is None


def test_a_payment_failure_overtaken_by_the_successful_retry_shows_no_banner(
    client, owner_client, linked_team, plans
):
    invoice = invoice_object(
        invoice_id="in_1", customer="cus_linked", sub_id="sub_1", price_id="price_pro"
    )
    now = int(time.time())
    post_event(client, make_event("invoice.paid", invoice, created=now))
    late = post_event(client, make_event("invoice.payment_failed", invoice, created=now - 60))

    assert late.json()["status"] == "processed"
    assert TeamBilling.objects.get(team=linked_team).payment_failed_at is None
    assert "Your last payment failed" not in owner_client.get("/dashboard/").text
