from django.contrib import admin, messages

from genfans.core.errors import DomainError
from genfans.studio.custom_models import custom_model_archive
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
    """Read-only: models change through their jobs and the team's own services. Staff may
    archive, through the same service as the team (which releases the model's files); the
    change form saves nothing, since the admin wraps it in a transaction those services own."""

    list_display = ["name", "status", "team", "reference_model", "current_version", "created_at"]
    list_filter = ["status"]
    search_fields = ["id", "name", "team__name", "trigger_word"]
    list_select_related = ["team", "reference_model", "current_version"]
    fields = ["name", "status", "team", "reference_model", "trigger_word", "current_version"]
    readonly_fields = fields
    inlines = [ModelVersionInline]
    actions = ["archive"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Archive the selected models (their files then expire)")
    def archive(self, request, queryset):
        for model in queryset.select_related("team"):
            try:
                custom_model_archive(team=model.team, model_id=model.pk)
            except DomainError as error:
                self.message_user(request, f"{model.name}: {error.message}", messages.ERROR)
