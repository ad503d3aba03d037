"""Test factories: real services where they exist, so tests build state the way users do."""

import itertools

from genfans.accounts.models import ApiKey
from genfans.accounts.services import email_verify, user_sign_up
from genfans.accounts.verification import email_verification_token_make
from genfans.teams.models import Invitation, TeamMember

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def verify(user):
    """Open the user's verification link, as they would from the sign-up email."""
    return email_verify(token=email_verification_token_make(user)).user


def make_user(
    *, email: str | None = None, password: str = PASSWORD, name: str = "", verified: bool = True
):
    """A person who signed up; verified (and so holding the Free grant) unless told otherwise."""
    email = email or f"user{next(_counter)}@example.com"
    user = user_sign_up(email=email, password=password, name=name)
    return verify(user) if verified else user


def make_api_key(*, team, user=None, name: str = "test") -> str:
    raw = ApiKey.generate()
    ApiKey.objects.create(
        team=team, name=name, prefix=raw[:12], hash=ApiKey.hash_key(raw), created_by=user
    )
    return raw


def make_member(
    *,
    team,
    email: str | None = None,
    role: str = "member",
    name: str = "",
    verified: bool = True,
):
    """A user who joined `team` through an invitation, as a real person would."""
    email = email or f"user{next(_counter)}@example.com"
    owner = TeamMember.objects.filter(team=team, role="owner").select_related("user").first()
    invitation = Invitation.objects.create(
        team=team, email=email, role=role, invited_by=owner.user if owner else None
    )
    user = user_sign_up(email=email, password=PASSWORD, name=name, invite_id=invitation.id)
    return verify(user) if verified else user
