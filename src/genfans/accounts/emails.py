"""What the account emails say. Rendered when the worker sends them (see `genfans.emails`)."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from genfans.accounts.models import User
from genfans.accounts.verification import VERIFICATION_MAX_AGE, email_verification_token_make
from genfans.emails.kinds import EmailContent
from genfans.emails.models import EmailDelivery


def password_reset_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.BASE_URL}/reset-password/{uid}/{token}"


def password_reset_render(delivery: EmailDelivery) -> EmailContent | None:
    user = User.objects.filter(pk=delivery.user_id, is_active=True).first()
    if user is None:
        return None
    context = {
        "user": user,
        "link": password_reset_link(user),
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    return EmailContent(
        recipient=user.email,
        subject="Reset your GenFans password",
        body=render_to_string("accounts/email/password_reset.txt", context),
    )


def email_verification_link(user: User) -> str:
    return f"{settings.BASE_URL}/verify-email/{email_verification_token_make(user)}"


def email_verification_render(delivery: EmailDelivery) -> EmailContent | None:
    """Made for the address the user has when it is sent: an email queued before a change of
    address goes to the new one, with a link that works."""
    user = User.objects.filter(
        pk=delivery.user_id, is_active=True, email_verified_at__isnull=True
    ).first()
    if user is None:
        return None
    context = {
        "user": user,
        "link": email_verification_link(user),
        "days": VERIFICATION_MAX_AGE.days,
    }
    return EmailContent(
        recipient=user.email,
        subject="Verify your GenFans email",
        body=render_to_string("accounts/email/verify_email.txt", context),
    )
