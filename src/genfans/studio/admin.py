from django.contrib import admin

from genfans.studio.models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "type",
        "status",
        "team",
        "credits_reserved",
        "credits_charged",
        "provider",
        "created_at",
    ]
    list_filter = ["status", "type", "provider"]
    search_fields = ["id", "provider_request_id", "team__name"]
    list_select_related = ["team"]
    readonly_fields = [f.name for f in Job._meta.fields]
