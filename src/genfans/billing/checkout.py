"""Checkout: subscription and pack checkout sessions, the checkout return, the customer
portal and the development checkout (DEBUG without a Stripe key).

`subscription_checkout_start` and `pack_checkout_start` are what the pages and the API call,
so both follow one set of rules. Linking a team to its Stripe customer or subscription here
has the events parked for want of that link processed once the link commits.
"""

import uuid
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from genfans.billing import gateway
from genfans.billing.entitlements import trial_available
from genfans.billing.errors import (
    BillingNotConfigured,
    CheckoutSessionInvalid,
    DevCheckoutDisabled,
    PackNotFound,
    PlanNotFound,
    PlanNotPurchasable,
)
from genfans.billing.models import CreditPack, CreditPurchase, Plan
from genfans.billing.packs import PACK_KIND, pack_dev_purchase, price_id_for_pack
from genfans.billing.periods import invoice_credits_apply
from genfans.billing.selectors import (
    checkout_mode,
    dev_checkout_enabled,
    plan_get,
    price_id_for_plan,
    subscription_is_live,
)
from genfans.billing.services import subscription_apply, team_billing_lock
from genfans.billing.stripe_objects import (
    invoice_plan,
    subscription_cancels_at,
    subscription_state_from_stripe,
)
from genfans.billing.tasks import stripe_events_reprocess_parked_on_commit
from genfans.core.locks import rows_locked
from genfans.teams.models import SubscriptionStatus, Team
from genfans.teams.services import team_owner_require


def subscription_checkout_start(
    *,
    team: Team,
    user,
    plan_code: str,
    success_url: str,
    cancel_url: str,
    portal_return_url: str,
) -> str | None:
    """Start moving the team to the plan `plan_code`: the URL to send the owner to (Stripe
    Checkout, or the customer portal when the team is already subscribed, where a plan change
    is one subscription's update), or None when the development checkout switched the plan at
    once. Refuses a non-owner, an unknown or free plan and a server without billing."""
    team_owner_require(team=team, user=user)
    plan = plan_get(code=plan_code)
    if plan is None:
        raise PlanNotFound()
    _purchasable(plan)
    mode = checkout_mode()
    if mode == "development":
        subscription_dev_checkout(team=team, user=user, plan=plan)
        return None
    if mode != "stripe":
        raise BillingNotConfigured()
    if subscription_is_live(team=team):
        return portal_session_create(team=team, return_url=portal_return_url)
    return checkout_session_create(
        team=team, user=user, plan=plan, success_url=success_url, cancel_url=cancel_url
    )


def pack_checkout_start(
    *, team: Team, user, pack: CreditPack, success_url: str, cancel_url: str
) -> str | None:
    """Start buying a pack: the Stripe Checkout URL, or None when the development checkout
    added its credits at once."""
    mode = checkout_mode()
    if mode == "development":
        pack_dev_purchase(team=team, user=user, pack=pack)
        return None
    if mode != "stripe":
        raise BillingNotConfigured()
    return pack_checkout_create(
        team=team, user=user, pack=pack, success_url=success_url, cancel_url=cancel_url
    )


def pack_checkout_create(
    *, team: Team, user, pack: CreditPack, success_url: str, cancel_url: str
) -> str:
    """A Stripe Checkout Session (`mode=payment`) for one pack; returns its URL and records the
    purchase as pending under the session id. Not one transaction: it calls Stripe."""
    team_owner_require(team=team, user=user)
    if not pack.active:
        raise PackNotFound()
    price_id = price_id_for_pack(pack=pack)
    customer_id = team_stripe_customer_ensure(team=team, user=user)
    # On the payment too, so its charge (and the charge's refunds) name the team and the pack.
    metadata = {"team_id": str(team.pk), "pack": pack.code, "kind": PACK_KIND}
    session = gateway.checkout_session_create(
        params={
            "mode": "payment",
            "line_items": [{"price": price_id, "quantity": 1}],
            "customer": customer_id,
            "client_reference_id": str(team.pk),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
    )
    CreditPurchase.objects.create(
        team=team,
        pack=pack,
        user=user,
        credits=pack.credits,
        amount_cents=pack.price_cents,
        stripe_session_id=session["id"],
    )
    return session["url"]


# --- subscriptions ---------------------------------------------------------------------------


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
        stripe_events_reprocess_parked_on_commit(team_id=team.pk)
    return customer_id


def checkout_session_create(
    *, team: Team, user, plan: Plan, success_url: str, cancel_url: str
) -> str:
    """A Stripe Checkout Session for `plan`, with the plan's trial if the team and the person
    have never had one; returns its URL. Not one transaction: it calls Stripe, and only the
    customer link is written (by its helper).

    A team with a live subscription changes plan in the portal instead
    (`subscription_checkout_start` sends it there): a second checkout would start a second
    subscription and bill the team twice."""
    _purchasable(plan)
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
        stripe_events_reprocess_parked_on_commit(team_id=team.pk)
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


@transaction.atomic(durable=True)
def subscription_dev_checkout(*, team: Team, user, plan: Plan) -> Team:
    """Switch plans locally, as a completed Stripe checkout would (DEBUG without a key only):
    the plan in trial if the team has never had one, else paid, and a new period of the plan's
    monthly credits, under the same rules as Stripe's invoices."""
    if not dev_checkout_enabled():
        raise DevCheckoutDisabled()
    _purchasable(plan)
    team_owner_require(team=team, user=user)
    billing = team_billing_lock(team=team)
    team.refresh_from_db()
    now = timezone.now()
    if subscription_is_live(team=team):
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
