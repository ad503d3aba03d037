"""Every change to credits. Each service locks the team's balance row first (one fixed order:
balance, then the job's reservation), changes it with F() expressions in a conditional UPDATE,
and appends ledger rows whose unique idempotency keys make a replay change nothing.

reserve/capture/release/grant/replenish run inside the caller's transaction (they open only a
savepoint), so a job's status change and its credits commit or roll back together."""

import uuid

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from genfans.core.errors import ValidationError
from genfans.credits.errors import InsufficientCredits
from genfans.credits.models import (
    EFFECTS,
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


def _balance_locked(*, team_id) -> CreditBalance:
    """The team's balance row under `SELECT … FOR UPDATE`, created on first use."""
    balance = CreditBalance.objects.select_for_update().filter(team_id=team_id).first()
    if balance is None:
        try:
            with transaction.atomic():
                CreditBalance.objects.create(team_id=team_id)
        except IntegrityError:
            pass  # created by a concurrent transaction; its row is ours to lock now
        balance = CreditBalance.objects.select_for_update().get(team_id=team_id)
    return balance


def _post(
    *,
    balance: CreditBalance,
    kind: str,
    amount: int,
    key: str,
    job=None,
    reference: str = "",
    reason: str = "",
    user=None,
) -> CreditTransaction:
    """Apply one ledger row to the locked balance and append it."""
    d_available, d_reserved = (sign * amount for sign in EFFECTS[kind])
    updates = {
        "available": F("available") + d_available,
        "reserved": F("reserved") + d_reserved,
        "updated_at": timezone.now(),
    }
    # Subscription credits are spent first (they are the ones that expire) and never exceed
    # what is available.
    if kind == Kind.RESERVE:
        updates["subscription_available"] = Greatest(F("subscription_available") - amount, 0)
    elif kind == Kind.EXPIRE:
        updates["subscription_available"] = F("subscription_available") - amount
    elif kind == Kind.REPLENISH:
        updates["subscription_available"] = F("subscription_available") + amount
    elif kind == Kind.ADJUST and amount < 0:
        updates["subscription_available"] = Least(
            F("subscription_available"), F("available") + amount
        )
    changed = CreditBalance.objects.filter(
        pk=balance.pk, available__gte=-d_available, reserved__gte=-d_reserved
    ).update(**updates)
    if changed != 1:
        raise LedgerError(f"{kind} of {amount} does not fit the balance of team {balance.team_id}")
    # We hold the row lock, so the values we read are the values we changed.
    balance.available += d_available
    balance.reserved += d_reserved
    return CreditTransaction.objects.create(
        team_id=balance.team_id,
        kind=kind,
        amount=amount,
        available_after=balance.available,
        reserved_after=balance.reserved,
        job=job,
        reference=reference,
        idempotency_key=key,
        reason=reason,
        created_by=user,
    )


def _key_used(key: str) -> bool:
    return CreditTransaction.objects.filter(idempotency_key=key).exists()


def credits_reserve(*, team, job, amount: int) -> None:
    """Hold `amount` of the team's available credits for `job`. Idempotent per job.
    Raises InsufficientCredits (and changes nothing) when the team has less available."""
    _check_amount(amount)
    if job.team_id != team.pk:
        raise ValueError("The job belongs to another team.")
    with transaction.atomic():
        balance = _balance_locked(team_id=team.pk)
        if CreditReservation.objects.filter(job_id=job.pk).exists():
            return
        if balance.available < amount:
            raise InsufficientCredits(needed=amount, available=balance.available)
        _post(
            balance=balance, kind=Kind.RESERVE, amount=amount, key=f"job:{job.pk}:reserve", job=job
        )
        CreditReservation.objects.create(team_id=team.pk, job=job, amount=amount)


def _resolve(*, job, status: str, charge: int | None) -> int:
    """Resolve the job's pending reservation exactly once; returns the credits charged
    (capture) or released (release). 0 when there is nothing pending."""
    with transaction.atomic():
        balance = _balance_locked(team_id=job.team_id)
        reservation = CreditReservation.objects.filter(
            job_id=job.pk, status=ReservationStatus.PENDING
        ).first()
        if reservation is None:
            return 0
        charged = 0 if charge is None else min(charge, reservation.amount)
        resolved = CreditReservation.objects.filter(
            pk=reservation.pk, status=ReservationStatus.PENDING
        ).update(status=status, captured=charged, resolved_at=timezone.now())
        if resolved != 1:
            return 0
        if charged:
            _post(
                balance=balance,
                kind=Kind.CAPTURE,
                amount=charged,
                key=f"job:{job.pk}:capture",
                job=job,
            )
        rest = reservation.amount - charged
        if rest:
            _post(
                balance=balance,
                kind=Kind.RELEASE,
                amount=rest,
                key=f"job:{job.pk}:release",
                job=job,
            )
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


def credits_grant(
    *, team, amount: int, idempotency_key: str, reference: str = "", kind: str = Kind.GRANT
) -> bool:
    """Add credits once per key. `kind="replenish"` marks them subscription credits (they expire
    at the next renewal). Returns False on a replayed key."""
    _check_amount(amount)
    if kind not in (Kind.GRANT, Kind.REPLENISH):
        raise ValueError(f"credits_grant cannot write {kind!r} rows")
    with transaction.atomic():
        balance = _balance_locked(team_id=team.pk)
        if _key_used(idempotency_key):
            return False
        _post(balance=balance, kind=kind, amount=amount, key=idempotency_key, reference=reference)
        return True


def credits_replenish(*, team, amount: int, invoice_id: str) -> bool:
    """A new billing period paid by `invoice_id`: the unused subscription credits expire and
    `amount` subscription credits are granted. Once per invoice (False on replay)."""
    _check_amount(amount)
    if not invoice_id:
        raise ValueError("invoice_id is required")
    key = f"invoice:{invoice_id}"
    with transaction.atomic():
        balance = _balance_locked(team_id=team.pk)
        if _key_used(key):
            return False
        expired = min(balance.subscription_available, balance.available)
        if expired:
            _post(
                balance=balance,
                kind=Kind.EXPIRE,
                amount=expired,
                key=f"{key}:expire",
                reference=invoice_id,
            )
        _post(balance=balance, kind=Kind.REPLENISH, amount=amount, key=key, reference=invoice_id)
        activity_record(
            action=Action.CREDITS_REPLENISHED,
            team=team,
            metadata={"invoice_id": invoice_id, "granted": amount, "expired": expired},
        )
        return True


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
    row = _post(balance=balance, kind=Kind.ADJUST, amount=amount, key=key, reason=reason, user=user)
    activity_record(
        action=Action.CREDITS_ADJUSTED,
        team=team,
        user=user,
        metadata={"amount": amount, "reason": reason, "available_after": row.available_after},
    )
    return row


def credits_signup_grant(*, team) -> bool:
    """The free plan's one-time credits for a new team (called by `teams.services.team_create`)."""
    return credits_grant(
        team=team,
        amount=team.plan.monthly_credits,
        idempotency_key=f"team:{team.pk}:signup",
        reference="signup",
    )
