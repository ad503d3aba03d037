"""Team, Activity and API-key pages: thin checks over the same services the API uses."""

import pytest
from django.conf import settings
from django.test import Client
from django.utils.html import escape

from genfans.accounts.models import ApiKey
from genfans.teams.models import ActivityLog, Invitation, InvitationStatus, Role, TeamMember
from tests.factories import PASSWORD, make_api_key, make_member, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(team, owner):
    victim = make_member(team=team, email="victim@example.com")
    invitation = Invitation.objects.create(team=team, email="invitee@example.com", invited_by=owner)
    make_api_key(team=team, user=owner, name="ci")
    return {"victim": victim, "invitation": invitation, "key": ApiKey.objects.get(team=team)}


PAGE_ACTIONS = {
    "invite": lambda o: ("/dashboard/team/invite", {"email": "new@example.com", "role": "member"}),
    "revoke_invitation": lambda o: (f"/dashboard/team/invitations/{o['invitation'].id}/revoke", {}),
    "change_role": lambda o: (f"/dashboard/team/members/{o['victim'].id}/role", {"role": "owner"}),
    "remove_member": lambda o: (f"/dashboard/team/members/{o['victim'].id}/remove", {}),
    "rename": lambda o: ("/dashboard/team/rename", {"name": "Renamed"}),
    "create_api_key": lambda o: ("/dashboard/api-keys", {"name": "deploy"}),
    "revoke_api_key": lambda o: (f"/dashboard/api-keys/{o['key'].id}/revoke", {}),
}
OBJECT_ACTIONS = {"revoke_invitation", "change_role", "remove_member", "revoke_api_key"}


def _snapshot(team):
    return (
        type(team).objects.get(pk=team.pk).name,
        sorted(TeamMember.objects.filter(team=team).values_list("user__email", "role")),
        sorted(Invitation.objects.filter(team=team).values_list("email", "status")),
        sorted(ApiKey.objects.filter(team=team).values_list("name", "revoked_at")),
    )


@pytest.mark.parametrize("action", sorted(PAGE_ACTIONS))
def test_owner_page_actions(action, owner_client, team, objects):
    url, data = PAGE_ACTIONS[action](objects)
    before = ActivityLog.objects.filter(team=team).count()
    response = owner_client.post(url, data)
    assert response.status_code in (200, 302)
    assert ActivityLog.objects.filter(team=team).count() == before + 1


@pytest.mark.parametrize("action", sorted(PAGE_ACTIONS))
def test_member_page_actions_are_403(action, client_factory, team, objects):
    url, data = PAGE_ACTIONS[action](objects)
    member_client = client_factory(make_member(team=team))
    before = _snapshot(team)
    response = member_client.post(url, data)
    assert response.status_code == 403
    assert _snapshot(team) == before


@pytest.mark.parametrize("action", sorted(OBJECT_ACTIONS))
def test_other_team_page_actions_are_404(action, client_factory, other_owner, team, objects):
    url, data = PAGE_ACTIONS[action](objects)
    before = _snapshot(team)
    response = client_factory(other_owner).post(url, data)
    assert response.status_code == 404
    assert _snapshot(team) == before


def test_team_page_lists_members_and_invitations(owner_client, objects):
    html = owner_client.get("/dashboard/team").content.decode()
    assert "victim@example.com" in html
    assert "invitee@example.com" in html
    assert f"/invite/{objects['invitation'].id}" in html
    assert "Send invitation" in html


def test_the_invitation_link_shown_is_the_emailed_one_whatever_the_host(owner_client, objects):
    # "localhost" is an allowed host (DEBUG), yet the link to copy is BASE_URL's, as emailed.
    html = owner_client.get("/dashboard/team", HTTP_HOST="localhost").content.decode()
    assert f'value="{settings.BASE_URL}/invite/{objects["invitation"].id}"' in html
    assert "localhost" not in html


def test_member_sees_the_team_without_owner_controls(client_factory, team, objects):
    html = client_factory(objects["victim"]).get("/dashboard/team").content.decode()
    assert "owner@example.com" in html
    assert "Send invitation" not in html
    assert "Remove" not in html


def test_invite_form_shows_field_errors(owner_client):
    response = owner_client.post(
        "/dashboard/team/invite", {"email": "owner@example.com", "role": "member"}
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()
    bad = owner_client.post("/dashboard/team/invite", {"email": "nope", "role": "member"})
    assert "Enter a valid email address." in bad.content.decode()


def test_htmx_actions_swap_the_team_body(owner_client, objects):
    response = owner_client.post(
        f"/dashboard/team/members/{objects['victim'].id}/remove", headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="team-body"')
    assert "Member removed." in html
    assert "victim@example.com" not in html


def test_htmx_last_owner_error_is_shown_in_place(owner_client, owner):
    response = owner_client.post(
        f"/dashboard/team/members/{owner.id}/remove", headers={"HX-Request": "true"}
    )
    assert "A team needs at least one owner" in response.content.decode()
    assert TeamMember.objects.get(user=owner).role == Role.OWNER


def test_activity_page_is_paginated_newest_first(owner_client, team, owner):
    for i in range(30):
        ActivityLog.objects.create(
            team=team, user=owner, action="update_team", metadata={"name": f"n{i}"}
        )
    first = owner_client.get("/dashboard/activity").content.decode()
    assert "renamed to n29" in first
    assert "renamed to n4" not in first.replace("renamed to n4<", "")
    assert "Older →" in first
    cursor = first.split('href="?cursor=')[1].split('"')[0]
    second = owner_client.get(f"/dashboard/activity?cursor={cursor}").content.decode()
    assert "renamed to n0" in second


@pytest.mark.parametrize(
    "url", ["/dashboard/activity", "/dashboard/credits", "/dashboard/jobs", "/dashboard/gallery"]
)
def test_a_malformed_cursor_is_a_bad_request_not_the_first_page(owner_client, url):
    assert owner_client.get(url).status_code == 200
    assert owner_client.get(f"{url}?cursor=garbage").status_code == 400


def test_api_key_page_shows_the_key_once(owner_client, team):
    response = owner_client.post("/dashboard/api-keys", {"name": "deploy"})
    key = ApiKey.objects.get(team=team, name="deploy")
    html = response.content.decode()
    raw = (
        html.split('id="new-key" aria-label="New API key"')[0].rsplit('value="', 1)[1].split('"')[0]
    )
    assert raw.startswith("gf_live_") and ApiKey.hash_key(raw) == key.hash
    assert raw not in owner_client.get("/dashboard/api-keys").content.decode()


def test_revoked_invitation_page_and_accept(owner_client, team, owner):
    invitation = Invitation.objects.create(team=team, email="mia@example.com", invited_by=owner)
    visitor = Client()
    page = visitor.get(f"/invite/{invitation.id}").content.decode()
    assert "Join owner&#x27;s team" in page
    assert f"/sign-up?invite={invitation.id}" in page
    signup = visitor.get(f"/sign-up?invite={invitation.id}").content.decode()
    assert 'value="mia@example.com"' in signup
    owner_client.post(f"/dashboard/team/invitations/{invitation.id}/revoke")
    gone = visitor.get(f"/invite/{invitation.id}")
    assert gone.status_code == 400
    assert "revoked" in gone.content.decode()
    assert visitor.get("/invite/not-a-uuid").status_code == 400


def test_existing_user_accepts_on_the_invitation_page(team, owner):
    mia = make_user(email="mia@example.com")
    invitation = Invitation.objects.create(team=team, email="mia@example.com", invited_by=owner)
    c = Client()
    assert c.post(f"/invite/{invitation.id}").url == f"/sign-in?next=/invite/{invitation.id}"
    c.post("/sign-in", {"email": "mia@example.com", "password": PASSWORD})
    assert "Accept invitation" in c.get(f"/invite/{invitation.id}").content.decode()
    response = c.post(f"/invite/{invitation.id}")
    assert response.url == "/dashboard/"
    assert TeamMember.objects.filter(team=team, user=mia).exists()
    assert Invitation.objects.get().status == InvitationStatus.ACCEPTED
    assert escape(team.name) in c.get("/dashboard/").content.decode()


def test_sign_up_page_through_invitation(team, owner):
    invitation = Invitation.objects.create(team=team, email="mia@example.com", invited_by=owner)
    c = Client()
    response = c.post(
        "/sign-up",
        {"email": "mia@example.com", "password": PASSWORD, "invite_id": str(invitation.id)},
    )
    assert response.status_code == 302
    assert TeamMember.objects.get(user__email="mia@example.com").team == team
    mismatch = Client().post(
        "/sign-up",
        {"email": "eve@example.com", "password": PASSWORD, "invite_id": str(invitation.id)},
    )
    assert mismatch.status_code == 400


def test_team_switch_and_no_team_page(client_factory, team, owner):
    mia = make_user(email="mia@example.com")
    own = mia.memberships.get().team
    TeamMember.objects.create(team=team, user=mia, role="member")
    c = client_factory(mia)
    assert escape(own.name) in c.get("/dashboard/").content.decode()
    c.post("/dashboard/team/switch", {"team_id": str(team.id)})
    assert c.get("/api/team").json()["id"] == str(team.id)
    TeamMember.objects.filter(user=mia).delete()
    assert c.get("/dashboard/team").url == "/welcome"
    assert c.post("/welcome", {"name": ""}).status_code == 400
    assert c.post("/welcome", {"name": "Fresh start"}).url == "/dashboard/"
    assert c.get("/api/team").json()["name"] == "Fresh start"
