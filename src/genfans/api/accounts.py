from django.contrib.auth import login, logout, update_session_auth_hash
from django.middleware.csrf import get_token
from ninja import Router, Schema, Status
from pydantic import Field

from genfans.accounts.errors import TwoFactorRequired
from genfans.accounts.services import (
    email_verification_resend,
    email_verify,
    password_reset_confirm,
    password_reset_request,
    user_authenticate,
    user_delete,
    user_password_change,
    user_sessions_end_others,
    user_sign_up,
    user_signed_in,
    user_signed_out,
    user_update,
)
from genfans.accounts.sign_in_pending import (
    sign_in_pending_end,
    sign_in_pending_start,
    sign_in_pending_user,
)
from genfans.accounts.two_factor import two_factor_enabled, two_factor_verify
from genfans.api.openapi import errors
from genfans.api.security import (
    Caller,
    SessionCookie,
    SessionStart,
    TeamApiKey,
    session_two_factor_check,
)
from genfans.core.errors import NotFound
from genfans.core.http import client_ip
from genfans.teams.errors import NoTeam
from genfans.teams.middleware import SESSION_TEAM_KEY
from genfans.teams.selectors import membership_get, membership_list_for_user

router = Router(tags=["auth"])


class SessionUser(SessionCookie):
    """Any signed-in browser session, with or without a team (CSRF checked on unsafe methods).

    Account endpoints use it so that a person removed from their only team can still manage
    their account, accept another invitation or sign out.
    """

    def authenticate(self, request, key):
        if not request.user.is_authenticated:
            return None
        membership = getattr(request, "membership", None)
        return Caller(
            team=membership.team if membership else None,
            user=request.user,
            membership=membership,
        )


user_auth = [SessionUser()]
# Endpoints that create a session: JSON with the CSRF token only (login CSRF).
session_start = [SessionStart()]
# Team endpoints: a team API key or a session. A session without a team gets 404 `no_team`.
team_auth = [TeamApiKey(), SessionUser()]


def team_caller(request) -> Caller:
    caller = request.auth
    if caller.team is None:
        raise NoTeam()
    if caller.api_key is None:
        session_two_factor_check(user=caller.user, team=caller.team)
    return caller


def session_user(request):
    caller = request.auth
    if caller.user is None:
        raise NotFound("API keys belong to a team, not a user: use GET /api/team.")
    return caller.user


class SignUpIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(min_length=1, max_length=128)
    name: str = Field(default="", max_length=150)
    invite_id: str | None = Field(default=None, max_length=64)


class SignInIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)


class SignInVerifyIn(Schema):
    code: str = Field(min_length=1, max_length=32)


class PasswordResetIn(Schema):
    email: str = Field(max_length=254)


class PasswordResetConfirmIn(Schema):
    uid: str = Field(max_length=64)
    token: str = Field(max_length=128)
    password: str = Field(min_length=1, max_length=128)


class VerifyEmailIn(Schema):
    token: str = Field(max_length=512)


class PasswordChangeIn(Schema):
    current_password: str = Field(max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


class UserPatchIn(Schema):
    name: str | None = Field(default=None, max_length=150)
    email: str | None = Field(default=None, max_length=254)


class UserDeleteIn(Schema):
    password: str = Field(max_length=128)


class UserTeamOut(Schema):
    id: str
    name: str
    role: str


class UserOut(Schema):
    id: str
    email: str
    name: str
    email_verified: bool
    created_at: str
    current_team_id: str | None = None
    teams: list[UserTeamOut] = []


class MessageOut(Schema):
    message: str


class CsrfOut(Schema):
    csrf_token: str


def user_out(user, current_team=None) -> dict:
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "email_verified": user.email_verified_at is not None,
        "created_at": user.created_at.isoformat(),
        "current_team_id": str(current_team.id) if current_team else None,
        "teams": [
            {"id": str(m.team_id), "name": m.team.name, "role": m.role}
            for m in membership_list_for_user(user=user)
        ],
    }


@router.get("/auth/csrf", response=CsrfOut, auth=None)
def csrf(request):
    """Set the CSRF cookie and return its token. Sign-up, sign-in and every unsafe request on a
    session send it as `X-CSRFToken`; signing in rotates it, so read the cookie again after."""
    return {"csrf_token": get_token(request)}


@router.post("/auth/sign-up", response={201: UserOut}, auth=session_start)
def sign_up(request, payload: SignUpIn):
    user = user_sign_up(
        email=payload.email,
        password=payload.password,
        name=payload.name,
        invite_id=payload.invite_id,
        ip_address=client_ip(request),
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    membership = membership_get(user=user)
    if membership:
        request.session[SESSION_TEAM_KEY] = str(membership.team_id)
    return Status(201, user_out(user, membership.team if membership else None))


def _session_start(request, user, ip: str | None) -> dict:
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    user_signed_in(user=user, ip_address=ip)
    membership = membership_get(user=user)
    return user_out(user, membership.team if membership else None)


@router.post("/auth/sign-in", response=UserOut, auth=session_start, openapi_extra=errors(401, 429))
def sign_in(request, payload: SignInIn):
    """Start a session. With two-factor sign-in on, a right password answers 401
    `two_factor_required` and starts no session yet: send a code to /api/auth/sign-in/verify
    within five minutes, from the same browser session."""
    ip = client_ip(request)
    user = user_authenticate(
        request=request, email=payload.email, password=payload.password, ip_address=ip
    )
    if two_factor_enabled(user=user):
        sign_in_pending_start(request, user=user)
        raise TwoFactorRequired()
    return _session_start(request, user, ip)


@router.post(
    "/auth/sign-in/verify", response=UserOut, auth=session_start, openapi_extra=errors(429)
)
def sign_in_verify(request, payload: SignInVerifyIn):
    """The second step of a two-factor sign-in: the six-digit code from the authenticator app,
    or a recovery code (each works once). A wrong code is 400 `invalid_two_factor_code`; each
    one doubles the wait before the next try (429 `too_many_two_factor_attempts` until then);
    no password step in the last five minutes is 400 `two_factor_sign_in_expired`. An accepted
    code cannot be used again."""
    ip = client_ip(request)
    user = sign_in_pending_user(request)
    two_factor_verify(user=user, code=payload.code, ip_address=ip)
    sign_in_pending_end(request)
    return _session_start(request, user, ip)


@router.post("/auth/sign-out", response={204: None}, auth=[TeamApiKey(), SessionUser()])
def sign_out(request):
    caller = request.auth
    if caller.user is not None:
        user_signed_out(user=caller.user, team=caller.team, ip_address=client_ip(request))
        logout(request)
    return Status(204, None)


@router.post("/auth/sign-out-others", response={204: None}, auth=user_auth)
def sign_out_other_sessions(request):
    """End every other session of this user (other browsers and devices)."""
    user = user_sessions_end_others(
        user=request.auth.user, team=request.auth.team, ip_address=client_ip(request)
    )
    update_session_auth_hash(request, user)
    return Status(204, None)


@router.post("/auth/password-reset", response={202: MessageOut}, auth=None)
def password_reset(request, payload: PasswordResetIn):
    """Email a reset link if the address has an account (the answer is the same either way)."""
    password_reset_request(email=payload.email, ip_address=client_ip(request))
    return Status(202, {"message": "If that address has an account, a reset link is on its way."})


@router.post("/auth/password-reset/confirm", response={204: None}, auth=None)
def password_reset_set(request, payload: PasswordResetConfirmIn):
    password_reset_confirm(
        uidb64=payload.uid,
        token=payload.token,
        new_password=payload.password,
        ip_address=client_ip(request),
    )
    return Status(204, None)


@router.post("/auth/verify-email", response=UserOut, auth=None)
def verify_email(request, payload: VerifyEmailIn):
    """Verify the address a sign-up link was sent to (the link's token is enough, no session).
    The first time, the person's Free grant goes to the team they own; replaying changes
    nothing. A tampered, expired or outdated link is 400 `verification_link_invalid`."""
    user = email_verify(token=payload.token, ip_address=client_ip(request)).user
    membership = membership_get(user=user)
    return user_out(user, membership.team if membership else None)


@router.post(
    "/auth/verify-email/resend",
    response={202: MessageOut},
    auth=user_auth,
    openapi_extra=errors(429),
)
def verify_email_resend(request):
    """Email a new verification link: at most one a minute (429 `rate_limited`); 409
    `email_already_verified` once verified."""
    user = request.auth.user
    email_verification_resend(user=user)
    return Status(202, {"message": f"A new link is on its way to {user.email}."})


@router.get(
    "/user",
    response=UserOut,
    auth=[TeamApiKey(), SessionUser()],
    tags=["account"],
    openapi_extra=errors(404),
)
def current_user(request):
    return user_out(session_user(request), request.auth.team)


@router.patch("/user", response=UserOut, auth=user_auth, tags=["account"])
def update_user(request, payload: UserPatchIn):
    user = request.auth.user
    user = user_update(
        user=user,
        name=user.name if payload.name is None else payload.name,
        email=user.email if payload.email is None else payload.email,
        team=request.auth.team,
        ip_address=client_ip(request),
    )
    return user_out(user, request.auth.team)


@router.post("/user/password", response={204: None}, auth=user_auth, tags=["account"])
def change_password(request, payload: PasswordChangeIn):
    """Change the password; every other session of this user ends."""
    user = user_password_change(
        user=request.auth.user,
        current_password=payload.current_password,
        new_password=payload.new_password,
        team=request.auth.team,
        ip_address=client_ip(request),
    )
    update_session_auth_hash(request, user)
    return Status(204, None)


@router.delete("/user", response={204: None}, auth=user_auth, tags=["account"])
def delete_user(request, payload: UserDeleteIn):
    """Delete the account (needs the password). The last owner of a team with other members
    gets 409 `last_owner` until they make someone else owner."""
    user_delete(user=request.auth.user, password=payload.password, ip_address=client_ip(request))
    logout(request)
    return Status(204, None)
