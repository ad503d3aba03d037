from django.conf import settings
from django.db import models

from genfans.core.models import BaseModel


class EmailKind(models.TextChoices):
    INVITATION = "invitation", "Team invitation"
    PASSWORD_RESET = "password_reset", "Password reset"
    EMAIL_VERIFICATION = "email_verification", "Email verification"
    FILES_EXPIRING = "files_expiring", "Files about to expire"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # What it was for had ended before it went out (an invitation revoked, an address
    # verified already): nothing was sent, and nothing will be.
    CANCELED = "canceled", "Not needed"


class EmailDelivery(BaseModel):
    """One email we mean to send, and what became of it. The body is rendered when it is sent,
    never stored: a reset link is a credential, and a verification link must match the address
    the account has at that moment."""

    kind = models.CharField(max_length=32, choices=EmailKind.choices)
    # The address it was (or will be) sent to; the renderer may pick a newer one at send time.
    recipient = models.EmailField()
    subject = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # A worker holds a claim until then; a claim that outlives it (the worker died) lapses.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When a pending delivery's next attempt is due (its task runs then). One still pending
    # well after it lost its task, and the sweep enqueues it again. None once it is claimed.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="email_deliveries",
    )
    team = models.ForeignKey(
        "teams.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="email_deliveries",
    )
    invitation = models.ForeignKey(
        "teams.Invitation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="email_deliveries",
    )

    class Meta:
        verbose_name_plural = "email deliveries"
        indexes = [
            models.Index(fields=["invitation", "-created_at"], name="email_invitation_recent"),
            models.Index(fields=["user", "kind", "-created_at"], name="email_user_kind_recent"),
            models.Index(fields=["status", "next_attempt_at"], name="email_status_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.status})"
