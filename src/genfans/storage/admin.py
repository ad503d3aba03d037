from django.contrib import admin
from django.utils.html import format_html

from genfans.storage.models import Asset
from genfans.storage.urls import asset_url


class DeletedFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("exempt", "Exempt from retention"), ("deleted", "Deleted")]

    def queryset(self, request, queryset):
        if self.value() == "live":
            return queryset.filter(deleted_at__isnull=True)
        if self.value() == "exempt":
            return queryset.filter(deleted_at__isnull=True, expires_at__isnull=True)
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["storage_key", "kind", "team", "bytes", "expires_at", "deleted_at", "link"]
    list_filter = ["kind", DeletedFilter]
    search_fields = ["storage_key", "team__name"]
    list_select_related = ["team"]
    raw_id_fields = ["team", "job"]
    readonly_fields = ["storage_key", "bytes", "content_type", "link", "created_at"]

    @admin.display(description="File")
    def link(self, obj):
        url = asset_url(obj, expires_in=600)
        if not url:
            return "—"
        return format_html('<a href="{}" target="_blank" rel="noopener">open</a>', url)
