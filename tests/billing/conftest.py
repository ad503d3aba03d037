import itertools
import json
import time

import pytest
import stripe

from genfans.billing.models import Plan
from genfans.billing.seed import seed_plans
from tests.billing.fake_stripe import FakeStripe

WEBHOOK_SECRET = "whsec_test_secret"
# The start of the billing period test invoices bill, unless a test names another.
PERIOD_START = int(time.time()) - 3600
_event_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def _billing_settings(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_API_BASE = ""
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_PRICES = {"starter": "", "pro": "", "studio": ""}
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _ledger_is_clean(db):
    """The credits audit (`genfans credits audit`) finds nothing after every billing test."""
    yield
    from genfans.credits.audit import ledger_audit

    assert ledger_audit() == []


@pytest.fixture
def plans(db):
    seed_plans()
    return {plan.code: plan for plan in Plan.objects.all()}


@pytest.fixture
def fake_stripe(settings, plans):
    fake = FakeStripe()
    base = fake.start()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_API_BASE = base
    for plan in plans.values():
        if plan.is_paid:
            price = fake.add_price(
                lookup_key=f"genfans_{plan.code}_monthly", unit_amount=plan.price_cents
            )
            Plan.objects.filter(pk=plan.pk).update(stripe_price_id=price["id"])
            plan.stripe_price_id = price["id"]
    yield fake
    fake.stop()
    # What the app sent that Stripe's published contract refuses (a test that provokes a
    # refusal on purpose clears the list once it has checked it).
    assert fake.contract_refusals == []


def make_event(event_type: str, obj: dict, *, created: int | None = None, event_id: str = ""):
    return {
        "id": event_id or f"evt_test{next(_event_ids):06d}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "type": event_type,
        "created": created or int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def post_event(
    client,
    event: dict,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp=None,
    payload: str | None = None,
    signature: str | None = None,
):
    payload = payload if payload is not None else json.dumps(event)
    if signature is None:
        signature = stripe.WebhookSignature.generate_signature_header(
            payload, secret, timestamp=timestamp
        )
    headers = {"HTTP_STRIPE_SIGNATURE": signature} if signature else {}
    return client.post(
        "/api/stripe/webhook", data=payload, content_type="application/json", **headers
    )


def subscription_object(
    *,
    sub_id: str,
    customer: str,
    price: dict,
    status: str = "trialing",
    metadata: dict | None = None,
    trial_end: int | None = None,
    period_end: int | None = None,
) -> dict:
    now = int(time.time())
    return {
        "id": sub_id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "metadata": metadata or {},
        "trial_end": trial_end
        if trial_end is not None
        else (now + 14 * 86400 if status == "trialing" else None),
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{sub_id}",
                    "object": "subscription_item",
                    "price": price,
                    "current_period_end": period_end or now + 30 * 86400,
                }
            ],
        },
    }


def invoice_object(
    *,
    invoice_id: str,
    customer: str,
    sub_id: str,
    price_id: str,
    metadata: dict | None = None,
    amount_paid: int = 0,
    billing_reason: str = "subscription_create",
    period_start: int | None = None,
    period_days: int = 30,
) -> dict:
    """An invoice in the current API shape (subscription under `parent`); its one line bills
    the period starting at `period_start` (the same for every call of a test by default)."""
    start = period_start if period_start is not None else PERIOD_START
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": customer,
        "amount_paid": amount_paid,
        "billing_reason": billing_reason,
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": sub_id, "metadata": metadata or {}},
        },
        "lines": {
            "object": "list",
            "data": [
                {
                    "id": f"il_{invoice_id}",
                    "object": "line_item",
                    "amount": amount_paid,
                    "period": {"start": start, "end": start + period_days * 86400},
                    "pricing": {"type": "price_details", "price_details": {"price": price_id}},
                }
            ],
        },
    }


def checkout_session_object(
    *, session_id: str, team, customer: str, sub_id: str, plan_code: str
) -> dict:
    return {
        "id": session_id,
        "object": "checkout.session",
        "mode": "subscription",
        "status": "complete",
        "client_reference_id": str(team.pk),
        "customer": customer,
        "subscription": sub_id,
        "metadata": {"team_id": str(team.pk), "plan": plan_code},
    }
