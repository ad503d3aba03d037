"""The ledger invariant (DESIGN §4): each team's cached balance equals the sums of its ledger,
its reserved credits equal its pending reservations, and no finished job holds a reservation.
A job has finished when it has a `finished_at`: the engine sets it with every final status,
and reading it keeps the ledger from importing the studio."""

from django.db.models import BigIntegerField, Case, F, Sum, Value, When

from genfans.credits.models import (
    EFFECTS,
    CreditBalance,
    CreditReservation,
    CreditTransaction,
    ReservationStatus,
)


def _signed_sum(position: int) -> Sum:
    """Sum of amount × the kind's effect on available (0) or reserved (1)."""
    whens = [
        When(kind=kind, then=F("amount") * Value(effect[position]))
        for kind, effect in EFFECTS.items()
        if effect[position]
    ]
    return Sum(Case(*whens, default=Value(0), output_field=BigIntegerField()))


def ledger_audit() -> list[str]:
    """Problems found, one sentence each; an empty list means the ledger is exact."""
    problems: list[str] = []
    sums = {
        row["team_id"]: (row["available"] or 0, row["reserved"] or 0)
        for row in CreditTransaction.objects.values("team_id").annotate(
            available=_signed_sum(0), reserved=_signed_sum(1)
        )
    }
    plan_sums = {
        row["team_id"]: row["plan"] or 0
        for row in CreditTransaction.objects.values("team_id").annotate(plan=Sum("plan_amount"))
    }
    pending = {
        row["team_id"]: row["total"] or 0
        for row in CreditReservation.objects.filter(status=ReservationStatus.PENDING)
        .values("team_id")
        .annotate(total=Sum("amount"))
    }
    balances = {b.team_id: b for b in CreditBalance.objects.all()}

    for team_id in sorted(set(sums) | set(balances) | set(pending), key=str):
        balance = balances.get(team_id)
        available, reserved = (balance.available, balance.reserved) if balance else (0, 0)
        ledger_available, ledger_reserved = sums.get(team_id, (0, 0))
        if available != ledger_available:
            problems.append(
                f"team {team_id}: available is {available} but its ledger sums to "
                f"{ledger_available}"
            )
        if reserved != ledger_reserved:
            problems.append(
                f"team {team_id}: reserved is {reserved} but its ledger sums to {ledger_reserved}"
            )
        if reserved != pending.get(team_id, 0):
            problems.append(
                f"team {team_id}: reserved is {reserved} but its pending reservations hold "
                f"{pending.get(team_id, 0)}"
            )
        if balance and balance.subscription_available > balance.available:
            problems.append(f"team {team_id}: subscription credits exceed available credits")
        plan = balance.subscription_available if balance else 0
        if plan != plan_sums.get(team_id, 0):
            problems.append(
                f"team {team_id}: plan credits are {plan} but its ledger's plan part sums to "
                f"{plan_sums.get(team_id, 0)}"
            )
        if balance and plan and not balance.plan_period:
            problems.append(f"team {team_id}: holds {plan} plan credits outside any period")

    stuck = CreditReservation.objects.filter(
        status=ReservationStatus.PENDING, job__finished_at__isnull=False
    ).values_list("job_id", "job__status", "amount")
    for job_id, status, amount in stuck:
        problems.append(f"job {job_id} is {status} but still holds {amount} reserved credits")
    return problems


def ledger_summary() -> dict[str, int]:
    totals = CreditBalance.objects.aggregate(available=Sum("available"), reserved=Sum("reserved"))
    return {
        "teams": CreditBalance.objects.count(),
        "transactions": CreditTransaction.objects.count(),
        "pending_reservations": CreditReservation.objects.filter(
            status=ReservationStatus.PENDING
        ).count(),
        "available": totals["available"] or 0,
        "reserved": totals["reserved"] or 0,
    }
