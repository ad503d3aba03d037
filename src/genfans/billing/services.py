"""Billing writes: subscription state, checkout and portal, the development checkout.

`subscription_apply` is the one place a team's plan and subscription status change; the
Stripe webhook handlers (billing/webhooks.py), the checkout return and the development
checkout all go through it.
"""

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from genfans.billing import gateway
from genfans.billing.entitlements import trial_available
from genfans.billing.errors import (
    AlreadySubscribed,
    CheckoutSessionInvalid,
    DevCheckoutDisabled,
    PlanNotPurchasable,
)
from genfans.billing.models import Plan, TeamBilling
from genfans.billing.periods import invoice_credits_apply
from genfans.billing.selectors import price_id_for_plan
from genfans.billing.stripe_objects import (
    invoice_plan,
    subscription_cancels_at,
    subscription_state_from_stripe,
)
from genfans.core.locks import rows_locked
from genfans.core.transactions import enqueue_on_commit
from genfans.teams.activity import activity_record
from genfans.teams.models import Action, Role, SubscriptionStatus, Team

# A subscription in these states is still running at Stripe (and billing the team).
LIVE_STATUSES = {
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
}

KEEP: Any = object()  # "leave this field as it is" (None is a real value for dates)


def team_billing_lock(*, team: Team) -> TeamBilling:
    """The team's billing row, created on first use, locked for the caller's transaction."""
    TeamBilling.objects.get_or_create(team=team)
    return rows_locked("team_billing", TeamBilling.objects.filter(team=team)).get()


def subscription_apply(
    *,
    team: Team,
    source: str,
    plan: Plan | None = None,
    status: str | None = None,
    stripe_customer_id: str | None = None,
    stripe_subscription_id: str | None = None,
    trial_ends_at: Any = KEEP,
    current_period_end: Any = KEEP,
    user=None,
    metadata: dict | None = None,
) -> bool:
    """Change a team's plan, status, Stripe links and dates (None / KEEP: unchanged).

    Runs inside the caller's transaction and locks the team row, so concurrent webhooks for
    one team apply one after the other. Logs `subscription_changed` when the plan or the
    status changes. When the Stripe links change, events parked for want of a team are
    reprocessed after commit. Returns whether anything changed.
    """
    # FOR UPDATE OF the team only: the plan row is shared by every team of the plan.
    locked = rows_locked("team", Team.objects.select_related("plan").filter(pk=team.pk)).get()
    before_plan, before_status = locked.plan, locked.subscription_status
    wanted: dict[str, Any] = {
        "plan": plan,
        "subscription_status": status,
        "stripe_customer_id": stripe_customer_id,
        "stripe_subscription_id": stripe_subscription_id,
    }
    changes = {k: v for k, v in wanted.items() if v is not None and getattr(locked, k) != v}
    for field, value in (
        ("trial_ends_at", trial_ends_at),
        ("current_period_end", current_period_end),
    ):
        if value is not KEEP and getattr(locked, field) != value:
            changes[field] = value
    if not changes:
        return False
    for field, value in changes.items():
        setattr(locked, field, value)
        setattr(team, field, value)
    locked.save(update_fields=[*changes, "updated_at"])
    if "plan" in changes or "subscription_status" in changes:
        activity_record(
            action=Action.SUBSCRIPTION_CHANGED,
            team=locked,
            user=user,
            metadata={
                "source": source,
                "plan": locked.plan.code,
                "status": locked.subscription_status,
                "previous_plan": before_plan.code,
                "previous_status": before_status,
                **(metadata or {}),
            },
        )
    if "stripe_customer_id" in changes or "stripe_subscription_id" in changes:
        from genfans.billing.tasks import stripe_events_reprocess_parked

        enqueue_on_commit(stripe_events_reprocess_parked, str(locked.pk))
    return True


# --- checkout and portal -------------------------------------------------------------------


def _purchasable(plan: Plan) -> None:
    if not plan.is_paid:
        raise PlanNotPurchasable()


def team_stripe_customer_ensure(*, team: Team, user) -> str:
    """The team's Stripe customer, created (and linked) the first time.

    Creating it before checkout means every later event names a customer we already know,
    whatever order Stripe delivers them in.
    """
    if team.stripe_customer_id:
        return team.stripe_customer_id
    customer_id = gateway.customer_create(
        email=getattr(user, "email", ""), name=team.name, team_id=str(team.pk)
    )
    with transaction.atomic():
        locked = rows_locked("team", Team.objects.filter(pk=team.pk)).get()
        if locked.stripe_customer_id:  # a concurrent checkout linked one first
            team.stripe_customer_id = locked.stripe_customer_id
            return locked.stripe_customer_id
        subscription_apply(team=team, source="checkout", stripe_customer_id=customer_id)
    return customer_id


def checkout_session_create(
    *, team: Team, user, plan: Plan, success_url: str, cancel_url: str
) -> str:
    """A Stripe Checkout Session for `plan`, with the plan's trial if the team and the person
    have never had one; returns its URL. Not one transaction: it calls Stripe, and only the
    customer link is written (by its helper).

    A team with a live subscription changes plan in the portal instead: a second checkout
    would start a second subscription and bill the team twice."""
    _purchasable(plan)
    if team.stripe_subscription_id and team.subscription_status in LIVE_STATUSES:
        raise AlreadySubscribed()
    price_id = price_id_for_plan(plan=plan)
    customer_id = team_stripe_customer_ensure(team=team, user=user)
    trial = bool(plan.trial_days) and trial_available(team=team, user=user)
    metadata = {"team_id": str(team.pk), "plan": plan.code, "trial": "1" if trial else "0"}
    subscription_data: dict[str, Any] = {"metadata": metadata}
    if trial:
        subscription_data["trial_period_days"] = plan.trial_days
    session = gateway.checkout_session_create(
        params={
            "mode": "subscription",
            "line_items": [{"price": price_id, "quantity": 1}],
            "customer": customer_id,
            "client_reference_id": str(team.pk),
            "metadata": metadata,
            "subscription_data": subscription_data,
            "allow_promotion_codes": True,
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
    )
    return session["url"]


def checkout_session_sync(*, team: Team, session_id: str, user=None) -> bool:
    """Link the team to the customer and subscription of a completed checkout (the return
    redirect; the webhook does the same if it comes first or the redirect never comes)."""
    session = gateway.checkout_session_retrieve(session_id=session_id)
    reference = session.get("client_reference_id") or (session.get("metadata") or {}).get("team_id")
    if reference != str(team.pk):
        raise CheckoutSessionInvalid()
    if session.get("status") != "complete":
        return False
    subscription = session.get("subscription")
    if isinstance(subscription, str):
        subscription = gateway.subscription_retrieve(subscription_id=subscription)
    customer = session.get("customer")
    customer_id = customer if isinstance(customer, str) else (customer or {}).get("id")
    with transaction.atomic(durable=True):
        if not subscription:
            return subscription_apply(team=team, source="checkout", stripe_customer_id=customer_id)
        state = subscription_state_from_stripe(subscription)
        state["stripe_customer_id"] = state["stripe_customer_id"] or customer_id
        plan = state["plan"]
        billing = team_billing_lock(team=team)
        billing.cancels_at = subscription_cancels_at(subscription, state)
        billing.save(update_fields=["cancels_at", "updated_at"])
        current = Team.objects.values_list("stripe_subscription_id", flat=True).get(pk=team.pk)
        if billing.subscription_event_at is not None and (
            current == state["stripe_subscription_id"]
        ):
            # A webhook already applied this subscription's state; only fill in the links.
            state = {
                "stripe_customer_id": state["stripe_customer_id"],
                "stripe_subscription_id": state["stripe_subscription_id"],
            }
        changed = subscription_apply(team=team, source="checkout", user=user, **state)
        _credit_paid_invoice(team=team, invoice=subscription.get("latest_invoice"), plan=plan)
        return changed


def _credit_paid_invoice(*, team: Team, invoice, plan: Plan | None) -> bool:
    """The first period's credits on return from checkout, without waiting for `invoice.paid`
    (which grants them too: once per period, whichever comes first)."""
    if not isinstance(invoice, dict) or invoice.get("status") != "paid" or not invoice.get("id"):
        return False
    plan = invoice_plan(invoice) or plan
    if plan is None or not plan.is_paid:
        return False
    billing = team_billing_lock(team=team)
    team.refresh_from_db()
    return invoice_credits_apply(team=team, billing=billing, invoice=invoice, plan=plan).credits > 0


def portal_session_create(*, team: Team, return_url: str) -> str:
    """A Stripe customer portal session for the team's customer; returns its URL."""
    if not team.stripe_customer_id:
        raise PlanNotPurchasable("Start a subscription first: there is nothing to manage yet.")
    products: dict[str, list[str]] = {}
    for plan in Plan.objects.filter(price_cents__gt=0):
        try:
            price_id = price_id_for_plan(plan=plan)
        except PlanNotPurchasable:
            continue
        product = gateway.price_retrieve(price_id=price_id).get("product")
        product_id = product if isinstance(product, str) else (product or {}).get("id")
        if product_id:
            products.setdefault(product_id, []).append(price_id)
    configuration = gateway.portal_configuration_ensure(
        products=[{"product": p, "prices": prices} for p, prices in products.items()]
    )
    return gateway.portal_session_create(
        customer_id=team.stripe_customer_id, return_url=return_url, configuration=configuration
    )


# --- development checkout ------------------------------------------------------------------


def dev_checkout_enabled() -> bool:
    return bool(settings.DEBUG) and not gateway.stripe_enabled()


@transaction.atomic(durable=True)
def subscription_dev_checkout(*, team: Team, user, plan: Plan) -> Team:
    """Switch plans locally, as a completed Stripe checkout would (DEBUG without a key only):
    the plan in trial if the team has never had one, else paid, and a new period of the plan's
    monthly credits, under the same rules as Stripe's invoices."""
    if not dev_checkout_enabled():
        raise DevCheckoutDisabled()
    _purchasable(plan)
    membership = team.memberships.filter(user=user, role=Role.OWNER).first()
    if membership is None:
        raise DevCheckoutDisabled("Only a team owner can change the plan.")
    billing = team_billing_lock(team=team)
    team.refresh_from_db()
    now = timezone.now()
    if team.stripe_subscription_id and team.subscription_status in LIVE_STATUSES:
        # A plan change of the running subscription, invoiced at once as the portal does.
        subscription_apply(team=team, source="dev_checkout", user=user, plan=plan)
        invoice = _dev_invoice(
            subscription_id=team.stripe_subscription_id,
            reason="subscription_update",
            amount=plan.price_cents,
            start=now,
            end=team.current_period_end or now,
        )
        invoice_credits_apply(team=team, billing=billing, invoice=invoice, plan=plan)
        return team
    subscription_id = f"dev_sub_{uuid.uuid4().hex[:16]}"
    trial = bool(plan.trial_days) and trial_available(team=team, user=user)
    period_end = now + timedelta(days=plan.trial_days if trial else 30)
    subscription_apply(
        team=team,
        source="dev_checkout",
        user=user,
        plan=plan,
        status=SubscriptionStatus.TRIALING if trial else SubscriptionStatus.ACTIVE,
        stripe_subscription_id=subscription_id,
        trial_ends_at=period_end if trial else None,
        current_period_end=period_end,
    )
    invoice = _dev_invoice(
        subscription_id=subscription_id,
        reason="subscription_create",
        amount=0 if trial else plan.price_cents,
        start=now,
        end=period_end,
    )
    invoice_credits_apply(team=team, billing=billing, invoice=invoice, plan=plan)
    return team


def _dev_invoice(*, subscription_id: str, reason: str, amount: int, start, end) -> dict:
    """The paid invoice Stripe would send for a development checkout."""
    return {
        "id": f"dev-{uuid.uuid4()}",
        "billing_reason": reason,
        "amount_paid": amount,
        "parent": {"subscription_details": {"subscription": subscription_id}},
        "lines": {
            "data": [
                {
                    "amount": amount,
                    "period": {"start": int(start.timestamp()), "end": int(end.timestamp())},
                }
            ]
        },
    }
