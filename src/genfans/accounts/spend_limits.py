"""Monthly spend limits: an owner caps what one member, or one API key, may spend in the team's
billing period.

Spend is what the subject's jobs of the period hold or were charged: a pending reservation's
amount plus a resolved one's captured credits (released credits were never spent). A job sent
with an API key counts against the key only; a job a signed-in member sent, against them.
A job belongs to the period it was submitted in.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Case, F, IntegerField, Q, Sum, Value, When

from genfans.accounts.selectors import api_key_get_for_team
from genfans.billing.selectors import billing_period_start, billing_period_start_from
from genfans.core.errors import ValidationError
from genfans.credits.errors import SpendLimitReached
from genfans.credits.models import CreditReservation, ReservationStatus, SpendLimit
from genfans.teams.activity import activity_record
from genfans.teams.models import Action
from genfans.teams.selectors import member_get_for_team
from genfans.teams.services import team_owner_require

MAX_MONTHLY_CAP = 1_000_000_000

_SPENT = Sum(
    Case(
        When(status=ReservationStatus.PENDING, then=F("amount")),
        When(status=ReservationStatus.CAPTURED, then=F("captured")),
        default=Value(0),
        output_field=IntegerField(),
    )
)


# --- reads --------------------------------------------------------------------------------


def _subject_jobs(*, user, api_key) -> Q:
    if api_key is not None:
        return Q(job__api_key=api_key)
    return Q(job__user=user, job__api_key__isnull=True)


def spend_for_period(*, team, since: datetime, user=None, api_key=None) -> int:
    """What a member (`user`) or an API key has spent since `since`: one aggregate query."""
    spent = CreditReservation.objects.filter(
        _subject_jobs(user=user, api_key=api_key), team=team, job__created_at__gte=since
    ).aggregate(spent=_SPENT)["spent"]
    return spent or 0


@dataclass(frozen=True)
class SpendRow:
    monthly_cap: int | None
    spent: int
    period_start: datetime


@dataclass(frozen=True)
class TeamSpend:
    """Every cap of a team and what each member and key spent this period, in three queries."""

    period_start: datetime
    caps_by_member: dict = field(default_factory=dict)
    caps_by_key: dict = field(default_factory=dict)
    spent_by_user: dict = field(default_factory=dict)
    spent_by_key: dict = field(default_factory=dict)

    def for_member(self, member) -> SpendRow:
        return SpendRow(
            monthly_cap=self.caps_by_member.get(member.pk),
            spent=self.spent_by_user.get(member.user_id, 0),
            period_start=self.period_start,
        )

    def for_key(self, key) -> SpendRow:
        return SpendRow(
            monthly_cap=self.caps_by_key.get(key.pk),
            spent=self.spent_by_key.get(key.pk, 0),
            period_start=self.period_start,
        )


def team_spend_get(*, team) -> TeamSpend:
    since = billing_period_start(team=team)
    caps_by_member, caps_by_key = {}, {}
    for member_id, api_key_id, cap in SpendLimit.objects.filter(team=team).values_list(
        "member_id", "api_key_id", "monthly_cap"
    ):
        if member_id:
            caps_by_member[member_id] = cap
        else:
            caps_by_key[api_key_id] = cap
    spent_by_user, spent_by_key = {}, {}
    groups = (
        CreditReservation.objects.filter(team=team, job__created_at__gte=since)
        .values_list("job__user_id", "job__api_key_id")
        .annotate(spent=_SPENT)
        .order_by()
    )
    for user_id, api_key_id, spent in groups:
        if api_key_id:
            spent_by_key[api_key_id] = spent_by_key.get(api_key_id, 0) + spent
        elif user_id:
            spent_by_user[user_id] = spent_by_user.get(user_id, 0) + spent
    return TeamSpend(
        period_start=since,
        caps_by_member=caps_by_member,
        caps_by_key=caps_by_key,
        spent_by_user=spent_by_user,
        spent_by_key=spent_by_key,
    )


# --- the check at submit ------------------------------------------------------------------


def _limit_for(*, team, user, api_key) -> SpendLimit | None:
    # The period start comes along in the same query: a submitter without a cap costs one.
    limits = SpendLimit.objects.filter(team=team).annotate(
        stored_period_start=F("team__billing__current_period_start")
    )
    if api_key is not None:
        limits = limits.filter(api_key=api_key)
    else:
        limits = limits.filter(member__user=user)
    try:
        return limits.get()
    except SpendLimit.DoesNotExist:
        return None


def spend_limit_check(*, team, user, api_key, amount: int) -> None:
    """Refuse a job that would take its submitter past their monthly cap.

    Exact only when the caller holds the lock that serialises the team's submits (the team's
    slot row): the sum then sees every reservation committed before it."""
    if user is None and api_key is None:
        return
    limit = _limit_for(team=team, user=user, api_key=api_key)
    if limit is None:
        return
    since = billing_period_start_from(team=team, stored_start=limit.stored_period_start)
    spent = spend_for_period(team=team, since=since, user=user, api_key=api_key)
    if spent + amount > limit.monthly_cap:
        raise SpendLimitReached(cap=limit.monthly_cap, spent=spent, needed=amount)


# --- writes -------------------------------------------------------------------------------


def _clean_cap(monthly_cap) -> int | None:
    if monthly_cap is None:
        return None
    # bool is an int in Python; a checkbox's True is not a cap.
    if isinstance(monthly_cap, bool) or not isinstance(monthly_cap, int):
        raise ValidationError("The cap must be a whole number of credits.", field="monthly_cap")
    if not 0 <= monthly_cap <= MAX_MONTHLY_CAP:
        raise ValidationError(
            f"The cap must be between 0 and {MAX_MONTHLY_CAP:,} credits.", field="monthly_cap"
        )
    return monthly_cap


@transaction.atomic(durable=True)
def spend_limit_set(
    *,
    team,
    user,
    member_user_id=None,
    api_key_id=None,
    monthly_cap: int | None,
    ip_address: str | None = None,
) -> int | None:
    """Set (or, with None, remove) the monthly cap of one member or one API key (owners).
    Returns the cap now in force."""
    if (member_user_id is None) == (api_key_id is None):
        raise TypeError("name exactly one of member_user_id and api_key_id")
    team_owner_require(team=team, user=user)
    cap = _clean_cap(monthly_cap)
    if member_user_id is not None:
        member = member_get_for_team(team=team, user_id=member_user_id)
        subject = {"member": member}
        metadata = {"member_user_id": str(member.user_id)}
    else:
        key = api_key_get_for_team(team=team, api_key_id=api_key_id)
        subject = {"api_key": key}
        metadata = {"api_key_id": str(key.pk)}
    limits = SpendLimit.objects.filter(**subject)
    previous = limits.values_list("monthly_cap", flat=True).first()
    if previous == cap:
        return cap
    if cap is None:
        limits.delete()
    else:
        SpendLimit.objects.update_or_create(**subject, defaults={"team": team, "monthly_cap": cap})
    activity_record(
        action=Action.SET_SPEND_LIMIT,
        team=team,
        user=user,
        ip_address=ip_address,
        metadata={**metadata, "from": previous, "to": cap},
    )
    return cap
