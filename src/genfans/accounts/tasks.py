"""Account emails, sent by the task worker after the requesting transaction commits."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.tasks import task
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from genfans.accounts.models import User
from genfans.accounts.verification import VERIFICATION_MAX_AGE, email_verification_token_make


def password_reset_link(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return f"{settings.BASE_URL}/reset-password/{uid}/{token}"


@task
def password_reset_email_send(user_id: str) -> bool:
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    context = {
        "user": user,
        "link": password_reset_link(user),
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    send_mail(
        subject="Reset your GenFans password",
        message=render_to_string("accounts/email/password_reset.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return True


def email_verification_link(user: User) -> str:
    return f"{settings.BASE_URL}/verify-email/{email_verification_token_make(user)}"


@task
def email_verification_email_send(user_id: str) -> bool:
    """Made for the address the user has when the task runs: an email queued before a change of
    address goes to the new one, with a link that works."""
    user = User.objects.filter(pk=user_id, is_active=True, email_verified_at__isnull=True).first()
    if user is None:
        return False
    context = {
        "user": user,
        "link": email_verification_link(user),
        "days": VERIFICATION_MAX_AGE.days,
    }
    send_mail(
        subject="Verify your GenFans email",
        message=render_to_string("accounts/email/verify_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )
    return True
