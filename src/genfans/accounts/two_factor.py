"""Two-factor sign-in: an authenticator app (django-otp's TOTPDevice) and single-use recovery
codes (the tokens of one StaticDevice). A person has at most one of each, and has two-factor
sign-in on once their TOTP device is confirmed.

Codes are checked with the device row locked, so two requests with one code cannot both pass;
django-otp keeps the last accepted time step (no replay) and doubles the wait after each wrong
code. Wrong codes are recorded by the device itself, so a check commits its transaction even when
the code is wrong and only then raises: a rollback would forget the failure.
"""

import re

from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from genfans.accounts.errors import (
    InvalidTwoFactorCode,
    TooManyTwoFactorAttempts,
    TwoFactorAlreadyEnabled,
    TwoFactorNotEnabled,
    TwoFactorRequiredByTeam,
    TwoFactorSetupNotStarted,
    WrongPassword,
)
from genfans.accounts.models import User
from genfans.core.errors import DomainError
from genfans.core.locks import rows_locked
from genfans.teams.activity import activity_record
from genfans.teams.models import Action, Team, TeamMember
from genfans.teams.selectors import membership_get
from genfans.teams.services import team_owner_require

RECOVERY_CODE_COUNT = 10
TOTP_CODE = re.compile(r"\d{6}")


# Reads


def two_factor_enabled(*, user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def two_factor_setup_pending(*, user: User) -> TOTPDevice | None:
    """The device being set up: scanned perhaps, not yet confirmed with a code."""
    return TOTPDevice.objects.filter(user=user, confirmed=False).first()


def recovery_codes_remaining(*, user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def two_factor_setup_required(*, user: User, team: Team | None) -> bool:
    """True when the team asks two-factor sign-in of its members and this one has not got it."""
    return bool(team and team.two_factor_required) and not two_factor_enabled(user=user)


def _required_by_a_team(user: User) -> bool:
    return TeamMember.objects.filter(user=user, team__two_factor_required=True).exists()


# Writes


def _team_of(user: User, team: Team | None) -> Team | None:
    if team is not None:
        return team
    membership = membership_get(user=user)
    return membership.team if membership else None


def _code_clean(code: str) -> str:
    # Apps show "123 456"; recovery codes are easier to read aloud with a dash.
    return re.sub(r"[\s-]", "", code or "").lower()


def _device_check(device, code: str) -> type[DomainError] | None:
    """The error for a code the (locked) device refuses, or None when it accepts it."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        return TooManyTwoFactorAttempts
    if device.verify_token(code):
        return None
    return InvalidTwoFactorCode


def _user_code_check(user: User, code: str) -> tuple[type[DomainError] | None, bool]:
    """Check a six-digit app code or a recovery code (consumed when it matches). Returns the
    error, or None, and whether a recovery code was used."""
    code = _code_clean(code)
    recovery = TOTP_CODE.fullmatch(code) is None
    devices = (
        StaticDevice.objects.filter(user=user)
        if recovery
        else TOTPDevice.objects.filter(user=user, confirmed=True)
    )
    device = rows_locked("two_factor_device", devices).first()
    if device is None:
        return InvalidTwoFactorCode, recovery
    return _device_check(device, code), recovery


def _recovery_codes_replace(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="Recovery codes")
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic(durable=True)
def two_factor_setup_start(*, user: User) -> TOTPDevice:
    """A fresh secret to scan; any earlier unfinished setup is dropped."""
    if two_factor_enabled(user=user):
        raise TwoFactorAlreadyEnabled()
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def two_factor_confirm(
    *, user: User, code: str, team: Team | None = None, ip_address: str | None = None
) -> list[str]:
    """Turn two-factor sign-in on with a first code from the app; returns the recovery codes,
    which are shown this once."""
    with transaction.atomic(durable=True):
        device = rows_locked(
            "two_factor_device", TOTPDevice.objects.filter(user=user, confirmed=False)
        ).first()
        if device is None:
            raise TwoFactorSetupNotStarted()
        error = _device_check(device, _code_clean(code))
        if error is None:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _recovery_codes_replace(user)
            activity_record(
                action=Action.ENABLE_TWO_FACTOR,
                team=_team_of(user, team),
                user=user,
                ip_address=ip_address,
            )
    if error is not None:
        raise error(field="code")
    return codes


def two_factor_verify(*, user: User, code: str, ip_address: str | None = None) -> None:
    """The second step of signing in: an app code, or a recovery code (used up)."""
    with transaction.atomic(durable=True):
        error, recovery = _user_code_check(user, code)
        if error is None and recovery:
            activity_record(
                action=Action.USE_RECOVERY_CODE,
                team=_team_of(user, None),
                user=user,
                ip_address=ip_address,
                metadata={"remaining": recovery_codes_remaining(user=user)},
            )
    if error is not None:
        raise error(field="code")


def two_factor_disable(
    *,
    user: User,
    password: str,
    code: str,
    team: Team | None = None,
    ip_address: str | None = None,
) -> None:
    """Turn two-factor sign-in off: needs the password and a current (or recovery) code."""
    if not two_factor_enabled(user=user):
        raise TwoFactorNotEnabled()
    if not user.check_password(password or ""):
        raise WrongPassword(field="password")
    if _required_by_a_team(user):
        raise TwoFactorRequiredByTeam()
    with transaction.atomic(durable=True):
        error, _ = _user_code_check(user, code)
        if error is None:
            TOTPDevice.objects.filter(user=user).delete()
            StaticDevice.objects.filter(user=user).delete()
            activity_record(
                action=Action.DISABLE_TWO_FACTOR,
                team=_team_of(user, team),
                user=user,
                ip_address=ip_address,
            )
    if error is not None:
        raise error(field="code")


@transaction.atomic(durable=True)
def recovery_codes_regenerate(
    *, user: User, team: Team | None = None, ip_address: str | None = None
) -> list[str]:
    """New recovery codes; the old ones stop working."""
    if not two_factor_enabled(user=user):
        raise TwoFactorNotEnabled()
    codes = _recovery_codes_replace(user)
    activity_record(
        action=Action.REGENERATE_RECOVERY_CODES,
        team=_team_of(user, team),
        user=user,
        ip_address=ip_address,
    )
    return codes


@transaction.atomic(durable=True)
def team_two_factor_require(
    *, team: Team, user: User, required: bool, ip_address: str | None = None
) -> Team:
    """Owners only. An owner must have two-factor sign-in before asking it of everyone, so they
    cannot lock themselves out of the team's pages."""
    team_owner_require(team=team, user=user)
    if required and not two_factor_enabled(user=user):
        raise TwoFactorNotEnabled(
            "Turn on two-factor sign-in for yourself (Security page) before requiring it of "
            "the team."
        )
    if team.two_factor_required == required:
        return team
    team.two_factor_required = required
    team.save(update_fields=["two_factor_required", "updated_at"])
    activity_record(
        action=Action.UPDATE_TEAM,
        team=team,
        user=user,
        ip_address=ip_address,
        metadata={"two_factor_required": required},
        changes={"two_factor_required": (not required, required)},
    )
    return team
