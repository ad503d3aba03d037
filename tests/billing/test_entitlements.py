"""The entitlement rules against real Stripe lifecycles, each scenario the issue found.

Events go through the real webhook endpoint with real signatures; every test ends with a
clean `credits audit` (the billing conftest checks it)."""

import json
import time

import pytest
import stripe

from genfans.accounts.services import team_create_for_user
from genfans.billing.entitlements import operation_locked, plan_feature_rows, trial_available
from genfans.billing.models import Plan, StripeEvent, StripeEventStatus, SubscriptionPeriod
from genfans.credits.models import CreditTransaction
from genfans.credits.selectors import credits_balance_get
from genfans.teams.models import SubscriptionStatus
from tests.billing.conftest import (
    PERIOD_START,
    WEBHOOK_SECRET,
    invoice_object,
    make_event,
    post_event,
    subscription_object,
)
from tests.catalog.factories import make_reference_model
from tests.credits.factories import set_credits
from tests.factories import make_api_key, make_user

DAY = 86400


@pytest.fixture(autouse=True)
def _price_ids(plans):
    for code in ("starter", "pro", "studio"):
        Plan.objects.filter(code=code).update(stripe_price_id=f"price_{code}")


@pytest.fixture
def linked_team(team, plans):
    set_credits(team, 50)  # the Free grant
    team.stripe_customer_id = "cus_1"
    team.save(update_fields=["stripe_customer_id"])
    return team


def price_id(code: str) -> str:
    return Plan.objects.get(code=code).stripe_price_id


def price(code: str) -> dict:
    return {"id": price_id(code), "object": "price", "lookup_key": f"genfans_{code}_monthly"}


def balance(team) -> tuple[int, int]:
    """(available, of which plan credits)"""
    b = credits_balance_get(team=team)
    return b.available, b.subscription_available


def subscription(client, sub_id="sub_1", code="studio", status="trialing", kind="updated", at=None):
    obj = subscription_object(sub_id=sub_id, customer="cus_1", price=price(code), status=status)
    return post_event(client, make_event(f"customer.subscription.{kind}", obj, created=at))


def invoice(client, invoice_id, *, sub_id="sub_1", code="studio", paid=0, **fields):
    obj = invoice_object(
        invoice_id=invoice_id,
        customer="cus_1",
        sub_id=sub_id,
        price_id=price_id(code),
        amount_paid=paid,
        **fields,
    )
    return post_event(client, make_event("invoice.paid", obj))


def trial_started(client, sub_id="sub_1", code="studio"):
    subscription(client, sub_id=sub_id, code=code, kind="created")
    return invoice(client, f"in_trial_{sub_id}", sub_id=sub_id, code=code)


# --- trials ------------------------------------------------------------------------------------


def test_the_trial_loop_is_closed(client, owner_client, linked_team, plans, fake_stripe):
    """Trial 5,000 → deleted → the credits are gone and a second checkout starts paid."""
    trial_started(client)
    assert balance(linked_team) == (5050, 5000)

    subscription(client, status="canceled", kind="deleted")

    linked_team.refresh_from_db()
    assert balance(linked_team) == (50, 0)
    assert linked_team.plan.code == "free"
    assert linked_team.subscription_status == SubscriptionStatus.CANCELED
    expired = CreditTransaction.objects.get(team=linked_team, kind="expire")
    assert (expired.amount, expired.plan_amount) == (5000, -5000)

    owner_client.post("/dashboard/billing/checkout", {"plan": "studio"})
    [session] = fake_stripe.sessions.values()
    assert "trial_period_days" not in session["_params"]["subscription_data"]
    assert session["_params"]["metadata"]["trial"] == "0"
    assert "Start free trial" not in owner_client.get("/pricing").text


def test_spending_trial_credits_after_the_subscription_ended_is_refused(client, linked_team):
    trial_started(client)
    subscription(client, status="canceled", kind="deleted")
    reference = make_reference_model()
    api = type(client)(headers={"Authorization": f"Bearer {make_api_key(team=linked_team)}"})
    body = {"model_id": str(reference.pk), "prompt": "x", "num_images": 8, "quality": "high"}

    response = api.post("/api/generate", body, content_type="application/json")

    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_credits"
    assert balance(linked_team) == (50, 0)


def test_a_second_trial_got_in_a_race_earns_nothing(client, linked_team):
    trial_started(client)
    subscription(client, status="canceled", kind="deleted")

    response = trial_started(client, sub_id="sub_2")

    assert response.status_code == 200
    assert balance(linked_team) == (50, 0)
    event = StripeEvent.objects.get(stripe_id=StripeEvent.objects.latest("created_at").stripe_id)
    assert "has had its trial" in event.error


def test_a_person_gets_one_trial_across_the_teams_they_own(client, linked_team, owner):
    trial_started(client)
    second = team_create_for_user(user=owner, name="Second studio")

    assert not trial_available(team=second, user=owner)
    newcomer = make_user()
    assert trial_available(team=newcomer.memberships.get().team, user=newcomer)


def test_a_new_stripe_customer_does_not_reset_the_trial(client, linked_team):
    trial_started(client)
    subscription(client, status="canceled", kind="deleted")
    linked_team.stripe_customer_id = "cus_new"
    linked_team.save(update_fields=["stripe_customer_id"])

    assert not trial_available(team=linked_team)


# --- periods -----------------------------------------------------------------------------------


def test_a_late_invoice_of_a_deleted_subscription_grants_nothing(client, linked_team):
    """550 → 1,550 while canceled, before the fix."""
    subscription(client, code="starter", status="active", kind="created")
    invoice(client, "in_1", code="starter", paid=2900)
    assert balance(linked_team) == (550, 500)
    subscription(client, code="starter", status="canceled", kind="deleted")

    response = invoice(
        client,
        "in_late",
        code="starter",
        paid=2900,
        period_start=PERIOD_START + 30 * DAY,
        billing_reason="subscription_cycle",
    )

    assert response.json()["status"] == "processed"
    assert balance(linked_team) == (50, 0)
    assert StripeEvent.objects.get(payload__data__object__id="in_late").error == (
        "that subscription has ended"
    )


def test_a_second_paid_invoice_in_one_period_grants_nothing(client, linked_team):
    """1,214 → 1,550 before the fix: the allowance was granted again."""
    subscription(client, code="pro", status="active", kind="created")
    invoice(client, "in_1", code="pro", paid=7900)
    invoice(client, "in_again", code="pro", paid=7900)
    invoice(client, "in_update", code="pro", paid=0, billing_reason="subscription_update")

    assert balance(linked_team) == (1550, 1500)
    assert CreditTransaction.objects.filter(team=linked_team, kind="replenish").count() == 1


def test_each_new_period_expires_the_last_and_grants_once(client, linked_team):
    subscription(client, code="pro", status="active", kind="created")
    invoice(client, "in_1", code="pro", paid=7900)
    next_period = PERIOD_START + 30 * DAY
    invoice(
        client,
        "in_2",
        code="pro",
        paid=7900,
        billing_reason="subscription_cycle",
        period_start=next_period,
    )
    invoice(
        client,
        "in_2",
        code="pro",
        paid=7900,
        billing_reason="subscription_cycle",
        period_start=next_period,
    )

    assert balance(linked_team) == (1550, 1500)
    assert SubscriptionPeriod.objects.filter(subscription_id="sub_1").count() == 2


def test_an_upgrade_grants_the_difference_once_and_a_downgrade_nothing(client, linked_team):
    subscription(client, code="starter", status="active", kind="created")
    invoice(client, "in_1", code="starter", paid=2900)
    mid = PERIOD_START + 10 * DAY
    upgrade = {"billing_reason": "subscription_update", "period_start": mid, "period_days": 20}

    invoice(client, "in_up", code="pro", paid=3300, **upgrade)
    invoice(client, "in_up_again", code="pro", paid=3300, **upgrade)
    assert balance(linked_team) == (1550, 1500)

    invoice(client, "in_down", code="starter", paid=0, **upgrade)
    invoice(client, "in_up_back", code="pro", paid=3300, **upgrade)
    assert balance(linked_team) == (1550, 1500)

    invoice(client, "in_studio", code="studio", paid=8000, **upgrade)
    assert balance(linked_team) == (5050, 5000)


def test_unpaid_past_the_retries_expires_the_plan_credits(client, linked_team):
    subscription(client, code="pro", status="active", kind="created")
    invoice(client, "in_1", code="pro", paid=7900)

    subscription(client, code="pro", status="unpaid", at=int(time.time()) + 5)

    assert balance(linked_team) == (50, 0)
    linked_team.refresh_from_db()
    assert linked_team.subscription_status == SubscriptionStatus.UNPAID


# --- webhook robustness ------------------------------------------------------------------------


def _signed(client, body: str, *, at: int | None = None):
    header = stripe.WebhookSignature.generate_signature_header(
        body, WEBHOOK_SECRET, timestamp=at or int(time.time())
    )
    return client.post(
        "/api/stripe/webhook",
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=header,
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda e: e.update(data=[]), "data"),
        (lambda e: e["data"].update(object="in_1"), "data.object"),
        (lambda e: e.update(type=42), "type"),
        (lambda e: e.update(created="yesterday"), "created"),
        (lambda e: e.update(id=None), "id"),
        (lambda e: e["data"]["object"].update(lines={"data": "many"}), "data.object.lines"),
        (lambda e: e["data"]["object"].update(amount_paid="2900"), "data.object.amount_paid"),
        (
            lambda e: e["data"]["object"]["parent"]["subscription_details"].update(metadata=[1]),
            "data.object.parent",
        ),
    ],
)
def test_a_signed_event_of_the_wrong_shape_is_stored_as_malformed_and_grants_nothing(
    client, linked_team, change, reason
):
    obj = invoice_object(invoice_id="in_x", customer="cus_1", sub_id="sub_1", price_id="price_pro")
    event = make_event("invoice.paid", obj, event_id="evt_bad")
    change(event)

    response = _signed(client, json.dumps(event))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_event"
    [stored] = StripeEvent.objects.all()
    assert stored.status == StripeEventStatus.MALFORMED
    assert stored.error.startswith(reason)
    assert balance(linked_team) == (50, 0)
    assert _signed(client, json.dumps(event)).status_code == 400
    assert StripeEvent.objects.count() == 1


@pytest.mark.parametrize("body", ["[]", "42", '"event"', "null"])
def test_a_signed_payload_that_is_not_an_object_is_malformed(client, linked_team, body):
    response = _signed(client, body)

    assert response.status_code == 400
    assert StripeEvent.objects.get().status == StripeEventStatus.MALFORMED


def test_an_event_signed_in_the_future_is_refused_and_not_stored(client, linked_team):
    obj = invoice_object(invoice_id="in_f", customer="cus_1", sub_id="sub_1", price_id="price_pro")
    body = json.dumps(make_event("invoice.paid", obj))

    future = _signed(client, body, at=int(time.time()) + 3600)
    near = _signed(client, body, at=int(time.time()) + 60)

    assert future.status_code == 400
    assert future.json()["error"]["code"] == "invalid_signature"
    assert near.status_code == 200
    assert StripeEvent.objects.count() == 1


# --- plan features -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/videos", {"duration_s": 5}),
        (
            "/api/face-swap",
            {
                "target_upload_id": "00000000-0000-4000-8000-000000000001",
                "face_upload_id": "00000000-0000-4000-8000-000000000002",
            },
        ),
    ],
)
def test_a_free_team_cannot_run_pro_features_and_nothing_is_reserved(
    client, linked_team, path, body
):
    api = type(client)(headers={"Authorization": f"Bearer {make_api_key(team=linked_team)}"})

    response = api.post(path, body, content_type="application/json")

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "plan_feature_unavailable"
    assert error["details"]["required_plan"] == "pro"
    assert balance(linked_team) == (50, 0)
    assert not CreditTransaction.objects.filter(team=linked_team, kind="reserve").exists()


def test_image_sizes_follow_the_plan(client, linked_team):
    api = type(client)(headers={"Authorization": f"Bearer {make_api_key(team=linked_team)}"})
    reference = make_reference_model()
    body = {"model_id": str(reference.pk), "prompt": "x", "width": 1536, "height": 1536}

    response = api.post("/api/generate", body, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["error"]["details"] == {
        "required_plan": "starter",
        "feature": "max_image_side",
        "limit": 1024,
    }


def test_pricing_promises_exactly_what_the_services_enforce(client, plans):
    every = list(Plan.objects.order_by("sort_order"))
    rows = {row["label"]: row["values"] for row in plan_feature_rows(every)}
    page = client.get("/pricing").text

    for index, plan in enumerate(every):
        assert rows["Video"][index] == (
            operation_locked(plan=plan, operation="video_generation") is None
        )
        assert rows["Face swap"][index] == (
            operation_locked(plan=plan, operation="face_swap") is None
        )
    assert rows["Video"] == [False, False, True, True]
    assert 'data-testid="feature-table"' in page


def test_the_pages_grey_out_what_the_plan_does_not_include(owner_client, linked_team):
    page = owner_client.get("/dashboard/video").text

    assert 'data-testid="plan-locked"' in page
    assert "fieldset" in page and "disabled" in page
    assert 'href="/pricing?plan=pro"' in page


def test_the_generate_page_offers_only_the_plans_sizes_and_names_the_upgrade(owner_client, team):
    page = owner_client.get("/dashboard/generate").text

    assert "1024 × 1024" in page and "1536 × 1536" not in page
    assert '<a href="/pricing?plan=starter">Starter makes 1536 px</a>' in page
