from django import template

from genfans.billing.selectors import plan_free

register = template.Library()


@register.simple_tag
def free_grant_credits() -> int:
    """What verifying an email is worth, for the banner that asks for it."""
    return plan_free().monthly_credits
