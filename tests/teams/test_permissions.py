"""The role matrix: every team action as the owner, a member, and another team's owner."""

import pytest
from django.test import Client

from genfans.accounts.models import ApiKey
from genfans.teams.models import ActivityLog, Invitation, InvitationStatus, Role, TeamMember
from tests.factories import make_api_key, make_member

pytestmark = pytest.mark.django_db

JSON = "application/json"


@pytest.fixture
def target(team, owner):
    """Objects of the owner's team that the actions work on."""
    victim = make_member(team=team, email="victim@example.com")
    invitation = Invitation.objects.create(team=team, email="invitee@example.com", invited_by=owner)
    make_api_key(team=team, user=owner, name="ci")
    return {
        "victim": victim,
        "invitation": invitation,
        "api_key": ApiKey.objects.get(team=team),
    }


def _state(team):
    return {
        "name": type(team).objects.get(pk=team.pk).name,
        "members": sorted(TeamMember.objects.filter(team=team).values_list("user__email", "role")),
        "invitations": sorted(
            Invitation.objects.filter(team=team).values_list("email", "status", "role")
        ),
        "keys": sorted(ApiKey.objects.filter(team=team).values_list("name", "revoked_at")),
    }


ACTIONS = {
    "rename_team": lambda t: ("patch", "/api/team", {"name": "Renamed"}),
    "invite": lambda t: ("post", "/api/team/invitations", {"email": "new@example.com"}),
    "revoke_invitation": lambda t: (
        "delete",
        f"/api/team/invitations/{t['invitation'].id}",
        None,
    ),
    "change_role": lambda t: (
        "patch",
        f"/api/team/members/{t['victim'].id}",
        {"role": "owner"},
    ),
    "remove_member": lambda t: ("delete", f"/api/team/members/{t['victim'].id}", None),
    "create_api_key": lambda t: ("post", "/api/api-keys", {"name": "deploy"}),
    "revoke_api_key": lambda t: ("delete", f"/api/api-keys/{t['api_key'].id}", None),
}
# Actions naming an object of the team: another team's owner must not even see it exists.
OBJECT_ACTIONS = {"revoke_invitation", "change_role", "remove_member", "revoke_api_key"}
OWNER_STATUS = {
    "rename_team": 200,
    "invite": 201,
    "revoke_invitation": 204,
    "change_role": 200,
    "remove_member": 204,
    "create_api_key": 201,
    "revoke_api_key": 204,
}


def _call(client, action, target):
    method, url, body = ACTIONS[action](target)
    kwargs = {"content_type": JSON}
    if body is not None:
        kwargs["data"] = body
    return getattr(client, method)(url, **kwargs)


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_owner_may(action, owner_client, team, target):
    before = ActivityLog.objects.filter(team=team).count()
    response = _call(owner_client, action, target)
    assert response.status_code == OWNER_STATUS[action], response.content
    assert ActivityLog.objects.filter(team=team).count() == before + 1


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_member_gets_403_and_nothing_changes(action, client_factory, team, target):
    member = make_member(team=team, email="plain@example.com")
    before = _state(team)
    response = _call(client_factory(member), action, target)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_team_owner"
    assert _state(team) == before


@pytest.mark.parametrize("action", sorted(OBJECT_ACTIONS))
def test_other_team_owner_gets_404_and_nothing_changes(
    action, client_factory, other_owner, team, target
):
    before = _state(team)
    response = _call(client_factory(other_owner), action, target)
    assert response.status_code == 404
    assert response.json()["error"]["code"].endswith("not_found")
    assert _state(team) == before


@pytest.mark.parametrize("action", sorted(set(ACTIONS) - OBJECT_ACTIONS))
def test_other_team_owner_acts_on_their_own_team_only(
    action, client_factory, other_owner, other_team, team, target
):
    before = _state(team)
    response = _call(client_factory(other_owner), action, target)
    assert response.status_code in (200, 201)
    assert _state(team) == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_api_key_callers_cannot_manage_the_team(action, client, team, target, owner):
    raw = make_api_key(team=team, user=owner, name="bot")
    before = _state(team)
    method, url, body = ACTIONS[action](target)
    kwargs = {"content_type": JSON, "headers": {"Authorization": f"Bearer {raw}"}}
    if body is not None:
        kwargs["data"] = body
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == 403
    assert _state(team) == before


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_visitors_get_401(action, client, target):
    assert _call(client, action, target).status_code == 401


def test_everyone_in_the_team_can_read_it(client_factory, team, member, owner):
    for user in (owner, member):
        c = client_factory(user)
        body = c.get("/api/team").json()
        assert body["id"] == str(team.id)
        assert {m["email"] for m in body["members"]} == {"owner@example.com", "member@example.com"}
        assert c.get("/api/team/members").status_code == 200
        assert c.get("/api/team/invitations").status_code == 200
        assert c.get("/api/team/activity").status_code == 200
        assert c.get("/api/api-keys").status_code == 200
    roles = dict(TeamMember.objects.filter(team=team).values_list("user__email", "role"))
    assert roles == {"owner@example.com": Role.OWNER, "member@example.com": Role.MEMBER}


def test_invitation_revoke_marks_it_revoked(owner_client, target):
    owner_client.delete(f"/api/team/invitations/{target['invitation'].id}")
    target["invitation"].refresh_from_db()
    assert target["invitation"].status == InvitationStatus.REVOKED


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/team/invitations", {"email": "x@example.com"}),  # a team endpoint
        ("patch", "/api/user", {"name": "Mallory"}),  # an account endpoint
    ],
)
def test_a_session_write_without_the_token_is_csrf_failed(owner, method, url, body):
    c = Client(enforce_csrf_checks=True)
    c.force_login(owner)

    response = getattr(c, method)(url, body, content_type=JSON)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"
    assert "X-CSRFToken" in response.json()["error"]["message"]
    assert Invitation.objects.count() == 0
    owner.refresh_from_db()
    assert owner.name != "Mallory"


def test_session_writes_need_the_csrf_token(owner):
    c = Client(enforce_csrf_checks=True)
    c.force_login(owner)
    response = c.post("/api/team/invitations", {"email": "x@example.com"}, content_type=JSON)
    assert response.status_code == 403
    assert Invitation.objects.count() == 0
    c.get("/dashboard/team")
    token = c.cookies["csrftoken"].value
    ok = c.post(
        "/api/team/invitations",
        {"email": "x@example.com"},
        content_type=JSON,
        headers={"X-CSRFToken": token},
    )
    assert ok.status_code == 201
