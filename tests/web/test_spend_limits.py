"""The pages' cap form hands the service's refusal back as a form error. The pages check that
the person is an owner first; the service checks again, in its transaction, and wins: an owner
demoted (in another tab, by a co-owner) since the page's check sees its message, and nothing
changes."""

from django.test import RequestFactory

from genfans.credits.models import SpendLimit
from genfans.teams.errors import NotTeamOwner
from genfans.teams.models import ActivityLog, Role, TeamMember
from genfans.web.spend_limits import spend_limit_submit


def test_an_owner_demoted_since_the_page_checked_gets_the_services_refusal(team, owner, member):
    request = RequestFactory().post("/dashboard/team", {"monthly_cap": "40"})
    request.team, request.user = team, owner
    TeamMember.objects.filter(team=team, user=owner).update(role=Role.MEMBER)
    activity = ActivityLog.objects.count()

    form, message = spend_limit_submit(request, member_user_id=member.pk)

    assert message == ""
    assert form.errors == {"__all__": [NotTeamOwner.default_message]}
    assert not SpendLimit.objects.exists()
    assert ActivityLog.objects.count() == activity
