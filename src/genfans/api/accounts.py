from django.contrib.auth import login, logout
from ninja import Router, Schema, Status
from pydantic import Field

from genfans.accounts.services import user_authenticate, user_sign_up
from genfans.api.security import api_auth
from genfans.core.errors import NotFound
from genfans.core.http import client_ip
from genfans.teams.activity import activity_record
from genfans.teams.models import Action
from genfans.teams.selectors import member_list_for_team, membership_get

router = Router(tags=["auth"])


class SignUpIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(min_length=1, max_length=128)
    name: str = Field(default="", max_length=150)
    invite_id: str | None = None


class SignInIn(Schema):
    email: str = Field(max_length=254)
    password: str = Field(max_length=128)


class UserOut(Schema):
    id: str
    email: str
    name: str
    created_at: str


class PlanOut(Schema):
    code: str
    name: str
    monthly_credits: int
    max_concurrent_jobs: int
    max_queued_jobs: int


class MemberOut(Schema):
    user_id: str
    email: str
    name: str
    role: str


class TeamOut(Schema):
    id: str
    name: str
    plan: PlanOut
    subscription_status: str
    role: str | None
    members: list[MemberOut]


def user_out(user) -> dict:
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "created_at": user.created_at.isoformat(),
    }


@router.post("/auth/sign-up", response={201: UserOut}, auth=None)
def sign_up(request, payload: SignUpIn):
    user = user_sign_up(
        email=payload.email,
        password=payload.password,
        name=payload.name,
        ip_address=client_ip(request),
    )
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return Status(201, user_out(user))


@router.post("/auth/sign-in", response=UserOut, auth=None)
def sign_in(request, payload: SignInIn):
    ip = client_ip(request)
    user = user_authenticate(
        request=request, email=payload.email, password=payload.password, ip_address=ip
    )
    login(request, user)
    membership = membership_get(user=user)
    activity_record(
        action=Action.SIGN_IN,
        team=membership.team if membership else None,
        user=user,
        ip_address=ip,
    )
    return user_out(user)


@router.post("/auth/sign-out", response={204: None}, auth=api_auth)
def sign_out(request):
    caller = request.auth
    if caller.user is not None:
        activity_record(
            action=Action.SIGN_OUT,
            team=caller.team,
            user=caller.user,
            ip_address=client_ip(request),
        )
        logout(request)
    return Status(204, None)


@router.get("/user", response=UserOut, auth=api_auth, tags=["account"])
def current_user(request):
    caller = request.auth
    if caller.user is None:
        raise NotFound("API keys belong to a team, not a user: use GET /api/team.")
    return user_out(caller.user)


@router.get("/team", response=TeamOut, auth=api_auth, tags=["team"])
def current_team(request):
    caller = request.auth
    team = caller.team
    return {
        "id": str(team.id),
        "name": team.name,
        "plan": team.plan,
        "subscription_status": team.subscription_status,
        "role": caller.membership.role if caller.membership else None,
        "members": [
            {"user_id": str(m.user_id), "email": m.user.email, "name": m.user.name, "role": m.role}
            for m in member_list_for_team(team=team)
        ],
    }
