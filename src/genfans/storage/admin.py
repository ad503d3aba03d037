from django.contrib import admin

from genfans.storage.models import Asset


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["storage_key", "kind", "team", "bytes", "expires_at", "deleted_at"]
    list_filter = ["kind"]
    search_fields = ["storage_key", "team__name"]
    list_select_related = ["team"]
