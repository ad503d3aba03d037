"""Test factories: real services where they exist, so tests build state the way users do."""

import itertools

from genfans.accounts.models import ApiKey
from genfans.accounts.services import user_sign_up

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def make_user(*, email: str | None = None, password: str = PASSWORD, name: str = ""):
    email = email or f"user{next(_counter)}@example.com"
    return user_sign_up(email=email, password=password, name=name)


def make_api_key(*, team, user=None, name: str = "test") -> str:
    raw = ApiKey.generate()
    ApiKey.objects.create(
        team=team, name=name, prefix=raw[:12], hash=ApiKey.hash_key(raw), created_by=user
    )
    return raw


def make_member(*, team, email: str | None = None, role: str = "member", name: str = ""):
    """A user who joined `team` through an invitation, as a real person would."""
    from genfans.teams.models import Invitation, TeamMember

    email = email or f"user{next(_counter)}@example.com"
    owner = TeamMember.objects.filter(team=team, role="owner").select_related("user").first()
    invitation = Invitation.objects.create(
        team=team, email=email, role=role, invited_by=owner.user if owner else None
    )
    return user_sign_up(email=email, password=PASSWORD, name=name, invite_id=invitation.id)
