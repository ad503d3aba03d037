"""API authentication: the browser session (with CSRF) or a team API key as a bearer token."""

from dataclasses import dataclass

from ninja.security import HttpBearer, SessionAuth
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from genfans.accounts.errors import TwoFactorSetupRequired
from genfans.accounts.models import ApiKey
from genfans.accounts.selectors import api_key_get_active
from genfans.accounts.services import api_key_mark_used
from genfans.accounts.two_factor import two_factor_setup_required
from genfans.core.errors import PermissionDenied, ValidationError
from genfans.teams.errors import NotTeamOwner
from genfans.teams.models import Team, TeamMember


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"
    default_message = (
        "CSRF check failed: GET /api/auth/csrf, then send its token as X-CSRFToken "
        "from the same site."
    )


class JsonRequired(ValidationError):
    code = "unsupported_media_type"
    default_message = "Send the body as application/json."


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
            raise NotTeamOwner()


class TeamApiKey(HttpBearer):
    def authenticate(self, request, token):
        key = api_key_get_active(raw=token)
        if key is None:
            return None
        api_key_mark_used(key)
        request.team = key.team
        return Caller(team=key.team, user=None, membership=None, api_key=key)


def session_two_factor_check(*, user, team) -> None:
    """A session of a member the team requires two-factor sign-in of, who has not set it up, is
    403 `two_factor_setup_required`. API keys are not checked: they are the team's machine
    credentials, not a person's sign-in."""
    if two_factor_setup_required(user=user, team=team):
        raise TwoFactorSetupRequired()


class SessionCookie(SessionAuth):
    """The session cookie, with the CSRF check on unsafe methods answering our
    `403 csrf_failed` (ninja's own says only "CSRF check Failed", as `http_error`)."""

    def _get_key(self, request):
        exempt = getattr(request, "_ninja_csrf_exempt", False)
        if self.csrf and not exempt and check_csrf(request) is not None:
            raise CsrfFailed()
        return request.COOKIES.get(self.param_name)


class SessionTeam(SessionCookie):
    """The signed-in browser session of a team member."""

    def authenticate(self, request, key):
        membership = getattr(request, "membership", None)
        if membership is None:
            return None
        session_two_factor_check(user=request.user, team=membership.team)
        return Caller(team=membership.team, user=request.user, membership=membership)


class SessionStart(AuthBase):
    """For endpoints that sign a browser in, which no session or key guards: without this another
    site could sign the visitor into an account of its choosing (login CSRF). A cross-site form
    can send text/plain without a preflight, so the body must be JSON, and Django's CSRF check
    (token and Origin) must pass."""

    openapi_type = "apiKey"
    openapi_in = "header"
    openapi_name = "X-CSRFToken"

    def __call__(self, request):
        if request.content_type != "application/json":
            raise JsonRequired()
        if check_csrf(request) is not None:
            raise CsrfFailed()
        return True  # no caller yet: the endpoint itself signs someone in


api_auth = [TeamApiKey(), SessionTeam()]
