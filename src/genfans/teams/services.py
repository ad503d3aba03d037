from django.db import transaction

from genfans.billing.models import Plan
from genfans.billing.selectors import FREE_PLAN_CODE
from genfans.teams.activity import activity_record
from genfans.teams.models import Action, Role, Team, TeamMember


def team_create(*, owner, name: str, ip_address: str | None = None) -> Team:
    """Create a team on the free plan owned by `owner`. Runs inside the caller's transaction."""
    team = Team.objects.create(name=name, plan=Plan.objects.get(code=FREE_PLAN_CODE))
    TeamMember.objects.create(team=team, user=owner, role=Role.OWNER)
    activity_record(action=Action.CREATE_TEAM, team=team, user=owner, ip_address=ip_address)
    return team


@transaction.atomic(durable=True)
def team_rename(*, team: Team, user, name: str, ip_address: str | None = None) -> Team:
    team.name = name
    team.save(update_fields=["name", "updated_at"])
    activity_record(
        action=Action.UPDATE_TEAM,
        team=team,
        user=user,
        ip_address=ip_address,
        metadata={"name": name},
    )
    return team
