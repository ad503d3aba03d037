from django.contrib import admin

from genfans.teams.models import ActivityLog, Invitation, Team, TeamMember


class ReadOnlyMembers:
    """Members join, change role and leave only through the services (invitations,
    `accounts.memberships`), which keep at least one owner and revoke what a leaver held."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TeamMemberInline(ReadOnlyMembers, admin.TabularInline):
    model = TeamMember
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = fields


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "plan", "subscription_status", "created_at"]
    list_filter = ["plan", "subscription_status"]
    search_fields = ["name", "stripe_customer_id", "stripe_subscription_id"]
    inlines = [TeamMemberInline]
    list_select_related = ["plan"]
    # `subscription_apply` is the only writer of a team's subscription state.
    readonly_fields = [
        "plan",
        "subscription_status",
        "stripe_customer_id",
        "stripe_subscription_id",
        "trial_ends_at",
        "current_period_end",
    ]


@admin.register(TeamMember)
class TeamMemberAdmin(ReadOnlyMembers, admin.ModelAdmin):
    list_display = ["user", "team", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "team__name"]
    list_select_related = ["user", "team"]
    raw_id_fields = ["user", "team"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "team", "role", "status", "is_open", "expires_at", "invited_by"]
    list_filter = ["status", "role"]
    search_fields = ["email", "team__name"]
    list_select_related = ["team", "invited_by"]
    raw_id_fields = ["team", "invited_by"]

    @admin.display(boolean=True, description="Open")
    def is_open(self, obj):
        return obj.is_open


@admin.register(ActivityLog)
class ActivityLogAdmin(admin.ModelAdmin):
    list_display = ["created_at", "action", "team", "user", "ip_address"]
    list_filter = ["action"]
    search_fields = ["team__name", "user__email"]
    list_select_related = ["team", "user"]

    def has_change_permission(self, request, obj=None):
        return False
