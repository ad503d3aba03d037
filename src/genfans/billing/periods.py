"""Plan credits by subscription period (the rules in `billing.entitlements`, applied).

A subscription's allowance is granted once per (subscription, period) of a live subscription:
on the invoice that opens the period (`subscription_create`, `subscription_cycle`), for a trial
only if it is the team's one trial. A plan change's proration invoice (`subscription_update`)
grants the difference of the allowances once when it is an upgrade, nothing otherwise; a late
invoice of an ended subscription and a second invoice for a period grant nothing; an invoice of
a subscription other than the team's current one fails (Stripe delivers it again) until that
one is known to have ended. A second trial's period is kept with no allowance. When the
subscription ends, what is left of its allowance expires.

These run inside the caller's transaction, with the team's billing row locked.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from genfans.billing.entitlements import trial_claim
from genfans.billing.models import Plan, SubscriptionPeriod, TeamBilling
from genfans.billing.selectors import subscription_ended
from genfans.billing.stripe_objects import invoice_plan_line, invoice_subscription, timestamp
from genfans.core.locks import rows_locked
from genfans.credits.selectors import credits_balance_get
from genfans.credits.services import (
    credits_plan_end,
    credits_plan_period_start,
    credits_plan_top_up,
)

OPENING_REASONS = {"subscription_create", "subscription_cycle"}
CHANGE_REASON = "subscription_update"
NOT_CURRENT = "not the team's current subscription"


class PeriodNotOpen(RuntimeError):
    """A plan change arrived before the invoice of the period it changes."""


class SubscriptionNotCurrentYet(RuntimeError):
    """An invoice of one subscription while the team's current one is another, not known to
    have ended: the deletion of the other one, or this one's events, are still on their way."""


@dataclass(frozen=True)
class Granted:
    credits: int
    note: str = ""


def subscription_is_live_for(*, team, billing: TeamBilling, subscription_id: str) -> str:
    """Why an invoice of `subscription_id` cannot earn credits for `team` ("" when it can)."""
    if subscription_ended(subscription_id=subscription_id):
        return "that subscription has ended"
    current = team.stripe_subscription_id
    if current and current != subscription_id:
        if not subscription_ended(subscription_id=current):
            return NOT_CURRENT
        if SubscriptionPeriod.objects.filter(subscription_id=subscription_id).exists():
            return "an earlier subscription of the team"
    return ""


def _period_bounds(line: dict | None, invoice: dict) -> tuple[datetime | None, datetime | None]:
    """The period the plan's line bills (not the invoice's own `period_*`, which for a
    subscription invoice looks back one period)."""
    lines = (invoice.get("lines") or {}).get("data") or []
    for candidate in [line, *lines]:
        period = (candidate or {}).get("period") or {}
        if period.get("start"):
            return timestamp(period["start"]), timestamp(period.get("end"))
    return None, None


def invoice_credits_apply(*, team, billing: TeamBilling, invoice: dict, plan: Plan) -> Granted:
    """Grant what a paid invoice earns under the rules above; what was granted and why not."""
    subscription_id, _ = invoice_subscription(invoice)
    refused = subscription_is_live_for(team=team, billing=billing, subscription_id=subscription_id)
    if refused == NOT_CURRENT:
        # Not final: refusing for good would lose a paid period whose invoice overtook the
        # deletion of the team's previous subscription. Failing makes Stripe deliver it again.
        raise SubscriptionNotCurrentYet(refused)
    if refused:
        return Granted(0, refused)
    _, line = invoice_plan_line(invoice)
    start, end = _period_bounds(line, invoice)
    if start is None:
        return Granted(0, "the invoice names no period")
    reason = invoice.get("billing_reason") or ""
    if reason in OPENING_REASONS:
        return _period_open(
            team=team, billing=billing, invoice=invoice, plan=plan, start=start, end=end
        )
    if reason == CHANGE_REASON:
        return _period_change(team=team, invoice=invoice, plan=plan, at=start)
    return Granted(0, f"a {reason or 'one-off'} invoice grants no plan credits")


def _period_open(*, team, billing, invoice, plan, start, end) -> Granted:
    subscription_id, _ = invoice_subscription(invoice)
    trial = invoice.get("billing_reason") == "subscription_create" and not invoice.get(
        "amount_paid"
    )
    earns = not trial or trial_claim(team=team, subscription_id=subscription_id)
    # A second trial is kept too, as a period that earns nothing: a plan change within it then
    # finds its period (and earns nothing) instead of waiting forever for one.
    period, created = SubscriptionPeriod.objects.get_or_create(
        subscription_id=subscription_id,
        period_start=start,
        defaults={
            "team": team,
            "period_end": end,
            "plan": plan,
            "allowance": plan.monthly_credits if earns else 0,
            "trial": trial and earns,
        },
    )
    if not earns:
        return Granted(0, "the team or one of its owners has had its trial")
    if not created:
        return Granted(0, "this period's credits were granted already")
    credits_plan_period_start(
        team=team,
        period=period.key,
        amount=plan.monthly_credits,
        idempotency_key=f"plan:{period.key}",
        reference=invoice.get("id") or "",
    )
    billing.current_period_start = start
    billing.save(update_fields=["current_period_start", "updated_at"])
    return Granted(plan.monthly_credits)


def _period_change(*, team, invoice, plan, at) -> Granted:
    subscription_id, _ = invoice_subscription(invoice)
    period = (
        rows_locked("subscription_period", SubscriptionPeriod.objects.all())
        .filter(subscription_id=subscription_id, period_start__lte=at)
        .filter(Q(period_end__isnull=True) | Q(period_end__gt=at))
        .first()
    )
    if period is None:
        # The invoice opening this period has not arrived yet; failing makes Stripe deliver
        # the change again, by when it has.
        raise PeriodNotOpen("the period this plan change belongs to has not been paid yet")
    if not period.allowance:
        return Granted(0, "a period that earns no plan credits (a second trial)")
    if plan.monthly_credits <= period.allowance:
        return Granted(0, "a downgrade or proration grants nothing")
    difference = plan.monthly_credits - period.allowance
    granted = credits_plan_top_up(
        team=team,
        period=period.key,
        amount=difference,
        idempotency_key=f"plan:{period.key}:allowance:{plan.monthly_credits}",
        reference=invoice.get("id") or "",
    )
    if not granted:
        return Granted(0, "the period is no longer the team's current one")
    period.allowance, period.plan = plan.monthly_credits, plan
    period.save(update_fields=["allowance", "plan", "updated_at"])
    return Granted(difference)


def subscription_plan_credits_end(*, team, subscription_id: str, reference: str) -> int:
    """The subscription ended (deleted, or unpaid past its retries): its plan credits expire."""
    return credits_plan_end(
        team=team, idempotency_key=f"plan-end:{reference}", reference=subscription_id
    )


def subscription_plan_credits_end_if_held(*, team, subscription_id: str, reference: str) -> int:
    """A subscription that is not the team's current one ended: its plan credits expire if the
    team holds them (its invoice was applied before the events that would make it current)."""
    if not credits_balance_get(team=team).plan_period.startswith(f"{subscription_id}:"):
        return 0
    return subscription_plan_credits_end(
        team=team, subscription_id=subscription_id, reference=reference
    )
