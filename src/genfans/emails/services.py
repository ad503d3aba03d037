"""Email deliveries: a row per email, claimed by a conditional update, sent outside any
transaction, retried with backoff up to a limit. `emails.sweep` enqueues again what lost its
task."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db.models import F, Q
from django.utils import timezone

from genfans.emails.kinds import email_render
from genfans.emails.models import EmailDelivery, EmailKind, EmailStatus

MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=1)
# Longer than an SMTP conversation can take (the backend times out after 10 s).
CLAIM_FOR = timedelta(minutes=5)


def _backoff(attempts: int) -> timedelta:
    return min(RETRY_BASE * 2 ** (attempts - 1), RETRY_MAX)


def email_delivery_create(
    *, kind: EmailKind, recipient: str, user=None, team=None, invitation=None
) -> EmailDelivery:
    """The row, in the caller's transaction; `emails.queue.email_send_on_commit` also sends it."""
    return EmailDelivery.objects.create(
        kind=kind,
        recipient=recipient,
        user=user,
        team=team,
        invitation=invitation,
        next_attempt_at=timezone.now(),
    )


@dataclass(frozen=True)
class SendOutcome:
    status: EmailStatus | None  # None: another run had it, or it was done already
    retry_at: datetime | None = None


def _claim(delivery_id, *, now) -> bool:
    lapsed = Q(status=EmailStatus.SENDING, claimed_until__lt=now)
    return bool(
        EmailDelivery.objects.filter(Q(status=EmailStatus.PENDING) | lapsed, pk=delivery_id)
        .filter(attempts__lt=MAX_ATTEMPTS)
        .update(
            status=EmailStatus.SENDING,
            attempts=F("attempts") + 1,
            claimed_until=now + CLAIM_FOR,
            next_attempt_at=None,
            updated_at=now,
        )
    )


def _settle(delivery: EmailDelivery, **fields) -> None:
    # Only the claim this run holds: had it lapsed and been taken again, the newer attempt
    # (attempts moved on) is the one to record.
    EmailDelivery.objects.filter(
        pk=delivery.pk, status=EmailStatus.SENDING, attempts=delivery.attempts
    ).update(claimed_until=None, updated_at=timezone.now(), **fields)


def email_delivery_send(*, delivery_id) -> SendOutcome:
    """Send one delivery at most once. Not atomic on purpose: the claim and the outcome are
    one statement each, and no transaction stays open while we talk to the mail server. A run
    that finds the row sent, failed, or claimed by another worker does nothing."""
    now = timezone.now()
    if not _claim(delivery_id, now=now):
        return SendOutcome(status=None)
    delivery = EmailDelivery.objects.select_related("user", "invitation").get(pk=delivery_id)
    content = email_render(delivery)
    if content is None:
        _settle(delivery, status=EmailStatus.CANCELED)
        return SendOutcome(status=EmailStatus.CANCELED)
    try:
        send_mail(
            subject=content.subject,
            message=content.body,
            from_email=None,
            recipient_list=[content.recipient],
        )
    except Exception as exc:  # noqa: BLE001 - any failure of the mail server is recorded
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            _settle(delivery, status=EmailStatus.FAILED, last_error=error)
            return SendOutcome(status=EmailStatus.FAILED)
        retry_at = timezone.now() + _backoff(delivery.attempts)
        _settle(delivery, status=EmailStatus.PENDING, last_error=error, next_attempt_at=retry_at)
        return SendOutcome(status=EmailStatus.PENDING, retry_at=retry_at)
    _settle(
        delivery,
        status=EmailStatus.SENT,
        recipient=content.recipient,
        subject=content.subject,
        sent_at=timezone.now(),
    )
    return SendOutcome(status=EmailStatus.SENT)


def email_deliveries_scrub(*, user, email: str, replacement: str) -> int:
    """A deleted person's address leaves the deliveries made to it. Runs in the caller's
    transaction."""
    return EmailDelivery.objects.filter(Q(user=user) | Q(recipient__iexact=email)).update(
        recipient=replacement, updated_at=timezone.now()
    )
