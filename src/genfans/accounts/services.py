import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.tokens import default_token_generator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode

from genfans.accounts import throttle
from genfans.accounts.errors import (
    EmailAlreadyVerified,
    EmailTaken,
    InvalidCredentials,
    InvalidResetLink,
    InvalidVerificationLink,
    VerificationEmailTooSoon,
    WrongPassword,
)
from genfans.accounts.memberships import api_keys_revoke_for_member
from genfans.accounts.models import ApiKey, User
from genfans.accounts.selectors import api_key_forget, api_key_get_for_team, api_key_remember
from genfans.accounts.validation import name_clean, password_check_strength
from genfans.accounts.verification import email_verification_token_read
from genfans.billing.entitlements import free_grant_give, team_open
from genfans.core.errors import ValidationError
from genfans.core.identity import email_normalize
from genfans.core.locks import rows_locked
from genfans.core.text import text_line
from genfans.emails.models import EmailKind
from genfans.emails.queue import email_send_on_commit
from genfans.emails.services import email_deliveries_scrub
from genfans.teams.activity import activity_record, activity_scrub_email
from genfans.teams.errors import InvitationEmailMismatch, LastOwner
from genfans.teams.models import Action, Role, Team, TeamMember
from genfans.teams.selectors import invitation_get_open, membership_get
from genfans.teams.services import (
    invitation_join,
    team_lock,
    team_name_clean,
    team_owner_require,
)


def _user_team(user):
    membership = membership_get(user=user)
    return membership.team if membership else None


@transaction.atomic(durable=True)
def user_sign_up(
    *,
    email: str,
    password: str,
    name: str = "",
    ip_address: str | None = None,
    invite_id=None,
) -> User:
    """Create an account with a team the new user owns, or, coming through an invitation,
    as a member of the inviting team (no team of their own)."""
    email = email_normalize(email)
    name = name_clean(name)
    password_check_strength(password)
    if invite_id:
        invitation = invitation_get_open(invitation_id=invite_id)
        if invitation.email.lower() != email:
            raise InvitationEmailMismatch(field="email")
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(field="email")
    try:
        with transaction.atomic():
            user = User.objects.create_user(email=email, password=password, name=name)
    except IntegrityError as exc:
        raise EmailTaken(field="email") from exc
    if invite_id:
        team = invitation_join(invitation_id=invite_id, user=user, ip_address=ip_address).team
    else:
        team = team_open(owner=user, name=f"{user.display_name}'s team", ip_address=ip_address)
    activity_record(action=Action.SIGN_UP, team=team, user=user, ip_address=ip_address)
    _verification_email_send_on_commit(user)
    return user


def _verification_email_send_on_commit(user: User) -> bool:
    """False when one was sent less than a minute ago (nothing is queued then)."""
    if not throttle.verification_email_claim(user_id=user.pk):
        return False
    email_send_on_commit(kind=EmailKind.EMAIL_VERIFICATION, recipient=user.email, user=user)
    return True


@dataclass(frozen=True)
class EmailVerification:
    user: User
    newly_verified: bool
    # The team the Free grant went to, or would have gone to (None: the person owns none yet).
    team: Team | None = None
    credits_granted: int = 0


def _link_email_check(user: User, email: str) -> None:
    if user.email.lower() != email:
        raise InvalidVerificationLink(
            "This link was sent to an address your account no longer uses. "
            "Ask for a new one from your dashboard."
        )


@transaction.atomic(durable=True)
def email_verify(*, token: str, ip_address: str | None = None) -> EmailVerification:
    """Mark the address in a verification link verified and give its person the Free grant.
    Replaying the link changes nothing."""
    user_id, email = email_verification_token_read(token)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidVerificationLink()
    _link_email_check(user, email)
    now = timezone.now()
    # Conditional, so two clicks at once verify (and log, and grant) once.
    verified = User.objects.filter(
        pk=user.pk, email__iexact=email, email_verified_at__isnull=True
    ).update(email_verified_at=now, updated_at=now)
    if not verified:
        user.refresh_from_db(fields=["email", "email_verified_at"])
        _link_email_check(user, email)
        return EmailVerification(user=user, newly_verified=False)
    user.email_verified_at = now
    team, credits = free_grant_give(person=user)
    activity_record(
        action=Action.VERIFY_EMAIL,
        team=team or _user_team(user),
        user=user,
        ip_address=ip_address,
        metadata={"free_credits": credits},
    )
    return EmailVerification(user=user, newly_verified=True, team=team, credits_granted=credits)


@transaction.atomic(durable=True)
def email_verification_resend(*, user: User) -> None:
    if user.email_verified_at is not None:
        raise EmailAlreadyVerified()
    if not _verification_email_send_on_commit(user):
        raise VerificationEmailTooSoon()


def user_authenticate(*, request, email: str, password: str, ip_address: str | None) -> User:
    """Check credentials with throttling of repeated failures (429 once over the limit)."""
    email = (email or "").strip().lower()
    throttle.sign_in_attempt_admit(email=email, ip_address=ip_address)
    user = authenticate(request, username=email, password=password)
    if user is None:
        raise InvalidCredentials()
    throttle.sign_in_succeeded(email=email, ip_address=ip_address)
    return user


def user_signed_in(*, user: User, ip_address: str | None = None) -> None:
    """Log a successful sign-in (the caller has started the session)."""
    activity_record(action=Action.SIGN_IN, team=_user_team(user), user=user, ip_address=ip_address)


def user_signed_out(*, user: User, team=None, ip_address: str | None = None) -> None:
    activity_record(action=Action.SIGN_OUT, team=team, user=user, ip_address=ip_address)


@transaction.atomic(durable=True)
def user_update(
    *, user: User, name: str, email: str, team=None, ip_address: str | None = None
) -> User:
    email = email_normalize(email)
    name = name_clean(name)
    changed = [f for f, v in (("name", name), ("email", email)) if getattr(user, f) != v]
    if not changed:
        return user
    taken = User.all_objects.filter(email__iexact=email).exclude(pk=user.pk)
    if "email" in changed and taken.exists():
        raise EmailTaken(field="email")
    user.name, user.email = name, email
    if "email" in changed:
        # What was verified is the old address; the new one is verified by its own link (links
        # sent to the old one stop working), and counts as its own person for the Free grant.
        user.email_verified_at = None
    try:
        with transaction.atomic():
            user.save(update_fields=["name", "email", "email_verified_at", "updated_at"])
    except IntegrityError as exc:
        raise EmailTaken(field="email") from exc
    activity_record(
        action=Action.UPDATE_ACCOUNT,
        team=team or _user_team(user),
        user=user,
        ip_address=ip_address,
        metadata={"fields": changed},
    )
    if "email" in changed:
        _verification_email_send_on_commit(user)
    return user


@transaction.atomic(durable=True)
def user_password_change(
    *,
    user: User,
    current_password: str,
    new_password: str,
    team=None,
    ip_address: str | None = None,
) -> User:
    """Changing the password ends the user's other sessions (the session hash covers it);
    the caller re-signs the current one with `update_session_auth_hash`."""
    if not user.check_password(current_password or ""):
        raise WrongPassword(field="current_password")
    password_check_strength(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    activity_record(
        action=Action.UPDATE_PASSWORD,
        team=team or _user_team(user),
        user=user,
        ip_address=ip_address,
    )
    return user


@transaction.atomic(durable=True)
def user_sessions_end_others(*, user: User, team=None, ip_address: str | None = None) -> User:
    """Every session but the caller's ends at its next request (see `User.session_epoch`)."""
    User.all_objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    user.refresh_from_db(fields=["session_epoch"])
    activity_record(
        action=Action.SIGN_OUT,
        team=team or _user_team(user),
        user=user,
        ip_address=ip_address,
        metadata={"other_sessions": True},
    )
    return user


@transaction.atomic(durable=True)
def password_reset_request(*, email: str, ip_address: str | None = None) -> None:
    """Email a reset link when the address has an account; the answer never says whether."""
    email = email_normalize(email)
    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is not None and throttle.reset_request_allowed(email=email):
        email_send_on_commit(kind=EmailKind.PASSWORD_RESET, recipient=user.email, user=user)


def password_reset_user_get(*, uidb64: str, token: str) -> User:
    """The user a reset link is for, while the link is valid (it dies with the password)."""
    try:
        user_id = uuid.UUID(force_str(urlsafe_base64_decode(uidb64 or "")))
    except (TypeError, ValueError, UnicodeDecodeError):
        raise InvalidResetLink() from None
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not default_token_generator.check_token(user, token or ""):
        raise InvalidResetLink()
    return user


@transaction.atomic(durable=True)
def password_reset_confirm(
    *, uidb64: str, token: str, new_password: str, ip_address: str | None = None
) -> User:
    user = password_reset_user_get(uidb64=uidb64, token=token)
    password_check_strength(new_password, user=user)
    user.set_password(new_password)
    user.session_epoch = F("session_epoch") + 1
    user.save(update_fields=["password", "session_epoch", "updated_at"])
    user.refresh_from_db(fields=["session_epoch"])
    throttle.sign_in_budgets_clear(email=user.email)
    activity_record(
        action=Action.RESET_PASSWORD, team=_user_team(user), user=user, ip_address=ip_address
    )
    return user


@transaction.atomic(durable=True)
def user_delete(*, user: User, password: str, ip_address: str | None = None) -> None:
    """Soft delete: the row stays for history, the email is freed, every session ends and
    memberships go; teams keep their jobs, models and files."""
    if not user.check_password(password or ""):
        raise WrongPassword(field="password")
    anonymised = f"deleted-{user.pk.hex}@deleted.invalid"
    memberships = list(TeamMember.objects.filter(user=user).select_related("team"))
    # Same per-team lock as role changes, in a fixed order: two last owners leaving at once
    # cannot both pass the check.
    list(
        rows_locked(
            "team", Team.objects.filter(pk__in=[m.team_id for m in memberships])
        ).values_list("pk", flat=True)
    )
    for membership in memberships:
        if not membership.is_owner:
            continue
        team = membership.team
        others = TeamMember.objects.filter(team=team).exclude(user=user)
        if others.exists() and not others.filter(role=Role.OWNER).exists():
            raise LastOwner(
                f"You are the last owner of {team.name}: make another member owner first.",
                team_id=str(team.id),
            )
    for membership in memberships:
        activity_record(
            action=Action.DELETE_ACCOUNT, team=membership.team, user=user, ip_address=ip_address
        )
        api_keys_revoke_for_member(
            team=membership.team,
            user=user,
            reason="account_deleted",
            actor=user,
            ip_address=ip_address,
        )
    TeamMember.objects.filter(user=user).delete()
    # Rows keep naming the person by key (shown as a former member); copies of the address go.
    activity_scrub_email(email=user.email)
    email_deliveries_scrub(user=user, email=user.email, replacement=anonymised)
    user.email = anonymised
    user.name = ""
    user.is_active = False
    user.deleted_at = timezone.now()
    user.session_epoch = F("session_epoch") + 1
    user.set_unusable_password()
    user.save()
    user.refresh_from_db(fields=["session_epoch"])


@transaction.atomic(durable=True)
def team_create_for_user(*, user, name: str, ip_address: str | None = None) -> Team:
    """A signed-in user without a team (or wanting another) opens one."""
    return team_open(owner=user, name=team_name_clean(name), ip_address=ip_address)


@transaction.atomic(durable=True)
def api_key_create(*, team, user, name: str, ip_address: str | None = None) -> tuple[ApiKey, str]:
    """Returns the key and its secret, which is shown once and stored only as a hash."""
    # Under the team's lock, so an owner being removed right now cannot mint a key that the
    # removal's revocation has already gone past.
    team_lock(team)
    team_owner_require(team=team, user=user)
    name = text_line(name, field="name")
    if not 1 <= len(name) <= 100:
        raise ValidationError("Name the key (1 to 100 characters).", field="name")
    raw = ApiKey.generate()
    key = ApiKey.objects.create(
        team=team, name=name, prefix=raw[:12], hash=ApiKey.hash_key(raw), created_by=user
    )
    activity_record(
        action=Action.CREATE_API_KEY,
        team=team,
        user=user,
        ip_address=ip_address,
        metadata={"name": name, "prefix": key.prefix},
    )
    return key, raw


# Writing last_used_at on every request would make the hottest read path a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_key_mark_used(key: ApiKey) -> None:
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
        api_key_remember(key)


@transaction.atomic(durable=True)
def api_key_revoke(*, team, user, api_key_id, ip_address: str | None = None) -> ApiKey:
    team_owner_require(team=team, user=user)
    key = api_key_get_for_team(team=team, api_key_id=api_key_id)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
        # Now, and again once committed: a request in between may have cached the old row.
        api_key_forget(key)
        transaction.on_commit(lambda: api_key_forget(key))
        activity_record(
            action=Action.REVOKE_API_KEY,
            team=team,
            user=user,
            ip_address=ip_address,
            metadata={"name": key.name, "prefix": key.prefix},
        )
    return key
