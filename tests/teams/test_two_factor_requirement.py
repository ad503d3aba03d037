"""A team that requires two-factor sign-in: members without it are sent to set it up (pages) or
refused (session API calls); API keys keep working; other teams are not affected."""

import pytest
from django.test import Client

from genfans.accounts.errors import TwoFactorNotEnabled, TwoFactorRequiredByTeam
from genfans.accounts.memberships import team_member_remove
from genfans.accounts.two_factor import team_two_factor_require, two_factor_disable
from genfans.teams.errors import NotTeamOwner
from genfans.teams.models import Action, ActivityLog, Team
from tests.factories import PASSWORD, make_api_key, make_member, make_user
from tests.two_factor_helpers import enable_two_factor, next_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(team):
    return make_member(team=team, email="member@example.com")


@pytest.fixture
def required(team, owner):
    enable_two_factor(owner)
    return team_two_factor_require(team=team, user=owner, required=True)


def test_an_owner_without_two_factor_cannot_require_it(team, owner):
    with pytest.raises(TwoFactorNotEnabled):
        team_two_factor_require(team=team, user=owner, required=True)
    assert not Team.objects.get(pk=team.pk).two_factor_required
    assert not ActivityLog.objects.filter(team=team, action=Action.UPDATE_TEAM).exists()


def test_a_member_cannot_require_it(team, member):
    enable_two_factor(member)
    with pytest.raises(NotTeamOwner):
        team_two_factor_require(team=team, user=member, required=True)
    assert not Team.objects.get(pk=team.pk).two_factor_required


def test_requiring_it_is_logged_once(team, owner, required):
    team_two_factor_require(team=team, user=owner, required=True)
    assert Team.objects.get(pk=team.pk).two_factor_required
    log = ActivityLog.objects.get(team=team, action=Action.UPDATE_TEAM)
    assert log.metadata == {"two_factor_required": True} and log.user == owner


def test_a_member_without_two_factor_is_sent_to_the_security_page(client, team, member, required):
    client.force_login(member)
    for url in ("/dashboard/", "/dashboard/team", "/dashboard/jobs"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/dashboard/security#two-factor"
    page = client.get("/dashboard/security")
    assert page.status_code == 200 and b"requires two-factor sign-in" in page.content
    enable_two_factor(member)
    assert client.get("/dashboard/team").status_code == 200


def test_a_member_with_two_factor_cannot_turn_it_off_while_required(team, member, required):
    device, _ = enable_two_factor(member)
    with pytest.raises(TwoFactorRequiredByTeam):
        two_factor_disable(user=member, password=PASSWORD, code=next_code(device))


def test_session_api_calls_are_refused_but_api_keys_keep_working(team, owner, member, required):
    client = Client()
    client.force_login(member)
    for url in ("/api/team", "/api/credits/balance", "/api/jobs"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["error"]["code"] == "two_factor_setup_required"
    # The account itself stays reachable, so the member can still manage it.
    assert client.get("/api/user").status_code == 200
    key = make_api_key(team=team, user=owner)
    response = Client().get("/api/team", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200 and response.json()["two_factor_required"] is True


def test_a_removed_member_and_another_team_are_not_affected(client, team, owner, member, required):
    other_team_owner = make_user(email="other@example.com")
    client.force_login(other_team_owner)
    assert client.get("/dashboard/team").status_code == 200
    team_member_remove(team=team, user=owner, member_user_id=member.id)
    member_client = Client()
    member_client.force_login(member)
    assert member_client.get("/dashboard/").status_code == 302
    assert member_client.get("/dashboard/")["Location"] != "/dashboard/security#two-factor"


def test_team_page_toggle(client, team, owner):
    client.force_login(owner)
    response = client.post("/dashboard/team/two-factor", {"required": "on"})
    assert response.status_code == 302
    assert not Team.objects.get(pk=team.pk).two_factor_required
    enable_two_factor(owner)
    client.post("/dashboard/team/two-factor", {"required": "on"})
    assert Team.objects.get(pk=team.pk).two_factor_required
    assert b"Require two-factor sign-in for every member" in client.get("/dashboard/team").content
    client.post("/dashboard/team/two-factor", {})
    assert not Team.objects.get(pk=team.pk).two_factor_required


def test_api_toggle_refuses_an_owner_without_two_factor(team, owner):
    client = Client()
    client.force_login(owner)
    response = client.put(
        "/api/team/two-factor", {"required": True}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "two_factor_not_enabled"
    enable_two_factor(owner)
    response = client.put(
        "/api/team/two-factor", {"required": True}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["two_factor_required"] is True
