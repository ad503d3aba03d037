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


# The history shows one line per job: the job's hold stands for it (what was charged and given
# back is read from its reservation), so its capture, release and expiry rows are not repeated.
JOB_FOLDED_KINDS = (Kind.CAPTURE, Kind.RELEASE, Kind.EXPIRE)
HISTORY_KINDS = tuple(k for k in Kind.values if k not in (Kind.CAPTURE, Kind.RELEASE))


def credit_history_for_team(*, team, kind: str | None = None):
    """The team's ledger as people read it, newest first: one row per job (its reserve row, with
    the job and its reservation joined in: one query a page) and every other row as it is.
    `kind` narrows to one of HISTORY_KINDS ("reserve" meaning jobs)."""
    rows = (
        CreditTransaction.objects.filter(team=team)
        .exclude(job__isnull=False, kind__in=JOB_FOLDED_KINDS)
        .select_related("job", "job__credit_reservation")
    )
    if kind:
        if kind not in HISTORY_KINDS:
            raise ValidationError(f"kind must be one of: {', '.join(HISTORY_KINDS)}.", field="kind")
        rows = rows.filter(kind=kind)
    return rows.order_by("-created_at", "-pk")
