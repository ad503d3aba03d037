from django.db import models

from genfans.core.models import BaseModel


class Plan(BaseModel):
    """A subscription plan: its monthly allowance and the job limits it buys."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    monthly_credits = models.PositiveIntegerField()
    max_concurrent_jobs = models.PositiveSmallIntegerField()
    queue_priority = models.SmallIntegerField(default=0)
    max_queued_jobs = models.PositiveSmallIntegerField()
    price_cents = models.PositiveIntegerField(default=0)
    stripe_price_id = models.CharField(max_length=100, blank=True)
    trial_days = models.PositiveSmallIntegerField(default=14)
    features = models.JSONField(default=list, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_paid(self) -> bool:
        return self.price_cents > 0


class StripeEventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    # No team could be matched yet (it arrived before the event that links the team to its
    # Stripe customer); reprocessed as soon as that link is made.
    PARKED = "parked", "Waiting for its team"
    FAILED = "failed", "Failed"


class StripeEvent(BaseModel):
    """The webhook inbox: every verified Stripe event, stored once by its id, with its outcome."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    livemode = models.BooleanField(default=False)
    stripe_created_at = models.DateTimeField(null=True, blank=True)
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=StripeEventStatus.choices, default=StripeEventStatus.RECEIVED
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    team = models.ForeignKey(
        "teams.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    customer_id = models.CharField(max_length=100, blank=True, db_index=True)
    subscription_id = models.CharField(max_length=100, blank=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="stripe_event_status")]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id} ({self.status})"

    @property
    def data_object(self) -> dict:
        return (self.payload.get("data") or {}).get("object") or {}


class TeamBilling(BaseModel):
    """Billing state that is not on `Team` itself (teams/ is another app's model)."""

    team = models.OneToOneField("teams.Team", on_delete=models.CASCADE, related_name="billing")
    # Stripe's `created` of the last subscription event applied: an older event that arrives
    # later must not roll the state back.
    subscription_event_at = models.DateTimeField(null=True, blank=True)
    # A deleted subscription never comes back; late updates for it are ignored.
    ended_subscription_id = models.CharField(max_length=100, blank=True)
    payment_failed_at = models.DateTimeField(null=True, blank=True)
    payment_failed_invoice_id = models.CharField(max_length=100, blank=True)
    # Set when the subscription was canceled to end later (the portal cancels at period end).
    cancels_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"billing of {self.team_id}"
