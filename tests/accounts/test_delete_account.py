import json

import pytest
from django.test import Client

from genfans.accounts.models import User
from genfans.emails.models import EmailDelivery, EmailKind
from genfans.teams.models import ActivityLog, Team, TeamMember
from tests.factories import PASSWORD, make_member, make_user

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


def test_deletion_takes_the_address_out_of_activity_and_email_deliveries(
    owner_client, owner, team, client_factory
):
    mia = make_member(team=team, email="Mia@Example.com")
    owner_client.patch(f"/api/team/members/{mia.pk}", {"role": "owner"}, content_type=JSON)
    owner_client.post("/api/team/invitations", {"email": "zoe@example.com"}, content_type=JSON)
    # A row written before people were named by key, in a team Mia never joined.
    ActivityLog.objects.create(
        team=make_user(email="eve@example.com").memberships.get().team,
        action="remove_team_member",
        metadata={"member": "mia@example.com", "role": "member", "seen": ["MIA@example.com"]},
    )
    EmailDelivery.objects.create(kind=EmailKind.INVITATION, recipient="mia@example.com")
    mia_client = client_factory(mia)

    assert delete(mia_client).status_code == 204

    for row in ActivityLog.objects.all():
        assert "mia@example.com" not in json.dumps([row.metadata, row.changes]).lower()
    role_change = ActivityLog.objects.get(action="change_role")
    assert role_change.subject_user_id == mia.pk
    assert role_change.changes == {"role": ["member", "owner"]}
    assert ActivityLog.objects.get(metadata__has_key="seen").metadata == {
        "role": "member",
        "seen": [],
    }
    assert ActivityLog.objects.get(action="invite_team_member").metadata["email"] == (
        "zoe@example.com"
    )
    assert not EmailDelivery.objects.filter(recipient__iexact="mia@example.com").exists()
    # Her verification email and the old invitation.
    anonymised = f"deleted-{mia.pk.hex}@deleted.invalid"
    assert EmailDelivery.objects.filter(recipient=anonymised).count() == 2
