"""The Stripe event inbox: verify the signature, store the event once by its Stripe id,
process it once, record the outcome (after Zulip's `corporate/lib/stripe_event_handler.py`).

Events arrive duplicated and in any order. A duplicate finds its row already processed.
An event is matched to its team by, in order: our `team_id` metadata (set on the checkout
session, the subscription and hence its invoices), the team's Stripe customer (created and
linked before checkout), the team's subscription. One that still matches no team is
*parked*, not failed, and is reprocessed once a customer or subscription is linked to a
team: by the inbox itself after an event that matched a team (its handler may have linked
it), and by checkout (billing/checkout.py) through a task. Matching never calls Stripe, so
processing holds no lock across network calls. Subscription events older than the last one
applied are ignored.
"""

import hashlib
import logging
from dataclasses import dataclass

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from genfans.billing import gateway
from genfans.billing.entitlements import trial_claim
from genfans.billing.errors import MalformedEvent, WebhookSignatureInvalid
from genfans.billing.models import Plan, StripeEvent, StripeEventStatus
from genfans.billing.packs import PACK_KIND, pack_purchase_complete, pack_refund
from genfans.billing.periods import (
    invoice_credits_apply,
    subscription_is_live_for,
    subscription_plan_credits_end,
    subscription_plan_credits_end_if_held,
)
from genfans.billing.selectors import plan_free, subscription_ended
from genfans.billing.services import subscription_apply, team_billing_lock
from genfans.billing.stripe_objects import (
    invoice_plan,
    invoice_subscription,
    ref_id,
    subscription_cancels_at,
    subscription_period_start,
    subscription_state_from_stripe,
    timestamp,
)
from genfans.billing.stripe_schema import event_problem
from genfans.core.ids import uuid_or_none
from genfans.core.locks import rows_locked
from genfans.teams.models import SubscriptionStatus, Team

logger = logging.getLogger(__name__)

DONE = {StripeEventStatus.PROCESSED, StripeEventStatus.IGNORED, StripeEventStatus.MALFORMED}
ENDED_STRIPE_STATUSES = {"canceled", "incomplete_expired"}
# Ours: the subscription is over (deleted, or unpaid past Stripe's retries) and its plan
# credits expire.
ENDED_STATUSES = {SubscriptionStatus.CANCELED, SubscriptionStatus.UNPAID}


class TeamUnresolved(Exception):
    """No team matches the event yet."""


@dataclass(frozen=True)
class Outcome:
    status: str
    team: Team | None = None
    note: str = ""


def _references(event_type: str, obj: dict) -> tuple[str, str]:
    """(customer id, subscription id) an event's object refers to."""
    customer = ref_id(obj.get("customer"))
    if event_type.startswith("customer.subscription."):
        return customer, obj.get("id") or ""
    if event_type.startswith("invoice."):
        return customer, invoice_subscription(obj)[0]
    return customer, ref_id(obj.get("subscription"))


# --- receive ---------------------------------------------------------------------------------


def stripe_event_receive(*, payload: bytes, signature: str | None) -> tuple[StripeEvent, bool]:
    """Verify and store an event; (the stored row, whether it is new). Nothing is stored when
    the signature is missing, wrong, too old or dated in the future. A signed event that is not
    in the shape we read is stored as `malformed` with the reason, and MalformedEvent raised."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookSignatureInvalid("STRIPE_WEBHOOK_SECRET is not set on this server.")
    try:
        data = gateway.event_verify(payload=payload, signature=signature, secret=secret)
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise WebhookSignatureInvalid() from exc
    problem = event_problem(data)
    if problem:
        _malformed_store(payload=payload, data=data, problem=problem)
        raise MalformedEvent(f"The event is not one we can read ({problem}).")
    obj = data["data"]["object"]
    customer_id, subscription_id = _references(data["type"], obj)
    with transaction.atomic(durable=True):
        return StripeEvent.objects.get_or_create(
            stripe_id=data["id"],
            defaults={
                "type": data["type"],
                "livemode": data.get("livemode", False),
                "stripe_created_at": timestamp(data["created"]),
                "payload": data,
                "customer_id": customer_id,
                "subscription_id": subscription_id,
            },
        )


@transaction.atomic(durable=True)
def _malformed_store(*, payload: bytes, data, problem: str) -> StripeEvent:
    event_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 200:
        event_id = f"malformed:{hashlib.sha256(payload).hexdigest()[:40]}"
    event_type = data.get("type") if isinstance(data, dict) else None
    event, _ = StripeEvent.objects.get_or_create(
        stripe_id=event_id,
        defaults={
            "type": event_type[:100] if isinstance(event_type, str) else "",
            "payload": data if isinstance(data, dict) else {"payload": data},
            "status": StripeEventStatus.MALFORMED,
            "error": problem[:2000],
            "processed_at": timezone.now(),
        },
    )
    logger.warning("stripe event %s is malformed: %s", event_id, problem)
    return event


# --- process ---------------------------------------------------------------------------------


def stripe_event_process(*, event_id) -> StripeEvent:
    """Process a stored event unless that was done already; record status and error. Then,
    when it matched a team, the events parked for want of that team's Stripe links."""
    event = _event_process(event_id=event_id)
    if event.status == StripeEventStatus.PROCESSED and event.team_id:
        stripe_events_reprocess_parked(team=event.team)
    return event


def _event_process(*, event_id) -> StripeEvent:
    with transaction.atomic(durable=True):
        event = rows_locked("stripe_event", StripeEvent.objects.filter(pk=event_id)).get()
        if event.status in DONE:
            return event
        event.attempts += 1
        handler = HANDLERS.get(event.type)
        if handler is None:
            outcome = Outcome(StripeEventStatus.IGNORED, note="event type not handled")
        else:
            try:
                with transaction.atomic():
                    outcome = handler(event, event.data_object)
            except TeamUnresolved:
                outcome = Outcome(StripeEventStatus.PARKED, note="no team matches yet")
            except Exception as exc:  # noqa: BLE001 - the outcome is recorded, Stripe retries
                logger.exception("stripe event %s (%s) failed", event.stripe_id, event.type)
                outcome = Outcome(StripeEventStatus.FAILED, note=f"{type(exc).__name__}: {exc}")
        event.status = outcome.status
        event.error = outcome.note[:2000]
        if outcome.team is not None:
            event.team = outcome.team
        if outcome.status in DONE:
            event.processed_at = timezone.now()
        event.save(
            update_fields=["status", "error", "team", "attempts", "processed_at", "updated_at"]
        )
    return event


def _parked_for(team: Team) -> list:
    refs = [
        ("customer_id", team.stripe_customer_id),
        ("subscription_id", team.stripe_subscription_id),
    ]
    ids: set = set()
    for field, value in refs:
        if value:
            ids.update(
                StripeEvent.objects.filter(
                    status=StripeEventStatus.PARKED, **{field: value}
                ).values_list("pk", flat=True)
            )
    events = StripeEvent.objects.filter(pk__in=ids).order_by("stripe_created_at", "created_at")
    return list(events.values_list("pk", flat=True))


def stripe_events_reprocess_parked(*, team: Team) -> int:
    """Process again the parked events that name this team's customer or subscription, until
    none is left: one of them may link the other (a customer's event links the subscription
    another event names). Each event is tried once per call."""
    tried: set = set()
    while True:
        team.refresh_from_db(fields=["stripe_customer_id", "stripe_subscription_id"])
        pending = [pk for pk in _parked_for(team) if pk not in tried]
        if not pending:
            return len(tried)
        for pk in pending:
            tried.add(pk)
            _event_process(event_id=pk)


def _team_for(event: StripeEvent, *, metadata: dict | None = None, reference: str = "") -> Team:
    for candidate in (reference, (metadata or {}).get("team_id")):
        team_id = uuid_or_none(candidate) if candidate else None
        if team_id:
            team = Team.objects.filter(pk=team_id).first()
            if team:
                return team
    if event.customer_id:
        team = Team.objects.filter(stripe_customer_id=event.customer_id).first()
        if team:
            return team
    if event.subscription_id:
        team = Team.objects.filter(stripe_subscription_id=event.subscription_id).first()
        if team:
            return team
    raise TeamUnresolved()


def _link_if_unlinked(event: StripeEvent, team: Team) -> None:
    """Fill in a team's missing Stripe links from an event that matched it by metadata."""
    subscription_apply(
        team=team,
        source=f"stripe:{event.type}",
        stripe_customer_id=None if team.stripe_customer_id else (event.customer_id or None),
        stripe_subscription_id=(
            None if team.stripe_subscription_id else (event.subscription_id or None)
        ),
    )


def on_checkout_completed(event: StripeEvent, session: dict) -> Outcome:
    if session.get("mode") == "payment":
        return on_pack_checkout_completed(event, session)
    if session.get("mode") != "subscription":
        return Outcome(StripeEventStatus.IGNORED, note="not a subscription checkout")
    metadata = session.get("metadata") or {}
    team = _team_for(event, metadata=metadata, reference=session.get("client_reference_id") or "")
    billing = team_billing_lock(team=team)
    team.refresh_from_db()
    state_known = (
        billing.subscription_event_at is not None
        and team.stripe_subscription_id == event.subscription_id
    )
    provisional = {}
    plan = Plan.objects.filter(code=metadata.get("plan")).first()
    if not state_known and plan is not None:
        # The subscription events carry the real state; until they arrive, the checkout
        # stands for a started subscription of the plan bought.
        provisional = {
            "plan": plan,
            # Sessions made before the trial flag existed had the plan's trial.
            "status": SubscriptionStatus.TRIALING
            if metadata.get("trial", "1" if plan.trial_days else "0") == "1"
            else SubscriptionStatus.ACTIVE,
        }
    subscription_apply(
        team=team,
        source=f"stripe:{event.type}",
        stripe_customer_id=event.customer_id or None,
        stripe_subscription_id=event.subscription_id or None,
        metadata={"event": event.stripe_id},
        **provisional,
    )
    return Outcome(StripeEventStatus.PROCESSED, team)


def on_subscription_changed(event: StripeEvent, subscription: dict) -> Outcome:
    team = _team_for(event, metadata=subscription.get("metadata"))
    billing = team_billing_lock(team=team)
    team.refresh_from_db()
    subscription_id = subscription.get("id") or ""
    deleted = event.type == "customer.subscription.deleted"
    if not deleted and subscription_ended(subscription_id=subscription_id):
        return Outcome(StripeEventStatus.IGNORED, team, "that subscription has ended")
    is_current = team.stripe_subscription_id in ("", subscription_id)
    if not is_current and (deleted or subscription.get("status") in ENDED_STRIPE_STATUSES):
        # Its invoice may have been applied before the events that would have made it current.
        expired = subscription_plan_credits_end_if_held(
            team=team, subscription_id=subscription_id, reference=event.stripe_id
        )
        note = f": {expired} plan credits expired" if expired else ""
        return Outcome(
            StripeEventStatus.IGNORED, team, f"not the team's current subscription{note}"
        )
    # Whichever subscription it is about: an older event of another subscription (one deleted
    # since, delivered late) must not take the team back from the one it has moved on to.
    if (
        billing.subscription_event_at
        and event.stripe_created_at
        and event.stripe_created_at < billing.subscription_event_at
    ):
        return Outcome(StripeEventStatus.IGNORED, team, "older than the state already applied")
    state = subscription_state_from_stripe(subscription)
    note = "" if state["plan"] else "price not one of our plans: plan kept"
    if deleted:
        # The team falls back to Free; the subscription's plan credits expire below.
        state["status"] = SubscriptionStatus.CANCELED
        state["plan"] = plan_free()
        billing.ended_subscription_id = subscription_id
        billing.payment_failed_at = None
        billing.payment_failed_invoice_id = ""
        billing.current_period_start = None
    else:
        billing.current_period_start = subscription_period_start(subscription)
    billing.cancels_at = None if deleted else subscription_cancels_at(subscription, state)
    if state["status"] == SubscriptionStatus.TRIALING and not trial_claim(
        team=team, subscription_id=subscription_id
    ):
        note = "a second trial: it earns no credits"
        logger.warning("team %s started a second trial (%s)", team.pk, subscription_id)
    subscription_apply(
        team=team,
        source=f"stripe:{event.type}",
        metadata={"event": event.stripe_id},
        **state,
    )
    if state["status"] in ENDED_STATUSES:
        expired = subscription_plan_credits_end(
            team=team, subscription_id=subscription_id, reference=event.stripe_id
        )
        note = note or (f"{expired} plan credits expired" if expired else "")
    if event.stripe_created_at and (
        billing.subscription_event_at is None
        or event.stripe_created_at > billing.subscription_event_at
    ):
        billing.subscription_event_at = event.stripe_created_at
    billing.save()
    return Outcome(StripeEventStatus.PROCESSED, team, note)


def on_invoice_paid(event: StripeEvent, invoice: dict) -> Outcome:
    subscription_id, metadata = invoice_subscription(invoice)
    if not subscription_id:
        return Outcome(StripeEventStatus.IGNORED, note="not a subscription invoice")
    team = _team_for(event, metadata=metadata)
    billing = team_billing_lock(team=team)
    team.refresh_from_db()
    plan = invoice_plan(invoice) or Plan.objects.filter(code=metadata.get("plan")).first()
    if plan is None:
        raise ValueError("no plan matches the invoice's prices")
    if not subscription_is_live_for(team=team, billing=billing, subscription_id=subscription_id):
        _link_if_unlinked(event, team)
    granted = invoice_credits_apply(team=team, billing=billing, invoice=invoice, plan=plan)
    failure_is_older = billing.payment_failed_at and (
        event.stripe_created_at is None or billing.payment_failed_at <= event.stripe_created_at
    )
    if failure_is_older:
        billing.payment_failed_at = None
        billing.payment_failed_invoice_id = ""
        billing.save()
    return Outcome(StripeEventStatus.PROCESSED, team, granted.note)


def on_invoice_payment_failed(event: StripeEvent, invoice: dict) -> Outcome:
    subscription_id, metadata = invoice_subscription(invoice)
    if not subscription_id:
        return Outcome(StripeEventStatus.IGNORED, note="not a subscription invoice")
    team = _team_for(event, metadata=metadata)
    billing = team_billing_lock(team=team)
    failed_at = event.stripe_created_at or timezone.now()
    paid_since = StripeEvent.objects.filter(
        team=team,
        type="invoice.paid",
        status=StripeEventStatus.PROCESSED,
        stripe_created_at__gte=failed_at,
    )
    if paid_since.exists():  # a retry succeeded and its event overtook this one
        return Outcome(StripeEventStatus.PROCESSED, team, "an invoice was paid since")
    billing.payment_failed_at = failed_at
    billing.payment_failed_invoice_id = invoice.get("id") or ""
    billing.save()
    logger.warning("payment failed for team %s (invoice %s)", team.pk, invoice.get("id"))
    return Outcome(StripeEventStatus.PROCESSED, team)


def on_trial_will_end(event: StripeEvent, subscription: dict) -> Outcome:
    team = _team_for(event, metadata=subscription.get("metadata"))
    logger.info("trial of team %s ends at %s", team.pk, timestamp(subscription.get("trial_end")))
    return Outcome(StripeEventStatus.PROCESSED, team, "trial ends soon")


def on_pack_checkout_completed(event: StripeEvent, session: dict) -> Outcome:
    metadata = session.get("metadata") or {}
    if metadata.get("kind") != PACK_KIND:
        return Outcome(StripeEventStatus.IGNORED, note="not a credit pack checkout")
    team = _team_for(event, metadata=metadata, reference=session.get("client_reference_id") or "")
    change = pack_purchase_complete(team=team, session=session)
    return Outcome(StripeEventStatus.PROCESSED, team, change.note)


# A payment method that settles later completes the checkout unpaid, then sends this.
on_pack_async_payment_succeeded = on_pack_checkout_completed


def on_charge_refunded(event: StripeEvent, charge: dict) -> Outcome:
    metadata = charge.get("metadata") or {}
    if metadata.get("kind") != PACK_KIND:
        return Outcome(StripeEventStatus.IGNORED, note="not a credit pack payment")
    team = _team_for(event, metadata=metadata)
    change = pack_refund(team=team, charge=charge)
    return Outcome(StripeEventStatus.PROCESSED, team, change.note)


HANDLERS = {
    "checkout.session.completed": on_checkout_completed,
    "checkout.session.async_payment_succeeded": on_pack_async_payment_succeeded,
    "charge.refunded": on_charge_refunded,
    "customer.subscription.created": on_subscription_changed,
    "customer.subscription.updated": on_subscription_changed,
    "customer.subscription.deleted": on_subscription_changed,
    "invoice.paid": on_invoice_paid,
    "invoice.payment_failed": on_invoice_payment_failed,
    "customer.subscription.trial_will_end": on_trial_will_end,
}
