import re

import pytest
from django.core import mail
from django.test import Client

from genfans.accounts.models import User
from genfans.teams.models import ActivityLog
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
JSON = "application/json"
NEW_PASSWORD = "another-long-passphrase"


def sign_in(client, email="owner@example.com", password=PASSWORD):
    return client.post(
        "/api/auth/sign-in", {"email": email, "password": password}, content_type=JSON
    )


def test_password_change_keeps_this_session_and_ends_the_others(owner):
    here, elsewhere = Client(), Client()
    sign_in(here)
    sign_in(elsewhere)
    response = here.post(
        "/api/user/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
        content_type=JSON,
    )
    assert response.status_code == 204
    assert here.get("/api/user").status_code == 200
    assert elsewhere.get("/api/user").status_code == 401
    assert sign_in(Client(), password=PASSWORD).status_code == 401
    assert sign_in(Client(), password=NEW_PASSWORD).status_code == 200
    entry = ActivityLog.objects.get(action="update_password")
    assert entry.user == owner
    assert entry.ip_address == "127.0.0.1"


@pytest.mark.parametrize(
    ("current", "new", "code", "field"),
    [
        ("wrong-password", NEW_PASSWORD, "wrong_password", "current_password"),
        (PASSWORD, "123", "weak_password", "new_password"),
        (PASSWORD, "password", "weak_password", "new_password"),
    ],
)
def test_password_change_rejects(owner_client, owner, current, new, code, field):
    response = owner_client.post(
        "/api/user/password",
        {"current_password": current, "new_password": new},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["details"]["field"] == field
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_sign_out_other_sessions(owner):
    here, elsewhere = Client(), Client()
    sign_in(here)
    sign_in(elsewhere)
    assert here.post("/api/auth/sign-out-others").status_code == 204
    assert here.get("/api/user").status_code == 200
    assert elsewhere.get("/api/user").status_code == 401
    assert sign_in(Client()).status_code == 200  # the password still works
    assert ActivityLog.objects.filter(action="sign_out", metadata__other_sessions=True).count() == 1


def test_sign_out_other_sessions_works_with_cache_sessions(settings, owner):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    here, elsewhere = Client(), Client()
    sign_in(here)
    sign_in(elsewhere)
    here.post("/api/auth/sign-out-others")
    assert here.get("/api/user").status_code == 200
    assert elsewhere.get("/api/user").status_code == 401


def _reset_link(body: str) -> tuple[str, str]:
    uid, token = re.search(r"/reset-password/([^/\s]+)/([^/\s]+)", body).groups()
    return uid, token


def test_password_reset_by_email(
    client, owner, immediate_tasks, settings, django_capture_on_commit_callbacks
):
    # (A sign-in after the email would void the link: the token covers last_login.)
    signed_in_elsewhere = Client()
    sign_in(signed_in_elsewhere)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/auth/password-reset", {"email": "OWNER@example.com"}, content_type=JSON
        )
    assert response.status_code == 202
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["owner@example.com"]
    assert settings.BASE_URL + "/reset-password/" in mail.outbox[0].body
    uid, token = _reset_link(mail.outbox[0].body)
    confirm = {"uid": uid, "token": token, "password": NEW_PASSWORD}
    assert (
        client.post("/api/auth/password-reset/confirm", confirm, content_type=JSON).status_code
        == 204
    )
    assert sign_in(Client(), password=NEW_PASSWORD).status_code == 200
    assert signed_in_elsewhere.get("/api/user").status_code == 401
    # A link works once: the new password invalidates it.
    again = client.post("/api/auth/password-reset/confirm", confirm, content_type=JSON)
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_reset_link"
    assert ActivityLog.objects.filter(action="reset_password", user=owner).count() == 1


def test_password_reset_for_unknown_email_answers_the_same_and_sends_nothing(
    client, db, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/auth/password-reset", {"email": "nobody@example.com"}, content_type=JSON
        )
    assert response.status_code == 202
    assert mail.outbox == []


def test_password_reset_email_is_sent_only_after_commit(
    client, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/api/auth/password-reset", {"email": "owner@example.com"}, content_type=JSON)
    assert len(callbacks) == 1
    assert mail.outbox == []


@pytest.mark.parametrize(
    "payload",
    [
        {"uid": "garbage", "token": "x", "password": NEW_PASSWORD},
        {"uid": "", "token": "", "password": NEW_PASSWORD},
        {
            "uid": "MDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAw",
            "token": "1-2",
            "password": NEW_PASSWORD,
        },
    ],
)
def test_password_reset_confirm_rejects_bad_links(client, owner, payload):
    response = client.post("/api/auth/password-reset/confirm", payload, content_type=JSON)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_reset_link"
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)


def test_password_reset_confirm_rejects_weak_password(client, owner):
    from genfans.accounts.emails import password_reset_link

    uid, token = _reset_link(password_reset_link(owner))
    response = client.post(
        "/api/auth/password-reset/confirm",
        {"uid": uid, "token": token, "password": "123"},
        content_type=JSON,
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "weak_password"


def test_update_name_and_email(owner_client, owner):
    response = owner_client.patch(
        "/api/user", {"name": "Olivia", "email": "Olivia@Example.com"}, content_type=JSON
    )
    assert response.status_code == 200
    assert response.json()["email"] == "olivia@example.com"
    owner.refresh_from_db()
    assert (owner.name, owner.email) == ("Olivia", "olivia@example.com")
    assert ActivityLog.objects.get(action="update_account").metadata == {
        "fields": ["name", "email"]
    }
    assert owner_client.get("/api/user").status_code == 200


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"email": "taken@example.com"}, 409, "email_taken"),
        ({"email": "TAKEN@example.com"}, 409, "email_taken"),
        ({"email": "nope"}, 400, "invalid_email"),
        ({"name": "x" * 151}, 400, "validation_error"),
    ],
)
def test_update_rejects(owner_client, owner, payload, status, code):
    make_user(email="taken@example.com")
    response = owner_client.patch("/api/user", payload, content_type=JSON)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    owner.refresh_from_db()
    assert owner.email == "owner@example.com"


def test_user_endpoint_lists_teams(owner_client, team):
    body = owner_client.get("/api/user").json()
    assert body["current_team_id"] == str(team.id)
    assert body["teams"] == [{"id": str(team.id), "name": team.name, "role": "owner"}]


def test_user_endpoint_with_api_key_is_404(client, team, owner):
    from tests.factories import make_api_key

    raw = make_api_key(team=team, user=owner)
    response = client.get("/api/user", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 404
    assert User.objects.count() == 1
