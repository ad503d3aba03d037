from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.utils import timezone

from genfans.accounts.models import User
from genfans.emails.models import EmailDelivery, EmailStatus
from genfans.teams.models import (
    ActivityLog,
    Invitation,
    InvitationStatus,
    Role,
    Team,
    TeamMember,
)
from genfans.teams.services import team_member_invite
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
JSON = "application/json"


def invite(client, email="new@example.com", role="member"):
    return client.post("/api/team/invitations", {"email": email, "role": role}, content_type=JSON)


def test_invitation_email_carries_the_accept_link_after_commit(
    owner_client, team, immediate_tasks, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(owner_client, "New@Example.com")
    assert response.status_code == 201
    body = response.json()
    invitation = Invitation.objects.get()
    assert body["id"] == str(invitation.id)
    assert body["email"] == "new@example.com"
    assert invitation.status == InvitationStatus.PENDING
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new@example.com"]
    assert f"{settings.BASE_URL}/invite/{invitation.id}" in message.body
    assert team.name in message.subject
    entry = ActivityLog.objects.get(action="invite_team_member")
    assert entry.ip_address == "127.0.0.1"
    assert entry.metadata["email"] == "new@example.com"


def test_email_is_enqueued_only_on_commit(team, owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        team_member_invite(team=team, user=owner, email="x@example.com")
    assert len(callbacks) == 1
    assert len(mail.outbox) == 0


def test_pending_invitations_are_listed_and_expired_ones_are_not(owner_client, team, owner):
    invite(owner_client, "a@example.com")
    invite(owner_client, "b@example.com")
    Invitation.objects.filter(email="b@example.com").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    items = owner_client.get("/api/team/invitations").json()["items"]
    assert [i["email"] for i in items] == ["a@example.com"]
    assert items[0]["link"].endswith(f"/invite/{items[0]['id']}")


@pytest.mark.parametrize(
    ("email", "role", "status", "code"),
    [
        ("not-an-email", "member", 400, "invalid_email"),
        ("new@example.com", "admin", 400, "invalid_role"),
        ("owner@example.com", "member", 409, "already_member"),
        ("OWNER@example.com", "member", 409, "already_member"),
    ],
)
def test_invite_rejects(owner_client, team, email, role, status, code):
    response = invite(owner_client, email, role)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert Invitation.objects.count() == 0


def test_second_pending_invitation_to_same_email_conflicts(owner_client):
    invite(owner_client, "a@example.com")
    response = invite(owner_client, "A@example.com")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invitation_pending"
    assert Invitation.objects.count() == 1


def test_expired_invitation_can_be_sent_again(owner_client):
    invite(owner_client, "a@example.com")
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert invite(owner_client, "a@example.com").status_code == 201
    assert sorted(Invitation.objects.values_list("status", flat=True)) == ["expired", "pending"]


def test_sign_up_through_invitation_joins_the_team_without_a_new_team(owner_client, team):
    client = Client()
    invitation_id = invite(owner_client, "mia@example.com").json()["id"]
    teams_before = Team.objects.count()
    response = client.post(
        "/api/auth/sign-up",
        {
            "email": "mia@example.com",
            "password": PASSWORD,
            "name": "Mia",
            "invite_id": invitation_id,
        },
        content_type=JSON,
    )
    assert response.status_code == 201
    assert response.json()["current_team_id"] == str(team.id)
    assert Team.objects.count() == teams_before
    mia = User.objects.get(email="mia@example.com")
    assert list(TeamMember.objects.filter(user=mia).values_list("team_id", "role")) == [
        (team.id, Role.MEMBER)
    ]
    assert Invitation.objects.get().status == InvitationStatus.ACCEPTED
    assert client.get("/api/team").json()["id"] == str(team.id)
    actions = set(ActivityLog.objects.filter(team=team, user=mia).values_list("action", flat=True))
    assert actions == {"accept_invitation", "sign_up"}


def test_invited_as_owner_joins_as_owner(owner_client, team):
    client = Client()
    invitation_id = invite(owner_client, "co@example.com", "owner").json()["id"]
    client.post(
        "/api/auth/sign-up",
        {"email": "co@example.com", "password": PASSWORD, "invite_id": invitation_id},
        content_type=JSON,
    )
    assert TeamMember.objects.get(user__email="co@example.com").role == Role.OWNER


@pytest.mark.parametrize(
    ("mutate", "code", "status"),
    [
        (lambda inv: None, "invitation_email_mismatch", 403),
        (
            lambda inv: Invitation.objects.filter(pk=inv.pk).update(status="revoked"),
            "invitation_invalid",
            400,
        ),
        (
            lambda inv: Invitation.objects.filter(pk=inv.pk).update(
                expires_at=timezone.now() - timedelta(seconds=1)
            ),
            "invitation_invalid",
            400,
        ),
    ],
    ids=["other-email", "revoked", "expired"],
)
def test_sign_up_with_unusable_invitation_creates_nothing(
    client, team, owner, mutate, code, status
):
    invitation = Invitation.objects.create(team=team, email="mia@example.com", invited_by=owner)
    mutate(invitation)
    email = "eve@example.com" if code == "invitation_email_mismatch" else "mia@example.com"
    users_before = User.objects.count()
    response = client.post(
        "/api/auth/sign-up",
        {"email": email, "password": PASSWORD, "invite_id": str(invitation.id)},
        content_type=JSON,
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert User.objects.count() == users_before


@pytest.mark.parametrize("invite_id", ["nonsense", "00000000-0000-0000-0000-000000000000"])
def test_sign_up_with_unknown_invitation_is_400(client, invite_id):
    response = client.post(
        "/api/auth/sign-up",
        {"email": "mia@example.com", "password": PASSWORD, "invite_id": invite_id},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invitation_invalid"
    assert User.objects.count() == 0


def test_existing_user_signs_in_and_accepts(owner_client, team):
    client = Client()
    mia = make_user(email="mia@example.com")
    own_team = mia.memberships.get().team
    invitation_id = invite(owner_client, "mia@example.com").json()["id"]
    client.post(
        "/api/auth/sign-in", {"email": "mia@example.com", "password": PASSWORD}, content_type=JSON
    )
    assert client.get("/api/team").json()["id"] == str(own_team.id)
    response = client.post(f"/api/invitations/{invitation_id}/accept")
    assert response.status_code == 200
    assert response.json() == {"team_id": str(team.id), "team_name": team.name, "role": "member"}
    assert client.get("/api/team").json()["id"] == str(team.id)
    assert set(TeamMember.objects.filter(user=mia).values_list("team_id", flat=True)) == {
        team.id,
        own_team.id,
    }
    again = client.post(f"/api/invitations/{invitation_id}/accept")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invitation_invalid"


def test_accepting_someone_elses_invitation_is_403(client_factory, owner_client, team):
    eve = make_user(email="eve@example.com")
    invitation_id = invite(owner_client, "mia@example.com").json()["id"]
    response = client_factory(eve).post(f"/api/invitations/{invitation_id}/accept")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invitation_email_mismatch"
    assert not TeamMember.objects.filter(team=team, user=eve).exists()
    assert Invitation.objects.get().status == InvitationStatus.PENDING


def test_accept_needs_a_session(owner_client):
    invitation_id = invite(owner_client, "mia@example.com").json()["id"]
    assert Client().post(f"/api/invitations/{invitation_id}/accept").status_code == 401


def test_revoked_invitation_cannot_be_revoked_twice(owner_client):
    invitation_id = invite(owner_client).json()["id"]
    assert owner_client.delete(f"/api/team/invitations/{invitation_id}").status_code == 204
    second = owner_client.delete(f"/api/team/invitations/{invitation_id}")
    assert second.status_code == 400
    assert second.json()["error"]["code"] == "invitation_invalid"
    assert owner_client.get("/api/team/invitations").json()["items"] == []


def test_pending_invitations_say_where_their_email_is(
    owner_client, team, owner, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        created = invite(owner_client, "sent@example.com").json()
    invite(owner_client, "queued@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        monkeypatch.setattr(EmailBackend, "send_messages", _refuse)
        invite(owner_client, "bounced@example.com")
    EmailDelivery.objects.filter(recipient="bounced@example.com").update(status=EmailStatus.FAILED)

    listed = owner_client.get("/api/team/invitations").json()["items"]
    page = owner_client.get("/dashboard/team").text

    assert created["email_status"] == "pending"
    assert {i["email"]: i["email_status"] for i in listed} == {
        "sent@example.com": "sent",
        "queued@example.com": "pending",
        "bounced@example.com": "failed",
    }
    assert "email sent <time" in page and "email queued" in page and "email failed<" in page


def _refuse(self, messages):
    raise SMTPServerDisconnected("Connection unexpectedly closed")
