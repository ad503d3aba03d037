"""Billing writes of subscription state.

`subscription_apply` is the one place a team's plan and subscription status change; the
Stripe webhook handlers (billing/webhooks.py), the checkout return and the development
checkout (billing/checkout.py) all go through it. It writes state only: whoever links a
Stripe customer or subscription also has the events parked for want of that link processed
(the inbox does it itself, checkout through `stripe_events_reprocess_parked_on_commit`).
"""

from typing import Any

from genfans.billing.models import Plan, TeamBilling
from genfans.core.locks import rows_locked
from genfans.teams.activity import activity_record
from genfans.teams.models import Action, Team

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
    status changes. Returns whether anything changed.
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
    return True
