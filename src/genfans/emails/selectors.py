from genfans.emails.models import EmailStatus

# What a page says about an email: "sending" while it is on its way or waiting for a retry.
STATUS_LABELS = {
    EmailStatus.PENDING: "sending",
    EmailStatus.SENDING: "sending",
    EmailStatus.SENT: "sent",
    EmailStatus.FAILED: "failed",
    EmailStatus.CANCELED: "not sent",
}


def email_status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status, "")
