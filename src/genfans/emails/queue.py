"""What other apps call: record an email in the caller's transaction, send it after commit."""

from genfans.core.transactions import enqueue_on_commit
from genfans.emails.models import EmailDelivery, EmailKind
from genfans.emails.services import email_delivery_create
from genfans.emails.tasks import email_delivery_send_task


def email_send_on_commit(
    *, kind: EmailKind, recipient: str, user=None, team=None, invitation=None
) -> EmailDelivery:
    delivery = email_delivery_create(
        kind=kind, recipient=recipient, user=user, team=team, invitation=invitation
    )
    enqueue_on_commit(email_delivery_send_task, str(delivery.pk))
    return delivery
