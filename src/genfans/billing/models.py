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
