from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from genfans.billing import gateway
from genfans.billing.errors import PlanNotPurchasable
from genfans.billing.models import Plan, StripeEvent, StripeEventStatus, TeamBilling
from genfans.teams.models import SubscriptionStatus

FREE_PLAN_CODE = "free"
# A team whose payment lapsed keeps its data and running jobs but gets free-plan limits
# for new work until the subscription is healthy again.
PLAN_HONOURING_STATUSES = {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING}
# A subscription in these states is still running at Stripe (and billing the team).
LIVE_STATUSES = {
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
}
# No monthly period lasts longer: a stored start older than this is a renewal we never heard
# of, and counting from it would let the whole of last period's spend block this one.
LONGEST_PERIOD = timedelta(days=31)


def subscription_is_live(*, team) -> bool:
    """Whether the team already has a subscription running at Stripe: the one rule for
    "already subscribed" (such a team changes plan in the portal, never by a second
    checkout, which would bill it twice)."""
    return bool(team.stripe_subscription_id) and team.subscription_status in LIVE_STATUSES


def dev_checkout_enabled() -> bool:
    return bool(settings.DEBUG) and not gateway.stripe_enabled()


def checkout_mode() -> str:
    """How this server sells plans and packs: `stripe`, `development` (DEBUG without a Stripe
    key: applied locally) or `unavailable`."""
    if gateway.stripe_enabled():
        return "stripe"
    return "development" if dev_checkout_enabled() else "unavailable"


def plan_free() -> Plan:
    return Plan.objects.get(code=FREE_PLAN_CODE)


def plan_effective_for_team(*, team) -> Plan:
    """The plan whose limits apply to a team's new jobs."""
    if team.plan.code == FREE_PLAN_CODE or team.subscription_status in PLAN_HONOURING_STATUSES:
        return team.plan
    return plan_free()


def plan_monthly_allowance(*, plan: Plan) -> int:
    """The credits each billing period of the plan grants (none on the free plan, whose
    credits are a one-off grant at sign-up)."""
    return 0 if plan.code == FREE_PLAN_CODE else plan.monthly_credits


def plan_get(*, code: str) -> Plan | None:
    return Plan.objects.filter(code=code).first()


def plan_list() -> list[Plan]:
    return list(Plan.objects.order_by("sort_order"))


def plan_lookup_key(plan: Plan) -> str:
    """The Stripe price lookup key `genfans setup` gives a plan's monthly price."""
    return f"genfans_{plan.code}_monthly"


def plan_list_paid():
    return Plan.objects.filter(price_cents__gt=0).order_by("sort_order")


def price_id_for_plan(*, plan: Plan) -> str:
    """The Stripe price a plan is sold at: the seeded id, the environment, or its lookup key."""
    price_id = plan.stripe_price_id or settings.STRIPE_PRICES.get(plan.code, "")
    if price_id:
        return price_id
    price = gateway.price_find_by_lookup_key(lookup_key=plan_lookup_key(plan))
    if price is None:
        raise PlanNotPurchasable(
            f"The {plan.name} plan has no Stripe price yet: run `genfans setup`."
        )
    return price["id"]


def plan_for_stripe_price(*, price_id: str | None, lookup_key: str | None = None) -> Plan | None:
    """The plan a Stripe price belongs to (by id, by STRIPE_PRICE_<PLAN>, or by lookup key)."""
    if price_id:
        plan = Plan.objects.filter(stripe_price_id=price_id).first()
        if plan:
            return plan
        for code, configured in settings.STRIPE_PRICES.items():
            if configured == price_id:
                return Plan.objects.filter(code=code).first()
    if lookup_key and lookup_key.startswith("genfans_") and lookup_key.endswith("_monthly"):
        return Plan.objects.filter(code=lookup_key[len("genfans_") : -len("_monthly")]).first()
    return None


def subscription_ended(*, subscription_id: str) -> bool:
    """Whether Stripe has told us the subscription was deleted. Asked of the inbox, not of the
    team, because the deletion may arrive before the events that made it the team's current
    one, and a deleted subscription never comes back."""
    return StripeEvent.objects.filter(
        type="customer.subscription.deleted",
        subscription_id=subscription_id,
        status__in=[StripeEventStatus.PROCESSED, StripeEventStatus.IGNORED],
    ).exists()


def team_billing_get(*, team):
    return TeamBilling.objects.filter(team=team).first()


def _month_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def billing_period_start_from(*, team, stored_start: datetime | None) -> datetime:
    """The first instant of the team's billing period, given its stored subscription period
    start: that start for a paid team with a live subscription, else the calendar month (UTC)."""
    now = timezone.now()
    paying = team.plan.code != FREE_PLAN_CODE and team.subscription_status in LIVE_STATUSES
    if paying and stored_start is not None and now - LONGEST_PERIOD <= stored_start <= now:
        return stored_start
    return _month_start(now)


def billing_period_start(*, team) -> datetime:
    billing = team_billing_get(team=team)
    return billing_period_start_from(
        team=team, stored_start=billing.current_period_start if billing else None
    )
