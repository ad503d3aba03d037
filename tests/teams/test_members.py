import pytest

from genfans.teams.models import ActivityLog, Role, TeamMember
from tests.factories import make_member

pytestmark = pytest.mark.django_db
JSON = "application/json"


def set_role(client, user, role):
    return client.patch(f"/api/team/members/{user.id}", {"role": role}, content_type=JSON)


def test_last_owner_cannot_be_demoted_or_removed(owner_client, owner, member):
    for response in (
        set_role(owner_client, owner, "member"),
        owner_client.delete(f"/api/team/members/{owner.id}"),
    ):
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "last_owner"
    assert TeamMember.objects.get(user=owner).role == Role.OWNER


def test_owner_hands_over_then_steps_down(owner_client, client_factory, owner, member, team):
    assert set_role(owner_client, member, "owner").json()["role"] == "owner"
    assert set_role(owner_client, owner, "member").json()["role"] == "member"
    roles = dict(TeamMember.objects.filter(team=team).values_list("user__email", "role"))
    assert roles == {"owner@example.com": "member", "member@example.com": "owner"}
    # The former owner is now a plain member.
    assert set_role(owner_client, member, "member").status_code == 403
    entry = ActivityLog.objects.filter(action="change_role").latest("created_at")
    assert (entry.user, entry.subject_user) == (owner, owner)
    assert (entry.metadata, entry.changes) == ({}, {"role": ["owner", "member"]})


def test_setting_the_same_role_changes_nothing(owner_client, member):
    before = ActivityLog.objects.count()
    assert set_role(owner_client, member, "member").status_code == 200
    assert ActivityLog.objects.count() == before


def test_removed_member_loses_access(owner_client, client_factory, member, team):
    member_client = client_factory(member)
    assert member_client.get("/api/team").json()["id"] == str(team.id)
    assert owner_client.delete(f"/api/team/members/{member.id}").status_code == 204
    assert not TeamMember.objects.filter(team=team, user=member).exists()
    response = member_client.get("/api/team")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_team"
    assert member_client.get("/api/user").json()["teams"] == []
    page = member_client.get("/dashboard/")
    assert page.status_code == 302
    assert ActivityLog.objects.filter(action="remove_team_member", team=team).count() == 1


def test_removing_an_owner_when_another_owner_exists(owner_client, team, owner):
    co = make_member(team=team, email="co@example.com", role=Role.OWNER)
    assert owner_client.delete(f"/api/team/members/{co.id}").status_code == 204
    assert list(TeamMember.objects.filter(team=team).values_list("user_id", flat=True)) == [
        owner.id
    ]


@pytest.mark.parametrize("user_id", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_unknown_member_is_404(owner_client, user_id):
    for response in (
        owner_client.delete(f"/api/team/members/{user_id}"),
        owner_client.patch(f"/api/team/members/{user_id}", {"role": "owner"}, content_type=JSON),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "member_not_found"


def test_rename_team_validates(owner_client, team):
    response = owner_client.patch("/api/team", {"name": "   "}, content_type=JSON)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_team_name"
    assert (
        owner_client.patch("/api/team", {"name": " Studio "}, content_type=JSON).json()["name"]
        == "Studio"
    )
    team.refresh_from_db()
    assert team.name == "Studio"


def test_member_leaves_the_team(client_factory, member, team):
    c = client_factory(member)
    assert c.post("/api/team/leave").status_code == 204
    assert not TeamMember.objects.filter(team=team, user=member).exists()
    assert c.get("/api/team").json()["error"]["code"] == "no_team"
    entry = ActivityLog.objects.get(action="remove_team_member", team=team)
    assert entry.metadata == {"role": "member", "left": True}
    assert (entry.user, entry.subject_user) == (member, member)


def test_last_owner_cannot_leave(owner_client, owner, team, member):
    response = owner_client.post("/api/team/leave")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "last_owner"
    assert TeamMember.objects.filter(team=team).count() == 2


def test_leave_page(client_factory, member, team):
    c = client_factory(member)
    assert "Leave team" in c.get("/dashboard/team").content.decode()
    assert c.post("/dashboard/team/leave").url == "/dashboard/"
    assert c.get("/dashboard/").url == "/welcome"


def test_api_key_cannot_leave(client, team, owner):
    from tests.factories import make_api_key

    raw = make_api_key(team=team, user=owner)
    response = client.post("/api/team/leave", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 404
    assert TeamMember.objects.filter(team=team).count() == 1
