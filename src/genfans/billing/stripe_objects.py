"""Reading Stripe objects (plain JSON dicts) in both the old and the current API shapes."""

from datetime import UTC, datetime
from typing import Any

from genfans.billing.models import Plan
from genfans.billing.selectors import plan_for_stripe_price
from genfans.teams.models import SubscriptionStatus

# Stripe's subscription statuses onto ours. `incomplete` (first payment not made yet) buys
# nothing; `paused` (trial ended without a card) behaves like unpaid.
STRIPE_STATUS = {
    "trialing": SubscriptionStatus.TRIALING,
    "active": SubscriptionStatus.ACTIVE,
    "past_due": SubscriptionStatus.PAST_DUE,
    "unpaid": SubscriptionStatus.UNPAID,
    "canceled": SubscriptionStatus.CANCELED,
    "incomplete": SubscriptionStatus.NONE,
    "incomplete_expired": SubscriptionStatus.CANCELED,
    "paused": SubscriptionStatus.UNPAID,
}


def timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None


def ref_id(value) -> str:
    """A Stripe reference that may be an id or an expanded object."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def invoice_subscription(invoice: dict) -> tuple[str, dict]:
    """The subscription id and metadata of an invoice, in old and new API shapes."""
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    old_details = invoice.get("subscription_details") or {}
    subscription_id = ref_id(details.get("subscription")) or ref_id(invoice.get("subscription"))
    metadata = details.get("metadata") or old_details.get("metadata") or {}
    return subscription_id, metadata


def _price_plan(price) -> Plan | None:
    if isinstance(price, dict):
        return plan_for_stripe_price(price_id=price.get("id"), lookup_key=price.get("lookup_key"))
    return plan_for_stripe_price(price_id=price) if isinstance(price, str) else None


def subscription_plan(subscription: dict) -> Plan | None:
    for item in (subscription.get("items") or {}).get("data") or []:
        plan = _price_plan(item.get("price"))
        if plan:
            return plan
    code = (subscription.get("metadata") or {}).get("plan")
    return Plan.objects.filter(code=code).first() if code else None


def invoice_plan_line(invoice: dict) -> tuple[Plan | None, dict | None]:
    """The plan an invoice bills and its line: the largest line (a plan change also lists a
    credit for the unused time on the old price)."""
    lines = (invoice.get("lines") or {}).get("data") or []
    for line in sorted(lines, key=lambda line: -(line.get("amount") or 0)):
        price_details = (line.get("pricing") or {}).get("price_details") or {}
        plan = _price_plan(line.get("price")) or _price_plan(price_details.get("price"))
        if plan:
            return plan, line
    return None, None


def invoice_plan(invoice: dict) -> Plan | None:
    return invoice_plan_line(invoice)[0]


def subscription_period_start(subscription: dict) -> datetime | None:
    """Since API version 2025-03-31 the period lives on the subscription items."""
    items = ((subscription.get("items") or {}).get("data")) or []
    start = subscription.get("current_period_start") or (
        items[0].get("current_period_start") if items else None
    )
    return timestamp(start)


def subscription_state_from_stripe(subscription: dict) -> dict[str, Any]:
    """The `subscription_apply` arguments a Stripe subscription object describes."""
    items = ((subscription.get("items") or {}).get("data")) or []
    # Since API version 2025-03-31 the period lives on the subscription items.
    period_end = subscription.get("current_period_end") or (
        items[0].get("current_period_end") if items else None
    )
    customer = subscription.get("customer")
    return {
        "plan": subscription_plan(subscription),
        "status": STRIPE_STATUS.get(subscription.get("status", ""), SubscriptionStatus.NONE),
        "stripe_customer_id": customer if isinstance(customer, str) else (customer or {}).get("id"),
        "stripe_subscription_id": subscription.get("id"),
        "trial_ends_at": timestamp(subscription.get("trial_end")),
        "current_period_end": timestamp(period_end),
    }


def subscription_cancels_at(subscription: dict, state: dict[str, Any]) -> datetime | None:
    """When a subscription set to cancel will end (None when it renews)."""
    if subscription.get("cancel_at"):
        return timestamp(subscription["cancel_at"])
    if subscription.get("cancel_at_period_end"):
        return state["current_period_end"]
    return None
