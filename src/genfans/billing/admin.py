from django.contrib import admin

from genfans.billing.models import Plan


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "monthly_credits",
        "max_concurrent_jobs",
        "queue_priority",
        "max_queued_jobs",
        "price_cents",
        "trial_days",
    ]
