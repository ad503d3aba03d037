import pytest
from django.test import Client

from genfans.accounts.models import User
from genfans.teams.models import ActivityLog, Team, TeamMember
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.django_db
JSON = "application/json"


def delete(client, password=PASSWORD):
    return client.delete("/api/user", {"password": password}, content_type=JSON)


def sign_in(email="owner@example.com", password=PASSWORD):
    c = Client()
    response = c.post(
        "/api/auth/sign-in", {"email": email, "password": password}, content_type=JSON
    )
    return c, response


def test_soft_delete(team, owner):
    here, _ = sign_in()
    elsewhere, _ = sign_in()
    assert delete(here).status_code == 204
    row = User.all_objects.get(pk=owner.pk)
    assert row.deleted_at is not None
    assert row.email == f"deleted-{owner.pk.hex}@deleted.invalid"
    assert not row.is_active
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not TeamMember.objects.filter(user=owner).exists()
    assert Team.objects.filter(pk=team.pk).exists()
    assert here.get("/api/user").status_code == 401
    assert elsewhere.get("/api/user").status_code == 401
    assert ActivityLog.objects.filter(action="delete_account", team=team).count() == 1


def test_deleted_user_cannot_sign_in_and_email_can_register_again(team, owner):
    c, _ = sign_in()
    delete(c)
    _, response = sign_in()
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_credentials"
    again = Client().post(
        "/api/auth/sign-up", {"email": "owner@example.com", "password": PASSWORD}, content_type=JSON
    )
    assert again.status_code == 201
    assert User.objects.get(email="owner@example.com").pk != owner.pk


def test_last_owner_of_a_team_with_members_cannot_delete(owner_client, owner, team):
    make_member(team=team, email="mia@example.com")
    response = delete(owner_client)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "last_owner"
    owner.refresh_from_db()
    assert owner.deleted_at is None
    assert TeamMember.objects.filter(team=team).count() == 2
    assert owner_client.get("/api/user").status_code == 200


def test_after_handing_over_ownership_the_owner_can_delete(owner_client, owner, team):
    mia = make_member(team=team, email="mia@example.com")
    owner_client.patch(f"/api/team/members/{mia.id}", {"role": "owner"}, content_type=JSON)
    assert delete(owner_client).status_code == 204
    assert list(TeamMember.objects.filter(team=team).values_list("user_id", "role")) == [
        (mia.id, "owner")
    ]


def test_member_can_delete(client_factory, team, owner):
    mia = make_member(team=team, email="mia@example.com")
    assert delete(client_factory(mia)).status_code == 204
    assert list(TeamMember.objects.filter(team=team).values_list("user_id", flat=True)) == [
        owner.id
    ]


def test_wrong_password_deletes_nothing(owner_client, owner):
    response = delete(owner_client, "wrong-password")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "wrong_password"
    owner.refresh_from_db()
    assert owner.deleted_at is None


def test_deleted_user_shows_as_former_member(client_factory, team, owner):
    mia = make_member(team=team, email="mia@example.com", name="Mia")
    invitation = team.invitations.create(email="new@example.com", invited_by=mia)
    delete(client_factory(mia))
    page = Client().get(f"/invite/{invitation.id}").content.decode()
    assert "Former member" in page
    assert "deleted-" not in page
