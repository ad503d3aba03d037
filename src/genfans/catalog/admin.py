from django.contrib import admin
from django.utils.html import format_html

from genfans.catalog.models import ReferenceModel
from genfans.catalog.seed import reference_model_thumbnail_generate


@admin.register(ReferenceModel)
class ReferenceModelAdmin(admin.ModelAdmin):
    list_display = ["preview", "name", "category", "sort_order", "is_active"]
    list_display_links = ["preview", "name"]
    list_filter = ["category", "is_active"]
    list_editable = ["sort_order", "is_active"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["preview", "thumbnail_generated"]
    actions = ["redraw_thumbnails"]
    fields = [
        "name",
        "slug",
        "category",
        "is_active",
        "sort_order",
        "description",
        "base_prompt",
        "attributes",
        "thumbnail",
        "preview",
        "thumbnail_generated",
    ]

    @admin.display(description="Thumbnail")
    def preview(self, obj):
        if not obj.thumbnail:
            return "—"
        return format_html(
            '<img src="{}" alt="" style="height:64px;border-radius:6px">', obj.thumbnail.url
        )

    def save_model(self, request, obj, form, change):
        if "thumbnail" in form.changed_data:
            # A real image from staff: `genfans seed` must never draw over it.
            obj.thumbnail_generated = False
        super().save_model(request, obj, form, change)

    @admin.action(description="Replace thumbnails with generated ones")
    def redraw_thumbnails(self, request, queryset):
        for model in queryset:
            reference_model_thumbnail_generate(model=model)
        self.message_user(request, f"Drew {len(queryset)} thumbnails.")
