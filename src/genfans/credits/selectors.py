from genfans.core.errors import ValidationError
from genfans.credits.models import CreditBalance, CreditTransaction, Kind


def credits_balance_get(*, team) -> CreditBalance:
    """The team's balance; an unsaved zero balance when the team has never had credits."""
    return CreditBalance.objects.filter(team=team).first() or CreditBalance(team=team)


def credit_transaction_list_for_team(*, team, kind: str | None = None):
    rows = CreditTransaction.objects.filter(team=team)
    if kind:
        if kind not in Kind.values:
            raise ValidationError(f"kind must be one of: {', '.join(Kind.values)}.", field="kind")
        rows = rows.filter(kind=kind)
    return rows.order_by("-created_at", "-pk")
