from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from genfans.accounts.models import ApiKey, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["-created_at"]
    list_display = ["email", "name", "is_staff", "created_at", "deleted_at"]
    list_filter = [
        "is_staff",
        "is_superuser",
        "is_active",
        ("deleted_at", admin.EmptyFieldListFilter),
    ]
    search_fields = ["email", "name"]
    readonly_fields = ["created_at", "last_login", "deleted_at", "session_epoch"]
    fieldsets = [
        (None, {"fields": ["email", "name", "password"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["created_at", "last_login", "deleted_at", "session_epoch"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "password1", "password2"]})]

    def get_queryset(self, request):
        return User.all_objects.all()


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "team", "created_at", "last_used_at", "revoked_at"]
    search_fields = ["name", "prefix", "team__name"]
    readonly_fields = ["prefix", "hash", "created_at", "last_used_at"]
    list_select_related = ["team"]
