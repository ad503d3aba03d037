"""Endpoints that sign a browser in take JSON with the CSRF token only (no login CSRF)."""

import json

import pytest
from django.conf import settings
from django.test import Client

from genfans.accounts.models import User
from genfans.teams.models import ActivityLog
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
JSON = "application/json"
EVIL = "https://evil.example"
SIGN_UP = ("/api/auth/sign-up", {"email": "new@example.com", "password": PASSWORD}, 201)
SIGN_IN = ("/api/auth/sign-in", {"email": "ada@example.com", "password": PASSWORD}, 200)


@pytest.fixture
def ada(db):
    return make_user(email="ada@example.com")


def browser() -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    response = client.get("/api/auth/csrf")
    assert response.status_code == 200
    token = response.json()["csrf_token"]
    assert client.cookies[settings.CSRF_COOKIE_NAME].value
    return client, token


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def state():
    return (
        User.objects.count(),
        ActivityLog.objects.filter(action__in=["sign_up", "sign_in", "create_team"]).count(),
    )


@pytest.mark.parametrize(("url", "body", "status"), [SIGN_UP, SIGN_IN])
def test_a_same_site_json_request_with_the_token_signs_in(ada, url, body, status):
    client, token = browser()
    response = client.post(url, body, content_type=JSON, headers={"X-CSRFToken": token})
    assert response.status_code == status
    assert signed_in(client)
    assert client.get("/api/user").json()["email"] == body["email"]


@pytest.mark.parametrize(("url", "body", "status"), [SIGN_UP, SIGN_IN])
def test_a_cross_site_text_plain_post_signs_nobody_in(ada, url, body, status):
    """What a form on another site can send without a preflight: refused before the body is
    read, so the visitor's browser gets no session."""
    client, _ = browser()
    before = state()
    response = client.post(
        url,
        json.dumps(body),
        content_type="text/plain",
        headers={"Origin": EVIL, "Referer": f"{EVIL}/win-a-prize"},
    )
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert not signed_in(client)
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert state() == before


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain"])
def test_only_json_is_accepted(ada, content_type):
    client, token = browser()
    response = client.post(
        SIGN_IN[0],
        "email=ada%40example.com",
        content_type=content_type,
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 415
    assert not signed_in(client)


@pytest.mark.parametrize(("url", "body", "status"), [SIGN_UP, SIGN_IN])
@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param({"X-CSRFToken": "x" * 32}, id="wrong-token"),
        pytest.param({"Origin": EVIL}, id="foreign-origin"),
    ],
)
def test_json_without_a_valid_token_from_this_site_is_csrf_failed(ada, url, body, status, headers):
    client, token = browser()
    before = state()
    headers = {"X-CSRFToken": token, **headers} if "Origin" in headers else headers
    response = client.post(url, body, content_type=JSON, headers=headers)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "csrf_failed"
    assert error["message"]
    assert not signed_in(client)
    assert state() == before


def test_signing_in_rotates_the_token(ada):
    """A token planted before sign-in is worthless after it; clients read the new one."""
    client, token = browser()
    response = client.post(
        SIGN_IN[0], SIGN_IN[1], content_type=JSON, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 200
    stale = client.post(SIGN_IN[0], SIGN_IN[1], content_type=JSON, headers={"X-CSRFToken": token})
    assert stale.status_code == 403
    assert stale.json()["error"]["code"] == "csrf_failed"
    fresh = client.get("/api/auth/csrf").json()["csrf_token"]
    again = client.post(SIGN_IN[0], SIGN_IN[1], content_type=JSON, headers={"X-CSRFToken": fresh})
    assert again.status_code == 200
