"""Every change to credits. The team's balance row is changed by ONE conditional
`UPDATE … RETURNING` that also takes its row lock, and the ledger rows are appended in the same
statement on PostgreSQL (by one INSERT right after it on SQLite), so the lock every credit
change of the team queues on is held for one round trip and the commit. Lock order: the job's
reservation (when there is one), then the balance. Ledger rows' unique idempotency keys, and a
reservation's unique job, make a replay change nothing.

Plan credits (`subscription_available`) are the part of `available` that belongs to the current
subscription period (`plan_period`): spent first, expired when the period ends. Every ledger row
records how it moved them (`plan_amount`), and a reservation remembers how much of it was plan
credits of which period, so a release gives plan credits back as plan credits, and plan credits
held across the end of their period expire when they come back.

The services run inside the caller's transaction (they open only a savepoint), so a job's status
change and its credits commit or roll back together."""

import uuid

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from genfans.core.errors import ValidationError
from genfans.core.locks import lock_noted, rows_locked
from genfans.credits.errors import InsufficientCredits
from genfans.credits.models import (
    CreditBalance,
    CreditReservation,
    CreditTransaction,
    Kind,
    ReservationStatus,
)
from genfans.teams.activity import activity_record
from genfans.teams.models import Action


class LedgerError(RuntimeError):
    """A conditional update that must change one row changed none: a bug, never user error."""


def _check_amount(amount: int, *, name: str = "amount") -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValidationError(f"{name} must be a non-negative whole number.", field=name)


def _balance_create(*, team_id) -> None:
    try:
        with transaction.atomic():
            CreditBalance.objects.create(team_id=team_id)
    except IntegrityError:
        pass  # created by a concurrent transaction


def _balance_locked(*, team_id) -> CreditBalance:
    """The team's balance row under `SELECT … FOR UPDATE`, created on first use: for the
    services that must read it before deciding what to write."""
    balance = rows_locked("balance", CreditBalance.objects.filter(team_id=team_id)).first()
    if balance is None:
        _balance_create(team_id=team_id)
        balance = rows_locked("balance", CreditBalance.objects.filter(team_id=team_id)).get()
    return balance


def _balance_update_sql(*, team_id, rows: list[CreditTransaction]) -> tuple[str, list]:
    """The UPDATE of the team's balance by `rows`, which takes its row lock, never goes below
    zero and returns the new values (Django's update() cannot return them, and reading them
    back would be one more round trip under the lock)."""
    d_available = sum(row.available_delta for row in rows)
    d_reserved = sum(row.reserved_delta for row in rows)
    d_plan = sum(row.plan_amount for row in rows)
    sql = (
        f"UPDATE {connection.ops.quote_name(CreditBalance._meta.db_table)} "
        f"SET available = available + %s, reserved = reserved + %s, "
        f"subscription_available = subscription_available + %s, updated_at = %s "
        f"WHERE team_id = %s AND available >= %s AND reserved >= %s "
        f"AND subscription_available >= %s "
        f"RETURNING available, reserved"
    )
    params = [
        d_available,
        d_reserved,
        d_plan,
        connection.ops.adapt_datetimefield_value(timezone.now()),
        CreditBalance._meta.get_field("team").get_db_prep_value(team_id, connection),
        -d_available,
        -d_reserved,
        -d_plan,
    ]
    return sql, params


def _later_effects(rows: list[CreditTransaction]) -> list[tuple[int, int]]:
    """For each row, how much the rows after it move (available, reserved): its balance-after is
    the new balance minus that."""
    effects, available, reserved = [], 0, 0
    for row in reversed(rows):
        effects.append((available, reserved))
        available += row.available_delta
        reserved += row.reserved_delta
    return effects[::-1]


def _apply_in_two_statements(rows: list[CreditTransaction], sql: str, params: list) -> bool:
    """SQLite (one writer at a time, so nobody queues on the lock): the UPDATE, then the INSERT."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchone()
    if returned is None:
        return False
    for row, (later_available, later_reserved) in zip(rows, _later_effects(rows), strict=True):
        row.available_after = returned[0] - later_available
        row.reserved_after = returned[1] - later_reserved
    CreditTransaction.objects.bulk_create(rows)
    return True


AFTER_FIELDS = ("available_after", "reserved_after")


def _cast_type(field) -> str:
    # Text unbounded: a value too long then fails the INSERT instead of being cut by the CAST.
    if isinstance(field, models.CharField | models.TextField):
        return "text"
    return field.db_type(connection)


def _apply_in_one_statement(rows: list[CreditTransaction], sql: str, params: list) -> bool:
    """PostgreSQL: the UPDATE and the INSERT as one statement (a data-modifying CTE), so the
    balance row lock, which every credit change of the team queues on, is held for one round
    trip and the commit."""
    fields = [f for f in CreditTransaction._meta.concrete_fields if f.attname not in AFTER_FIELDS]
    names = [connection.ops.quote_name(f.column) for f in fields]
    columns = ", ".join(names)
    row_sql = "({}, %s, %s)".format(", ".join(f"CAST(%s AS {_cast_type(f)})" for f in fields))
    params = list(params)
    for row, later in zip(rows, _later_effects(rows), strict=True):
        params += [f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in fields]
        params += later
    sql = (
        f"WITH balance AS ({sql}) "
        f"INSERT INTO {connection.ops.quote_name(CreditTransaction._meta.db_table)} "
        f"({columns}, available_after, reserved_after) "
        f"SELECT {', '.join(f'v.{name}' for name in names)}, "
        f"balance.available - v.later_available, balance.reserved - v.later_reserved "
        f"FROM balance, (VALUES {', '.join([row_sql] * len(rows))}) "
        f"AS v ({columns}, later_available, later_reserved) "
        f"RETURNING idempotency_key, available_after, reserved_after"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        after = {key: (available, reserved) for key, available, reserved in cursor.fetchall()}
    if not after:
        return False
    for row in rows:
        row.available_after, row.reserved_after = after[row.idempotency_key]
        row._state.adding, row._state.db = False, connection.alias
    return True


def _apply(*, team_id, rows: list[CreditTransaction]) -> bool:
    """Apply `rows` to the team's balance and append them. False, and nothing changed, when
    they do not fit it (the balance would go below zero)."""
    for row in rows:
        row.team_id = team_id
    lock_noted("balance")  # the UPDATE takes the balance row's lock
    apply = (
        _apply_in_one_statement if connection.vendor == "postgresql" else _apply_in_two_statements
    )
    if apply(rows, *_balance_update_sql(team_id=team_id, rows=rows)):
        return True
    if CreditBalance.objects.filter(team_id=team_id).exists():
        return False
    _balance_create(team_id=team_id)
    return apply(rows, *_balance_update_sql(team_id=team_id, rows=rows))


def _post(*, team_id, **fields) -> CreditTransaction:
    """Apply one ledger row to a balance the caller has locked and checked."""
    row = CreditTransaction(**fields)
    if not _apply(team_id=team_id, rows=[row]):
        raise LedgerError(f"{row.kind} of {row.amount} does not fit the balance of team {team_id}")
    return row


def _key_used(key: str) -> bool:
    return CreditTransaction.objects.filter(idempotency_key=key).exists()


def credits_reserve(*, team, job, amount: int) -> None:
    """Hold `amount` of the team's available credits for `job`, plan credits first. Idempotent
    per job. Raises InsufficientCredits (and changes nothing) when the team has less available."""
    _check_amount(amount)
    if job.team_id != team.pk:
        raise ValueError("The job belongs to another team.")
    try:
        with transaction.atomic():
            # The reservation first: its job is unique, so a replay stops here, before the
            # balance.
            lock_noted("reservation")
            reservation = CreditReservation.objects.create(team_id=team.pk, job=job, amount=amount)
            # Read under the lock: how much of the hold is plan credits depends on the balance.
            balance = _balance_locked(team_id=team.pk)
            if balance.available < amount:
                raise InsufficientCredits(needed=amount, available=balance.available)
            plan = min(balance.subscription_available, amount)
            if plan:
                CreditReservation.objects.filter(pk=reservation.pk).update(
                    plan_amount=plan, plan_period=balance.plan_period
                )
            _post(
                team_id=team.pk,
                kind=Kind.RESERVE,
                amount=amount,
                plan_amount=-plan,
                job=job,
                idempotency_key=f"job:{job.pk}:reserve",
            )
    except IntegrityError:
        if CreditReservation.objects.filter(job_id=job.pk).exists():
            return
        raise


def _resolve(*, job, status: str, charge: int | None) -> int:
    """Resolve the job's pending reservation exactly once; returns the credits charged
    (capture) or released (release). 0 when there is nothing pending."""
    # No savepoint: an error here must roll back the caller's whole transaction anyway (the
    # job's final state and its credits commit together).
    with transaction.atomic(savepoint=False):
        # Whoever changes the reservation from pending resolves it; the others change nothing.
        # Raw for RETURNING: what it held comes back without a query before the update.
        lock_noted("reservation")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {connection.ops.quote_name(CreditReservation._meta.db_table)} "
                f"SET status = %s, captured = CASE WHEN amount < %s THEN amount ELSE %s END, "
                f"resolved_at = %s, updated_at = %s "
                f"WHERE job_id = %s AND status = %s "
                f"RETURNING amount, captured, plan_amount, plan_period",
                [
                    status,
                    charge or 0,
                    charge or 0,
                    *[connection.ops.adapt_datetimefield_value(timezone.now())] * 2,
                    CreditReservation._meta.get_field("job").get_db_prep_value(job.pk, connection),
                    ReservationStatus.PENDING,
                ],
            )
            resolved = cursor.fetchone()
        if resolved is None:
            return 0
        amount, charged, plan, plan_period = resolved
        rest = amount - charged
        # Plan credits are spent first, so what comes back holds the plan credits not spent.
        plan_back = max(plan - charged, 0)
        key = f"job:{job.pk}"
        rows = (
            [
                CreditTransaction(
                    kind=Kind.CAPTURE, amount=charged, job=job, idempotency_key=f"{key}:capture"
                )
            ]
            if charged
            else []
        )
        if rest:
            current = plan_back and _balance_locked(team_id=job.team_id).plan_period == plan_period
            rows.append(
                CreditTransaction(
                    kind=Kind.RELEASE,
                    amount=rest,
                    plan_amount=plan_back if current else 0,
                    job=job,
                    idempotency_key=f"{key}:release",
                )
            )
            if plan_back and not current:
                # Plan credits of a period that has ended since the job took them.
                rows.append(
                    CreditTransaction(
                        kind=Kind.EXPIRE,
                        amount=plan_back,
                        job=job,
                        reference=plan_period,
                        idempotency_key=f"{key}:expire",
                    )
                )
        if rows and not _apply(team_id=job.team_id, rows=rows):
            raise LedgerError(f"the reservation of job {job.pk} does not fit its team's balance")
    return charged if charge is not None else rest


def credits_capture(*, job, amount: int) -> int:
    """Charge min(amount, reserved) of the job's reservation and release the rest.
    Returns the credits charged; 0 (and no change) once the reservation is resolved."""
    _check_amount(amount)
    return _resolve(job=job, status=ReservationStatus.CAPTURED, charge=amount)


def credits_release(*, job) -> int:
    """Give the job's whole pending reservation back. Returns the credits released; 0 when
    it was already captured or released."""
    return _resolve(job=job, status=ReservationStatus.RELEASED, charge=None)


def credits_grant(*, team, amount: int, idempotency_key: str, reference: str = "") -> bool:
    """Add credits that never expire (bought, promotional, the Free grant) once per key.
    Returns False on a replayed key."""
    _check_amount(amount)
    with transaction.atomic():
        _balance_locked(team_id=team.pk)
        if _key_used(idempotency_key):
            return False
        _post(
            team_id=team.pk,
            kind=Kind.GRANT,
            amount=amount,
            idempotency_key=idempotency_key,
            reference=reference,
        )
        return True


def _plan_expire_row(
    balance: CreditBalance, *, key: str, reference: str
) -> list[CreditTransaction]:
    expired = balance.subscription_available
    if not expired:
        return []
    return [
        CreditTransaction(
            kind=Kind.EXPIRE,
            amount=expired,
            plan_amount=-expired,
            idempotency_key=f"{key}:expire",
            reference=reference,
        )
    ]


def _plan_period_set(*, team_id, period: str) -> None:
    CreditBalance.objects.filter(team_id=team_id).update(plan_period=period)


def credits_plan_period_start(
    *, team, period: str, amount: int, idempotency_key: str, reference: str = ""
) -> bool:
    """A new subscription period (`<subscription>:<start>`) was paid or trialled: what is left
    of the previous period's plan credits expires and `amount` plan credits are granted for this
    one. Once per key (False on replay)."""
    _check_amount(amount)
    if not period or not idempotency_key:
        raise ValueError("period and idempotency_key are required")
    with transaction.atomic():
        balance = _balance_locked(team_id=team.pk)
        if _key_used(idempotency_key):
            return False
        expired = _plan_expire_row(balance, key=idempotency_key, reference=reference)
        rows = [
            *expired,
            CreditTransaction(
                kind=Kind.REPLENISH,
                amount=amount,
                plan_amount=amount,
                idempotency_key=idempotency_key,
                reference=reference,
            ),
        ]
        if not _apply(team_id=team.pk, rows=rows):
            raise LedgerError(f"the period {period} does not fit the balance of team {team.pk}")
        _plan_period_set(team_id=team.pk, period=period)
        activity_record(
            action=Action.CREDITS_REPLENISHED,
            team=team,
            metadata={
                "reference": reference,
                "granted": amount,
                "expired": expired[0].amount if expired else 0,
            },
        )
        return True


def credits_plan_top_up(
    *, team, period: str, amount: int, idempotency_key: str, reference: str = ""
) -> bool:
    """More plan credits for the current period (an upgrade's difference), once per key. Nothing
    when `period` is not the team's current one (False)."""
    _check_amount(amount)
    with transaction.atomic():
        balance = _balance_locked(team_id=team.pk)
        if balance.plan_period != period or _key_used(idempotency_key):
            return False
        _post(
            team_id=team.pk,
            kind=Kind.REPLENISH,
            amount=amount,
            plan_amount=amount,
            idempotency_key=idempotency_key,
            reference=reference,
        )
        activity_record(
            action=Action.CREDITS_REPLENISHED,
            team=team,
            metadata={"reference": reference, "granted": amount, "expired": 0},
        )
        return True


def credits_plan_end(*, team, idempotency_key: str, reference: str = "") -> int:
    """The subscription ended: its unused plan credits expire now, and those jobs still hold
    expire when they come back. Returns the credits expired (0 on replay)."""
    with transaction.atomic():
        balance = _balance_locked(team_id=team.pk)
        if _key_used(f"{idempotency_key}:expire") or not balance.plan_period:
            _plan_period_set(team_id=team.pk, period="")
            return 0
        rows = _plan_expire_row(balance, key=idempotency_key, reference=reference)
        if rows and not _apply(team_id=team.pk, rows=rows):
            raise LedgerError(f"the end of {reference} does not fit the balance of team {team.pk}")
        _plan_period_set(team_id=team.pk, period="")
        return rows[0].amount if rows else 0


def credits_refund(*, team, amount: int, idempotency_key: str, reference: str = "") -> int:
    """Take back up to `amount` credits that are not plan credits (a refunded purchase): only
    what is still available; returns what was taken (0 on a replayed key)."""
    _check_amount(amount)
    with transaction.atomic():
        balance = _balance_locked(team_id=team.pk)
        if _key_used(idempotency_key):
            return 0
        taken = min(amount, balance.lasting_available)
        if taken:
            _post(
                team_id=team.pk,
                kind=Kind.REFUND,
                amount=taken,
                idempotency_key=idempotency_key,
                reference=reference,
            )
        return taken


@transaction.atomic(durable=True)
def credits_adjust(
    *, team, amount: int, reason: str, user, idempotency_key: str | None = None
) -> CreditTransaction:
    """A staff correction (positive or negative), with the reason, logged in the activity log.
    A replayed `idempotency_key` returns the original row."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0:
        raise ValidationError("amount must be a non-zero whole number.", field="amount")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("A reason is required.", field="reason")
    key = idempotency_key or f"adjust:{uuid.uuid4()}"
    balance = _balance_locked(team_id=team.pk)
    existing = CreditTransaction.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    if balance.available + amount < 0:
        raise InsufficientCredits(
            "The adjustment would take the balance below zero.",
            needed=-amount,
            available=balance.available,
        )
    # A negative correction takes credits that never expire first, then plan credits.
    plan = min(0, amount + balance.lasting_available) if amount < 0 else 0
    row = _post(
        team_id=team.pk,
        kind=Kind.ADJUST,
        amount=amount,
        plan_amount=plan,
        idempotency_key=key,
        reason=reason,
        created_by=user,
    )
    activity_record(
        action=Action.CREDITS_ADJUSTED,
        team=team,
        user=user,
        metadata={"amount": amount, "reason": reason, "available_after": row.available_after},
    )
    return row


def credits_free_grant(*, team, person_key: str, amount: int) -> bool:
    """The Free plan's one-time credits, once per verified person (`person_key`, whatever team
    they own). False when that person had them already."""
    return credits_grant(
        team=team,
        amount=amount,
        idempotency_key=f"free:{person_key}",
        reference="free grant",
    )
