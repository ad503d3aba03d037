"""What pages may say about an email, read from its delivery row and nothing else: no row, no
claim (the caller shows nothing)."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from genfans.emails.models import EmailDelivery, EmailKind, EmailStatus


@dataclass(frozen=True)
class DeliveryState:
    # queued, sending, retrying (an attempt failed, another is due), sent, failed, canceled
    state: str
    recipient: str
    sent_at: datetime | None = None
    next_attempt_at: datetime | None = None

    @property
    def went_out(self) -> bool:
        return self.state == "sent"


def _state_of(delivery: EmailDelivery) -> DeliveryState:
    status = delivery.status
    if status == EmailStatus.PENDING:
        state = "retrying" if delivery.attempts else "queued"
    elif status == EmailStatus.SENDING:
        state = "sending"
    else:
        state = str(status)
    return DeliveryState(
        state=state,
        recipient=delivery.recipient,
        sent_at=delivery.sent_at,
        next_attempt_at=delivery.next_attempt_at if state == "retrying" else None,
    )


def email_delivery_states_for_invitations(*, team, invitation_ids) -> dict:
    """Invitation id → the state of its latest email, for the team's own invitations only; an
    invitation with no delivery is absent."""
    deliveries = (
        EmailDelivery.objects.filter(
            team=team, invitation_id__in=list(invitation_ids), kind=EmailKind.INVITATION
        )
        .order_by("invitation_id", "-created_at")
        .only("invitation_id", "status", "attempts", "recipient", "sent_at", "next_attempt_at")
    )
    states = {}
    for delivery in deliveries:
        states.setdefault(delivery.invitation_id, _state_of(delivery))
    return states


def email_delivery_state_latest_for_user(
    *, user, kind: EmailKind, since: datetime | None = None
) -> DeliveryState | None:
    """The state of the latest email of `kind` to this account (made at or after `since`, when
    given), or None when there is none."""
    if user is None or not user.is_authenticated:
        return None
    since_filter = Q(created_at__gte=since) if since is not None else Q()
    delivery = (
        EmailDelivery.objects.filter(since_filter, user=user, kind=kind)
        .order_by("-created_at")
        .first()
    )
    return _state_of(delivery) if delivery is not None else None
