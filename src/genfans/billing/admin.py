from django.contrib import admin, messages

from genfans.billing.models import (
    CreditPack,
    CreditPurchase,
    Plan,
    StripeEvent,
    StripeEventStatus,
    SubscriptionPeriod,
    TeamBilling,
    TrialClaim,
)
from genfans.billing.webhooks import stripe_event_process


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    """Prices, allowances and limits are the operator's to tune; a plan's code is what the
    code and Stripe's price lookup keys name it by ("free" above all), so it is fixed once
    the plan exists."""

    list_display = [
        "code",
        "name",
        "monthly_credits",
        "max_concurrent_jobs",
        "queue_priority",
        "max_queued_jobs",
        "price_cents",
        "trial_days",
        "max_image_side",
        "max_video_seconds",
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["stripe_id", "type", "status", "team", "attempts", "created_at"]
    list_filter = ["status", "type", "livemode"]
    search_fields = ["stripe_id", "customer_id", "subscription_id"]
    readonly_fields = [f.name for f in StripeEvent._meta.fields]
    actions = ["process_again"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # The row is how a redelivered event is known to be a replay: deleting it would let
        # Stripe's retry apply the event a second time.
        return False

    @admin.action(description="Process the selected failed or parked events again")
    def process_again(self, request, queryset):
        pending = queryset.filter(
            status__in=[
                StripeEventStatus.FAILED,
                StripeEventStatus.PARKED,
                StripeEventStatus.RECEIVED,
            ]
        )
        results = [
            stripe_event_process(event_id=pk).status for pk in pending.values_list("pk", flat=True)
        ]
        self.message_user(
            request,
            f"Processed {len(results)}: {results.count(StripeEventStatus.PROCESSED)} done.",
            messages.INFO,
        )


class _ReadOnly(admin.ModelAdmin):
    """Written only by the billing services as Stripe's events arrive."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TeamBilling)
class TeamBillingAdmin(_ReadOnly):
    list_display = ["team", "subscription_event_at", "payment_failed_at", "ended_subscription_id"]
    search_fields = ["team__name"]


@admin.register(CreditPack)
class CreditPackAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "credits", "price_cents", "stripe_price_id", "active"]
    list_editable = ["active"]
    ordering = ["sort_order"]


@admin.register(CreditPurchase)
class CreditPurchaseAdmin(admin.ModelAdmin):
    """Read-only: purchases change only through Stripe's events (refund in Stripe, not here)."""

    list_display = [
        "team",
        "pack",
        "status",
        "credits",
        "amount_cents",
        "refunded_cents",
        "credits_taken_back",
        "credits_not_recovered",
        "paid_at",
        "created_at",
    ]
    list_filter = ["status", "pack"]
    search_fields = ["team__name", "stripe_session_id", "stripe_payment_intent_id"]
    list_select_related = ["team", "pack"]
    readonly_fields = [f.name for f in CreditPurchase._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TrialClaim)
class TrialClaimAdmin(_ReadOnly):
    list_display = ["key", "team", "subscription_id", "created_at"]
    search_fields = ["key", "team__name", "subscription_id"]


@admin.register(SubscriptionPeriod)
class SubscriptionPeriodAdmin(_ReadOnly):
    list_display = ["team", "subscription_id", "period_start", "period_end", "plan", "allowance"]
    list_filter = ["trial", "plan"]
    search_fields = ["team__name", "subscription_id"]
    list_select_related = ["team", "plan"]
