from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from genfans.accounts import throttle
from genfans.accounts.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidEmail,
    TooManySignInAttempts,
    WeakPassword,
)
from genfans.accounts.models import User
from genfans.teams.activity import activity_record
from genfans.teams.models import Action
from genfans.teams.services import team_create


def _check_password_strength(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise WeakPassword(" ".join(exc.messages), field="password") from exc


def email_normalize(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise InvalidEmail(field="email") from exc
    return email


@transaction.atomic(durable=True)
def user_sign_up(
    *, email: str, password: str, name: str = "", ip_address: str | None = None
) -> User:
    """Create an account and, with it, a team the new user owns."""
    email = email_normalize(email)
    _check_password_strength(password)
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(field="email")
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name.strip())
    except IntegrityError as exc:
        raise EmailTaken(field="email") from exc
    team = team_create(owner=user, name=f"{user.display_name}'s team", ip_address=ip_address)
    activity_record(action=Action.SIGN_UP, team=team, user=user, ip_address=ip_address)
    return user


def user_authenticate(*, request, email: str, password: str, ip_address: str | None) -> User:
    """Check credentials with throttling of repeated failures (429 once over the limit)."""
    email = (email or "").strip().lower()
    if throttle.is_throttled(email=email, ip_address=ip_address):
        raise TooManySignInAttempts()
    user = authenticate(request, username=email, password=password)
    if user is None:
        throttle.record_failure(email=email, ip_address=ip_address)
        raise InvalidCredentials()
    throttle.reset(email=email)
    return user
