from genfans.teams.models import ActivityLog, TeamMember


def membership_get(*, user, team_id=None) -> TeamMember | None:
    """The user's membership in `team_id`, or in their oldest team when no id is given."""
    memberships = TeamMember.objects.select_related("team", "team__plan").filter(user=user)
    if team_id:
        found = memberships.filter(team_id=team_id).first()
        if found:
            return found
    return memberships.order_by("created_at").first()


def member_list_for_team(*, team):
    return (
        TeamMember.objects.filter(team=team, user__deleted_at__isnull=True)
        .select_related("user")
        .order_by("created_at")
    )


def activity_list_for_team(*, team):
    return ActivityLog.objects.filter(team=team).select_related("user").order_by("-created_at")
