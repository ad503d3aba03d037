"""The credit ledger: a cached balance per team, append-only transactions, per-job reservations."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from genfans.core.models import BaseModel


class Kind(models.TextChoices):
    GRANT = "grant", "Grant"
    REPLENISH = "replenish", "Replenish"
    RESERVE = "reserve", "Reserve"
    CAPTURE = "capture", "Capture"
    RELEASE = "release", "Release"
    ADJUST = "adjust", "Adjust"
    EXPIRE = "expire", "Expire"
    # A refunded pack's credits taken back (only what is still unspent).
    REFUND = "refund", "Refund"


# How each kind moves the two balances, per credit of `amount`. `amount` is positive for every
# kind except `adjust`, whose sign says which way it went. The audit sums the ledger with these.
EFFECTS: dict[str, tuple[int, int]] = {
    Kind.GRANT: (1, 0),
    Kind.REPLENISH: (1, 0),
    Kind.RESERVE: (-1, 1),
    Kind.CAPTURE: (0, -1),
    Kind.RELEASE: (1, -1),
    Kind.ADJUST: (1, 0),
    Kind.EXPIRE: (-1, 0),
    Kind.REFUND: (-1, 0),
}


class CreditBalance(BaseModel):
    """A cache of the team's ledger, changed only under its row lock with F() expressions."""

    team = models.OneToOneField(
        "teams.Team", on_delete=models.CASCADE, related_name="credit_balance"
    )
    available = models.BigIntegerField(default=0)
    reserved = models.BigIntegerField(default=0)
    # The part of `available` that is plan credits of the current period: spent first, and what
    # is left of it expires when the period ends. Always <= available; equals the sum of the
    # ledger's `plan_amount`.
    subscription_available = models.BigIntegerField(default=0)
    # The subscription period the plan credits belong to (`<subscription>:<start>`), "" when the
    # team has none. Plan credits a job held across the period's end expire when released.
    plan_period = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(available__gte=0), name="credit_balance_available_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="credit_balance_reserved_non_negative"
            ),
            models.CheckConstraint(
                condition=Q(subscription_available__gte=0)
                & Q(subscription_available__lte=models.F("available")),
                name="credit_balance_subscription_within_available",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.team_id}: {self.available} available, {self.reserved} reserved"

    @property
    def total(self) -> int:
        return self.available + self.reserved

    @property
    def lasting_available(self) -> int:
        """Available credits that never expire (bought, granted by staff, the Free grant)."""
        return self.available - self.subscription_available


class CreditTransaction(BaseModel):
    """One ledger row. Never updated or deleted; the unique key makes every write idempotent."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount = models.BigIntegerField()
    available_after = models.BigIntegerField()
    reserved_after = models.BigIntegerField()
    job = models.ForeignKey(
        "studio.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(max_length=200, blank=True)
    idempotency_key = models.CharField(max_length=200, unique=True)
    # How this row changed the plan credits (`subscription_available`): signed.
    plan_amount = models.BigIntegerField(default=0)
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["team", "-created_at"], name="credit_tx_team_recent"),
            models.Index(fields=["team", "kind", "-created_at"], name="credit_tx_team_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="adjust") | Q(amount__gte=0), name="credit_tx_amount_sign"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} ({self.idempotency_key})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Ledger rows are append-only: write a new row instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Ledger rows are append-only: write a new row instead.")

    @property
    def available_delta(self) -> int:
        return EFFECTS[self.kind][0] * self.amount

    @property
    def reserved_delta(self) -> int:
        return EFFECTS[self.kind][1] * self.amount


class ReservationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CAPTURED = "captured", "Captured"
    RELEASED = "released", "Released"


class CreditReservation(BaseModel):
    """A job's hold on credits: pending until it resolves, exactly once, to captured or released
    (a conditional UPDATE that must change one row, like a two-phase pending transfer)."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    job = models.OneToOneField(
        "studio.Job", on_delete=models.CASCADE, related_name="credit_reservation"
    )
    amount = models.BigIntegerField()
    # The part of `amount` that was plan credits, and the period they belong to.
    plan_amount = models.BigIntegerField(default=0)
    plan_period = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=ReservationStatus.choices, default=ReservationStatus.PENDING
    )
    captured = models.BigIntegerField(default=0)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["team"],
                name="credit_reservation_pending",
                condition=Q(status="pending"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0)
                & Q(captured__gte=0)
                & Q(captured__lte=models.F("amount"))
                & Q(plan_amount__gte=0)
                & Q(plan_amount__lte=models.F("amount")),
                name="credit_reservation_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.amount} ({self.status})"


class SpendLimit(BaseModel):
    """An owner's monthly cap on what one member, or one API key, may spend (captured +
    reserved in the team's billing period). Exactly one of `member` and `api_key` is set."""

    team = models.ForeignKey("teams.Team", on_delete=models.CASCADE, related_name="+")
    member = models.OneToOneField(
        "teams.TeamMember",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="spend_limit",
    )
    api_key = models.OneToOneField(
        "accounts.ApiKey",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="spend_limit",
    )
    monthly_cap = models.PositiveBigIntegerField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(member__isnull=False) & Q(api_key__isnull=True))
                | (Q(member__isnull=True) & Q(api_key__isnull=False)),
                name="spend_limit_one_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member_id or self.api_key_id}: {self.monthly_cap} a month"


class Operation(models.TextChoices):
    MODEL_CREATION = "model_creation", "Model creation"
    MODEL_REFINEMENT = "model_refinement", "Model refinement"
    IMAGE_GENERATION = "image_generation", "Image generation"
    VIDEO_GENERATION = "video_generation", "Video generation"
    FACE_SWAP = "face_swap", "Face swap"


class PricingRule(BaseModel):
    """The price of one operation; `parameters` is read by `credits.calculator`. Edited in admin;
    `updated_at` dates the version a job was priced with."""

    operation = models.CharField(max_length=32, choices=Operation.choices, unique=True)
    parameters = models.JSONField(default=dict)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["operation"]

    def __str__(self) -> str:
        return self.get_operation_display()
