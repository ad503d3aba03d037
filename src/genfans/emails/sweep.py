"""The sweep: deliveries whose task was lost are enqueued again. It runs every minute from
the scheduler (settings.PERIODIC_TASKS)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.tasks import task
from django.utils import timezone

from genfans.core.transactions import enqueue_on_commit
from genfans.emails.models import EmailDelivery, EmailStatus
from genfans.emails.services import MAX_ATTEMPTS
from genfans.emails.tasks import email_delivery_send_task

# How late a due attempt may start before its task counts as lost: well past a busy queue's
# wait, so a task that is merely waiting is rarely doubled (and a double sends nothing twice).
SWEEP_GRACE = timedelta(minutes=5)
SWEEP_BATCH = 200


@dataclass(frozen=True)
class SweepResult:
    requeued: list[str]  # ids enqueued again
    abandoned: int  # lapsed on their last attempt: failed, not retried

    def as_dict(self) -> dict[str, int]:
        return {"requeued": len(self.requeued), "abandoned": self.abandoned}


@transaction.atomic(durable=True)
def email_deliveries_sweep(*, now: datetime | None = None, limit: int = SWEEP_BATCH) -> SweepResult:
    """Enqueue again, at most `limit` of them, the deliveries whose task was lost: pending well
    past their due time (the worker died between commit and enqueue, or the task row was
    pruned), or claimed by a worker whose claim lapsed (it died while sending). Each row moves
    by a conditional update, so a concurrent sweep or claim finds nothing to do; the send itself
    stays behind the claim, so however many tasks a row has, it is sent once."""
    now = timezone.now() if now is None else now
    overdue = Q(status=EmailStatus.PENDING, next_attempt_at__lt=now - SWEEP_GRACE)
    lapsed = Q(status=EmailStatus.SENDING, claimed_until__lt=now)
    candidates = (
        EmailDelivery.objects.filter(overdue | lapsed)
        .order_by(Coalesce("next_attempt_at", "claimed_until"))
        .values_list("pk", "status", "attempts")[:limit]
    )
    requeued, abandoned = [], 0
    for pk, status, attempts in list(candidates):
        rows = EmailDelivery.objects.filter(overdue if status == EmailStatus.PENDING else lapsed)
        rows = rows.filter(pk=pk, attempts=attempts)
        if status == EmailStatus.SENDING and attempts >= MAX_ATTEMPTS:
            abandoned += rows.update(
                status=EmailStatus.FAILED,
                claimed_until=None,
                last_error=f"The worker stopped during attempt {attempts}; not retried.",
                updated_at=now,
            )
            continue
        # Due now, so the next sweep leaves it alone for another grace period.
        fields = {"next_attempt_at": now, "updated_at": now}
        if status == EmailStatus.SENDING:
            fields |= {
                "status": EmailStatus.PENDING,
                "claimed_until": None,
                "last_error": f"The worker stopped during attempt {attempts}.",
            }
        if rows.update(**fields):
            enqueue_on_commit(email_delivery_send_task, str(pk))
            requeued.append(str(pk))
    return SweepResult(requeued=requeued, abandoned=abandoned)


@task()
def email_deliveries_sweep_task() -> dict[str, int]:
    return email_deliveries_sweep().as_dict()
