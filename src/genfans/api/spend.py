"""Monthly spend limits per member and per API key.

Owners see and set every cap. Anyone else sees only their own row: a member theirs, an API
key itself; so a member or a script can tell how much of its cap is left.
"""

from datetime import datetime

from ninja import Router, Schema
from pydantic import StrictInt

from genfans.accounts.selectors import api_key_get_for_team, api_key_list_for_team
from genfans.accounts.spend_limits import spend_limit_set, team_spend_get
from genfans.api.accounts import team_auth, team_caller
from genfans.core.http import client_ip
from genfans.teams.selectors import member_get_for_team, member_list_for_team

router = Router(tags=["spend limits"])


class SpendLimitIn(Schema):
    # Strict: "100", 1.5 and true are refused rather than read as a number. null removes it.
    monthly_cap: StrictInt | None


class MemberSpendOut(Schema):
    id: str
    email: str
    name: str
    role: str
    monthly_cap: int | None
    spent_this_period: int
    period_start: datetime


class ApiKeySpendOut(Schema):
    id: str
    name: str
    prefix: str
    revoked_at: datetime | None
    monthly_cap: int | None
    spent_this_period: int
    period_start: datetime


class SpendLimitsOut(Schema):
    members: list[MemberSpendOut]
    api_keys: list[ApiKeySpendOut]


def _row(spend) -> dict:
    return {
        "monthly_cap": spend.monthly_cap,
        "spent_this_period": spend.spent,
        "period_start": spend.period_start,
    }


def member_spend_out(member, spend) -> dict:
    return {
        "id": str(member.user_id),
        "email": member.user.email,
        "name": member.user.name,
        "role": member.role,
        **_row(spend.for_member(member)),
    }


def api_key_spend_out(key, spend) -> dict:
    return {
        "id": str(key.pk),
        "name": key.name,
        "prefix": key.prefix,
        "revoked_at": key.revoked_at,
        **_row(spend.for_key(key)),
    }


@router.get("/team/spend-limits", response=SpendLimitsOut, auth=team_auth)
def list_spend_limits(request):
    """Caps and this billing period's spend: every member and key for owners, else the
    caller's own row."""
    caller = team_caller(request)
    team = caller.team
    if caller.is_owner:
        members, keys = (
            list(member_list_for_team(team=team)),
            list(api_key_list_for_team(team=team)),
        )
    elif caller.api_key is not None:
        members, keys = [], [caller.api_key]
    else:
        members, keys = [member_get_for_team(team=team, user_id=caller.user.pk)], []
    spend = team_spend_get(team=team)
    return {
        "members": [member_spend_out(m, spend) for m in members],
        "api_keys": [api_key_spend_out(k, spend) for k in keys],
    }


@router.put("/team/members/{user_id}/spend-limit", response=MemberSpendOut, auth=team_auth)
def set_member_spend_limit(request, user_id: str, payload: SpendLimitIn):
    """Cap what a member may spend a billing period (owners); `null` removes the cap."""
    caller = team_caller(request)
    spend_limit_set(
        team=caller.team,
        user=caller.user,
        member_user_id=user_id,
        monthly_cap=payload.monthly_cap,
        ip_address=client_ip(request),
    )
    member = member_get_for_team(team=caller.team, user_id=user_id)
    return member_spend_out(member, team_spend_get(team=caller.team))


@router.put("/api-keys/{api_key_id}/spend-limit", response=ApiKeySpendOut, auth=team_auth)
def set_api_key_spend_limit(request, api_key_id: str, payload: SpendLimitIn):
    """Cap what a key may spend a billing period (owners); `null` removes the cap."""
    caller = team_caller(request)
    spend_limit_set(
        team=caller.team,
        user=caller.user,
        api_key_id=api_key_id,
        monthly_cap=payload.monthly_cap,
        ip_address=client_ip(request),
    )
    key = api_key_get_for_team(team=caller.team, api_key_id=api_key_id)
    return api_key_spend_out(key, team_spend_get(team=caller.team))
