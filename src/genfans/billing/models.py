from django.conf import settings
from django.db import models

from genfans.core.models import BaseModel


class Plan(BaseModel):
    """A subscription plan: its monthly allowance, the job limits it buys and its entitlements
    (which operations it may run and how large), read by `billing.entitlements`, by the
    services before anything is reserved, and by `/pricing`."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    monthly_credits = models.PositiveIntegerField()
    max_concurrent_jobs = models.PositiveSmallIntegerField()
    queue_priority = models.SmallIntegerField(default=0)
    max_queued_jobs = models.PositiveSmallIntegerField()
    price_cents = models.PositiveIntegerField(default=0)
    stripe_price_id = models.CharField(max_length=100, blank=True)
    trial_days = models.PositiveSmallIntegerField(default=14)
    # Entitlements: the job types the plan may run, the longest image side, the longest video.
    operations = models.JSONField(default=list, blank=True)
    max_image_side = models.PositiveIntegerField(default=1024)
    max_video_seconds = models.PositiveSmallIntegerField(default=0)
    tagline = models.CharField(max_length=120, blank=True)
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
    # Signed, but not the shape we read: kept with the reason, nothing granted from it.
    MALFORMED = "malformed", "Malformed"


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
    # Start of the current billing period (spend limits count from here; calendar month on Free).
    current_period_start = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"billing of {self.team_id}"


class TrialClaim(BaseModel):
    """One row per scope that has had its one trial: `team:<id>` and `person:<email hash>` for
    each owner. The unique key makes "at most one trial, ever" hold under races, after a
    cancel, a plan switch or a new Stripe customer."""

    key = models.CharField(max_length=100, unique=True)
    team = models.ForeignKey(
        "teams.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subscription_id = models.CharField(max_length=100, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"trial {self.key} ({self.subscription_id or 'no subscription'})"


class SubscriptionPeriod(BaseModel):
    """A paid or trialled period of a subscription and the allowance granted for it: plan
    credits are granted once per (subscription, period), an upgrade adds the difference once."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    subscription_id = models.CharField(max_length=100)
    period_start = models.DateTimeField()
    period_end = models.DateTimeField(null=True, blank=True)
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    allowance = models.PositiveIntegerField(default=0)
    trial = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscription_id", "period_start"], name="subscription_period_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} from {self.period_start:%Y-%m-%d}: {self.allowance}"

    @property
    def key(self) -> str:
        return f"{self.subscription_id}:{int(self.period_start.timestamp())}"


class CreditPack(BaseModel):
    """A one-off purchase of credits that never expire (a top-up)."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    credits = models.PositiveIntegerField()
    price_cents = models.PositiveIntegerField()
    stripe_price_id = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["sort_order"]

    def __str__(self) -> str:
        return self.name


class PurchaseStatus(models.TextChoices):
    PENDING = "pending", "Awaiting payment"
    PAID = "paid", "Paid"
    REFUNDED = "refunded", "Refunded"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"


class CreditPurchase(BaseModel):
    """A pack bought by a team through one Checkout Session (its id makes the grant once)."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    pack = models.ForeignKey(CreditPack, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    credits = models.PositiveIntegerField()
    amount_cents = models.PositiveIntegerField()
    stripe_session_id = models.CharField(max_length=255, unique=True)
    stripe_payment_intent_id = models.CharField(max_length=255, blank=True, db_index=True)
    status = models.CharField(
        max_length=24, choices=PurchaseStatus.choices, default=PurchaseStatus.PENDING
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    refunded_cents = models.PositiveIntegerField(default=0)
    credits_taken_back = models.PositiveIntegerField(default=0)
    # Refunded credits that had already been spent, so could not be taken back.
    credits_not_recovered = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["team", "-created_at"], name="credit_purchase_recent")]

    def __str__(self) -> str:
        return f"{self.pack} for {self.team_id} ({self.status})"
