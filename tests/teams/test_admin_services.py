"""Staff cannot change what only the services write: a team's subscription state and its
members (whose last owner must stay)."""

import pytest

from genfans.billing.models import Plan
from genfans.billing.seed import seed_plans
from genfans.teams.models import Role, SubscriptionStatus, TeamMember

pytestmark = pytest.mark.django_db


def seed_plans_and_get_pro() -> Plan:
    seed_plans()
    return Plan.objects.get(code="pro")


def change_form(team):
    return f"/admin/teams/team/{team.pk}/change/"


def test_the_change_form_cannot_edit_plan_or_status(staff_client, team):
    pro = seed_plans_and_get_pro()
    owner = TeamMember.objects.get(team=team)
    response = staff_client.post(
        change_form(team),
        {
            "name": "Renamed",
            "plan": pro.pk,
            "subscription_status": SubscriptionStatus.ACTIVE,
            "stripe_subscription_id": "sub_forged",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": owner.pk,
            "memberships-0-team": team.pk,
            "memberships-0-DELETE": "on",
        },
    )

    assert response.status_code == 302
    team.refresh_from_db()
    assert team.name == "Renamed"
    assert team.plan.code == "free"
    assert team.subscription_status == SubscriptionStatus.NONE
    assert team.stripe_subscription_id == ""
    # The inline cannot delete the team's last owner (nor any member).
    assert TeamMember.objects.filter(team=team, role=Role.OWNER).count() == 1


def test_members_cannot_be_deleted_or_edited_in_their_own_admin(staff_client, team):
    member = TeamMember.objects.get(team=team)

    delete = staff_client.post(f"/admin/teams/teammember/{member.pk}/delete/", {"post": "yes"})
    change = staff_client.post(
        f"/admin/teams/teammember/{member.pk}/change/", {"role": Role.MEMBER}
    )

    assert delete.status_code == 403
    assert change.status_code == 403
    member.refresh_from_db()
    assert member.role == Role.OWNER
