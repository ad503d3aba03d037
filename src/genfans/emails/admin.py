from django.contrib import admin

from genfans.emails.models import EmailDelivery


@admin.register(EmailDelivery)
class EmailDeliveryAdmin(admin.ModelAdmin):
    """Read-only: a delivery is a record of what happened; the worker is its only writer."""

    list_display = ("created_at", "kind", "recipient", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("recipient",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
