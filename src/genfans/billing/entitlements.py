"""The entitlement rules, in one place (the README's "Entitlements" section says the same):

- A new team starts on the Free plan. A person gets the Free plan's credits once, whatever
  accounts they sign up with: on their first team when they verify their email, or on the team
  they open once verified.
- A team gets at most one trial, ever, and so does a person across the teams they own.
- Plan credits are granted once per paid or trialled period of a live subscription, keyed by
  (subscription, period); an upgrade mid-period grants the difference of the allowances once.
- When a subscription ends its unused plan credits expire and the team falls back to Free;
  bought and staff-granted credits never expire.
- What a plan may run (operations, image size, video length) is data on `Plan`, checked before
  anything is reserved, and shown by `/pricing` from the same rows.
"""

from django.db import IntegrityError, transaction

from genfans.billing.errors import PlanFeatureUnavailable
from genfans.billing.models import Plan, TrialClaim
from genfans.billing.selectors import FREE_PLAN_CODE, plan_free
from genfans.core.identity import person_key
from genfans.credits.models import Operation
from genfans.credits.services import credits_free_grant
from genfans.teams.models import Role, Team, TeamMember
from genfans.teams.services import team_create


def _trial_keys(*, team, users=()) -> list[str]:
    owners = TeamMember.objects.filter(team=team, role=Role.OWNER).values_list(
        "user__email", flat=True
    )
    emails = {*owners, *(user.email for user in users if user is not None)}
    return [f"team:{team.pk}", *sorted(person_key(email) for email in emails)]


def trial_available(*, team, user=None) -> bool:
    """Whether a checkout for `team` (by `user`) may start with the plan's trial."""
    return not TrialClaim.objects.filter(key__in=_trial_keys(team=team, users=[user])).exists()


def trial_claim(*, team, subscription_id: str) -> bool:
    """Record that `subscription_id` is the team's trial, for the team and each of its owners.
    True when the trial is this subscription's (now or already); False when the team or one
    of its owners had a trial of another subscription (that trial earns nothing)."""
    keys = _trial_keys(team=team)
    held = dict(TrialClaim.objects.filter(key__in=keys).values_list("key", "subscription_id"))
    if any(other != subscription_id for other in held.values()):
        return False
    for key in keys:
        if key in held:
            continue
        try:
            with transaction.atomic():
                TrialClaim.objects.create(key=key, team=team, subscription_id=subscription_id)
        except IntegrityError:
            # A concurrent event claimed it: it is ours only if it names this subscription.
            if not TrialClaim.objects.filter(key=key, subscription_id=subscription_id).exists():
                return False
    return True


def team_open(*, owner, name: str, ip_address: str | None = None) -> Team:
    """A new team on the Free plan, owned by `owner`, with the Free grant when the owner is
    verified and has not had it. Runs inside the caller's transaction."""
    team = team_create(owner=owner, name=name, plan=plan_free(), ip_address=ip_address)
    if owner.email_verified_at is not None:
        _free_grant_give(team=team, person=owner)
    return team


def _free_grant_give(*, team: Team, person) -> int:
    """The credits the grant added: 0 when this person, on any account, had it already."""
    amount = plan_free().monthly_credits
    given = credits_free_grant(team=team, person_key=person_key(person.email), amount=amount)
    return amount if given else 0


def free_grant_give(*, person) -> tuple[Team | None, int]:
    """A person who just verified their email gets the Free grant on the team they own (the
    oldest on the Free plan, else the oldest). Returns that team (None when they own none;
    their first team gets it) and the credits added. Runs inside the caller's transaction."""
    owned = Team.objects.filter(memberships__user=person, memberships__role=Role.OWNER)
    oldest_first = ("created_at", "pk")
    team = (
        owned.filter(plan__code=FREE_PLAN_CODE).order_by(*oldest_first).first()
        or owned.order_by(*oldest_first).first()
    )
    if team is None:
        return None, 0
    return team, _free_grant_give(team=team, person=person)


def _plans_unlocking(predicate) -> Plan | None:
    """The cheapest plan that allows what `predicate` asks."""
    for plan in Plan.objects.order_by("price_cents", "sort_order"):
        if predicate(plan):
            return plan
    return None


def _refuse(message: str, predicate, **details) -> None:
    unlocking = _plans_unlocking(predicate)
    raise PlanFeatureUnavailable(
        message + (f" It comes with the {unlocking.name} plan." if unlocking else ""),
        required_plan=unlocking.code if unlocking else None,
        **details,
    )


# How plan pages name each operation (shorter than the operation's own label).
OPERATION_LABELS = {
    Operation.IMAGE_GENERATION: "Image generation",
    Operation.MODEL_CREATION: "Custom models",
    Operation.MODEL_REFINEMENT: "Refining custom models",
    Operation.VIDEO_GENERATION: "Video",
    Operation.FACE_SWAP: "Face swap",
}


def operation_require(*, plan: Plan, operation: str) -> None:
    if operation not in plan.operations:
        label = OPERATION_LABELS.get(operation, operation)
        _refuse(
            f"{label} is not part of the {plan.name} plan.",
            lambda other: operation in other.operations,
            feature=operation,
        )


def image_side_require(*, plan: Plan, side: int) -> None:
    if side > plan.max_image_side:
        _refuse(
            f"The {plan.name} plan makes images up to {plan.max_image_side}px on the longest side.",
            lambda other: other.max_image_side >= side,
            feature="max_image_side",
            limit=plan.max_image_side,
        )


def video_seconds_require(*, plan: Plan, seconds: int) -> None:
    if seconds > plan.max_video_seconds:
        _refuse(
            f"The {plan.name} plan makes videos up to {plan.max_video_seconds} s.",
            lambda other: other.max_video_seconds >= seconds,
            feature="max_video_seconds",
            limit=plan.max_video_seconds,
        )


def operation_locked(*, plan: Plan, operation: str) -> dict | None:
    """None when `plan` may run `operation`; else what pages show: its label and the plan that
    unlocks it."""
    if operation in plan.operations:
        return None
    return {
        "label": OPERATION_LABELS.get(operation, operation),
        "plan": _plans_unlocking(lambda other: operation in other.operations),
    }


def larger_images_plan(*, plan: Plan) -> Plan | None:
    """The cheapest plan that makes larger images than `plan` (None when none does)."""
    return _plans_unlocking(lambda other: other.max_image_side > plan.max_image_side)


def plan_feature_rows(plans: list[Plan]) -> list[dict]:
    """The plan × feature table `/pricing` and the README show, from the plans' data."""
    rows = [
        {"label": "Credits", "values": [plan_credits_label(plan) for plan in plans]},
        {
            "label": "Jobs at a time",
            "values": [str(plan.max_concurrent_jobs) for plan in plans],
        },
        {"label": "Queued jobs", "values": [str(plan.max_queued_jobs) for plan in plans]},
    ]
    for operation, label in OPERATION_LABELS.items():
        rows.append({"label": label, "values": [operation in plan.operations for plan in plans]})
    rows.append(
        {"label": "Largest image", "values": [f"{plan.max_image_side}px" for plan in plans]}
    )
    rows.append(
        {
            "label": "Longest video",
            "values": [
                f"{plan.max_video_seconds} s" if plan.max_video_seconds else False for plan in plans
            ],
        }
    )
    return rows


def plan_credits_label(plan: Plan) -> str:
    if plan.is_paid:
        return f"{plan.monthly_credits:,} a month"
    return f"{plan.monthly_credits:,} once"
