from django import template

from genfans.credits.selectors import credits_balance_get

register = template.Library()


@register.simple_tag
def credits_available(team) -> int:
    """The team's available credits, for the dashboard header."""
    return credits_balance_get(team=team).available if team is not None else 0
