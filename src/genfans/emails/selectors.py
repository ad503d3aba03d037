from genfans.emails.models import EmailDelivery, EmailKind, EmailStatus


def email_status_by_invitation(*, invitation_ids) -> dict:
    """The status of the latest email of each invitation (ids without one are left out)."""
    statuses = {}
    rows = (
        EmailDelivery.objects.filter(invitation_id__in=list(invitation_ids))
        .order_by("invitation_id", "-created_at")
        .values_list("invitation_id", "status")
    )
    for invitation_id, status in rows:
        statuses.setdefault(invitation_id, status)
    return statuses


def email_delivery_latest_for_user(*, user, kind: EmailKind) -> EmailDelivery | None:
    return EmailDelivery.objects.filter(user=user, kind=kind).order_by("-created_at").first()


def email_status_label(status: str | None) -> str:
    """What a page says about an email: sending while it is on its way or being retried."""
    return {
        EmailStatus.PENDING: "sending",
        EmailStatus.SENDING: "sending",
        EmailStatus.SENT: "sent",
        EmailStatus.FAILED: "failed",
        EmailStatus.CANCELED: "not sent",
    }.get(status, "")
