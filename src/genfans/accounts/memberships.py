"""Leaving a team, as a removal by an owner or on one's own: the membership goes, and so do
the API keys the person created there, which must not keep the access they no longer have.
(Deleting an account does the same for every team, in `services.user_delete`.)"""

from django.db import transaction
from django.utils import timezone

from genfans.accounts.models import ApiKey
from genfans.accounts.selectors import api_key_forget
from genfans.core.locks import rows_locked
from genfans.teams.activity import activity_record
from genfans.teams.errors import LastOwner
from genfans.teams.models import Action, Team
from genfans.teams.selectors import member_get_for_team, owners_other_exist
from genfans.teams.services import team_lock, team_owner_require


def _api_keys_forget(keys: list[ApiKey]) -> None:
    for key in keys:
        api_key_forget(key)


def api_keys_revoke_for_member(
    *, team: Team, user, reason: str, actor, ip_address: str | None = None
) -> list[ApiKey]:
    """Revoke the keys `user` created in `team`, as they lose their place in it: a key must not
    keep the access its creator no longer has. Runs in the caller's transaction; one
    revoke_api_key row per key, by `actor`, says why."""
    keys = list(
        rows_locked(
            "api_key",
            ApiKey.objects.filter(team=team, created_by=user, revoked_at__isnull=True),
        )
    )
    now = timezone.now()
    ApiKey.objects.filter(pk__in=[key.pk for key in keys]).update(revoked_at=now, updated_at=now)
    for key in keys:
        activity_record(
            action=Action.REVOKE_API_KEY,
            team=team,
            user=actor,
            ip_address=ip_address,
            metadata={"name": key.name, "prefix": key.prefix, "reason": reason},
        )
    # Now, and again once committed: a request in between may have cached the old row.
    _api_keys_forget(keys)
    transaction.on_commit(lambda: _api_keys_forget(keys))
    return keys


def _member_leaves(*, team: Team, member, actor, ip_address: str | None, left: bool) -> None:
    """The membership goes (never the last owner's), recorded, and the keys it made with it."""
    if member.is_owner and not owners_other_exist(team=team, user_id=member.user_id):
        raise LastOwner()
    member.delete()
    activity_record(
        action=Action.REMOVE_TEAM_MEMBER,
        team=team,
        user=actor,
        ip_address=ip_address,
        subject_user=member.user,
        metadata={"role": member.role, **({"left": True} if left else {})},
    )
    api_keys_revoke_for_member(
        team=team,
        user=member.user,
        reason="member_left" if left else "member_removed",
        actor=actor,
        ip_address=ip_address,
    )


@transaction.atomic(durable=True)
def team_member_remove(*, team: Team, user, member_user_id, ip_address: str | None = None) -> None:
    team_lock(team)
    team_owner_require(team=team, user=user)
    member = member_get_for_team(team=team, user_id=member_user_id)
    _member_leaves(team=team, member=member, actor=user, ip_address=ip_address, left=False)


@transaction.atomic(durable=True)
def team_leave(*, team: Team, user, ip_address: str | None = None) -> None:
    """A member leaves the team on their own. The last owner hands ownership over first."""
    team_lock(team)
    member = member_get_for_team(team=team, user_id=getattr(user, "id", None))
    _member_leaves(team=team, member=member, actor=user, ip_address=ip_address, left=True)
