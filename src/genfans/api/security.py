"""API authentication: the browser session (with CSRF) or a team API key as a bearer token."""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone
from ninja.security import HttpBearer, SessionAuth

from genfans.accounts.models import ApiKey
from genfans.core.errors import PermissionDenied
from genfans.teams.models import Team, TeamMember

# Writing last_used_at on every request would make the hottest read path a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    team: Team
    user: object | None
    membership: TeamMember | None
    api_key: ApiKey | None = None

    @property
    def is_owner(self) -> bool:
        return self.membership is not None and self.membership.is_owner

    def require_owner(self) -> None:
        if not self.is_owner:
            raise PermissionDenied("Only a team owner can do that.")


class TeamApiKey(HttpBearer):
    def authenticate(self, request, token):
        # Not the team's plan: the hottest request, a status poll, has no use for it.
        try:
            key = ApiKey.objects.select_related("team").get(
                hash=ApiKey.hash_key(token), revoked_at__isnull=True
            )
        except ApiKey.DoesNotExist:
            return None
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        request.team = key.team
        return Caller(team=key.team, user=None, membership=None, api_key=key)


class SessionTeam(SessionAuth):
    """The signed-in browser session; unsafe methods need the CSRF token (ninja checks it)."""

    def authenticate(self, request, key):
        membership = getattr(request, "membership", None)
        if membership is None:
            return None
        return Caller(team=membership.team, user=request.user, membership=membership)


api_auth = [TeamApiKey(), SessionTeam()]
