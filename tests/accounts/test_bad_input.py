"""Bad input to every account and team endpoint: a 4xx with an error code, never a 500."""

import pytest

pytestmark = pytest.mark.django_db

WRONG_TYPES = (
    '{"email": 5, "name": 5, "password": 5, "role": 5, "current_password": 5,'
    ' "new_password": 5, "uid": 5, "token": 5, "invite_id": 5}'
)
GARBAGE_BODIES = [None, "not json", WRONG_TYPES]
ENDPOINTS = [
    ("post", "/api/auth/sign-up"),
    ("post", "/api/auth/sign-in"),
    ("post", "/api/auth/password-reset"),
    ("post", "/api/auth/password-reset/confirm"),
    ("post", "/api/auth/verify-email"),
    ("post", "/api/auth/verify-email/resend"),
    ("patch", "/api/user"),
    ("delete", "/api/user"),
    ("post", "/api/user/password"),
    ("patch", "/api/team"),
    ("patch", "/api/team/members/not-a-uuid"),
    ("delete", "/api/team/members/not-a-uuid"),
    ("post", "/api/team/invitations"),
    ("delete", "/api/team/invitations/not-a-uuid"),
    ("post", "/api/invitations/not-a-uuid/accept"),
    ("post", "/api/api-keys"),
    ("delete", "/api/api-keys/not-a-uuid"),
    ("post", "/api/team/leave"),
    ("post", "/api/invitations/00000000-0000-0000-0000-000000000000/accept"),
]
BAD_QUERIES = [
    "/api/team/activity?limit=abc",
    "/api/team/members?cursor=@@@",
    "/api/team/invitations?limit=1000",
    "/api/api-keys?limit=-1",
    "/api/team/activity?cursor=" + "A" * 300,
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
@pytest.mark.parametrize("body", GARBAGE_BODIES)
def test_bad_input_is_a_4xx_with_an_error_code(owner_client, method, url, body):
    kwargs = {} if body is None else {"data": body, "content_type": "application/json"}
    response = getattr(owner_client, method)(url, **kwargs)
    assert 400 <= response.status_code < 500, (response.status_code, response.content)
    error = response.json()["error"]
    assert error["code"]
    assert error["message"]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_visitors_get_an_error_body(client, method, url):
    response = getattr(client, method)(url, data="{}", content_type="application/json")
    assert 400 <= response.status_code < 500
    assert response.json()["error"]["code"]


@pytest.mark.parametrize("url", BAD_QUERIES)
def test_bad_queries_are_400(owner_client, url):
    response = owner_client.get(url)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
