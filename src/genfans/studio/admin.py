from django.contrib import admin

from genfans.studio.models import CustomModel, Job, ModelVersion


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


class ModelVersionInline(admin.TabularInline):
    model = ModelVersion
    fk_name = "model"
    extra = 0
    can_delete = False
    fields = ["number", "kind", "status", "parent", "instructions", "weights", "job", "created_at"]
    readonly_fields = fields
    show_change_link = False


@admin.register(CustomModel)
class CustomModelAdmin(admin.ModelAdmin):
    """Read-mostly: models change through their jobs; staff may rename or archive."""

    list_display = ["name", "status", "team", "reference_model", "current_version", "created_at"]
    list_filter = ["status"]
    search_fields = ["id", "name", "team__name", "trigger_word"]
    list_select_related = ["team", "reference_model", "current_version"]
    fields = ["name", "status", "team", "reference_model", "trigger_word", "current_version"]
    readonly_fields = ["team", "reference_model", "trigger_word", "current_version"]
    inlines = [ModelVersionInline]
