from django import template

from genfans.billing.selectors import plan_free
from genfans.emails.models import EmailKind
from genfans.emails.selectors import DeliveryState, email_delivery_state_latest_for_user

register = template.Library()


@register.simple_tag
def free_grant_credits() -> int:
    """What verifying an email is worth, for the banner that asks for it."""
    return plan_free().monthly_credits


@register.simple_tag
def verification_email_state(user) -> DeliveryState | None:
    """Where the latest verification email to `user` is, for the banner (None: no email)."""
    return email_delivery_state_latest_for_user(user=user, kind=EmailKind.EMAIL_VERIFICATION)
