from django.contrib import admin

from genfans.teams.models import ActivityLog, Invitation, Team, TeamMember


class TeamMemberInline(admin.TabularInline):
    model = TeamMember
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "plan", "subscription_status", "created_at"]
    list_filter = ["plan", "subscription_status"]
    search_fields = ["name", "stripe_customer_id", "stripe_subscription_id"]
    inlines = [TeamMemberInline]
    list_select_related = ["plan"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "team", "role", "status", "expires_at"]
    list_filter = ["status", "role"]
    search_fields = ["email", "team__name"]
    list_select_related = ["team"]


@admin.register(ActivityLog)
class ActivityLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "team", "user", "ip_address"]
    list_filter = ["action"]
    search_fields = ["team__name", "user__email"]
    list_select_related = ["team", "user"]

    def has_change_permission(self, request, obj=None):
        return False
