import pytest

from genfans.accounts.models import User
from genfans.teams.models import ActivityLog, Role, TeamMember
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_sign_up_creates_user_and_owned_team_on_free_plan(client):
    response = client.post(
        "/api/auth/sign-up",
        {"email": "Ada@Example.com", "password": PASSWORD, "name": "Ada"},
        content_type="application/json",
    )
    assert response.status_code == 201
    user = User.objects.get()
    assert user.email == "ada@example.com"
    assert user.password.startswith("md5$") or user.password.startswith("bcrypt")
    membership = TeamMember.objects.get(user=user)
    assert membership.role == Role.OWNER
    assert membership.team.plan.code == "free"
    assert client.get("/api/user").json()["email"] == "ada@example.com"


def test_email_is_unique_regardless_of_case(client):
    make_user(email="ada@example.com")
    response = client.post(
        "/api/auth/sign-up",
        {"email": "ADA@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "invalid_email"),
        ({"email": "a@example.com", "password": "123"}, "weak_password"),
        ({"email": "a@example.com"}, "validation_error"),
        ({}, "validation_error"),
    ],
)
def test_sign_up_rejects_bad_input(client, payload, code):
    response = client.post("/api/auth/sign-up", payload, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert User.objects.count() == 0


def test_sign_in_and_out(client):
    make_user(email="ada@example.com")
    response = client.post(
        "/api/auth/sign-in",
        {"email": "ADA@example.com", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert ActivityLog.objects.filter(action="sign_in").count() == 1
    assert client.post("/api/auth/sign-out").status_code == 204
    assert client.get("/api/user").status_code == 401


def test_repeated_failed_sign_ins_are_throttled(client, settings):
    settings.SIGN_IN_MAX_FAILURES = 3
    make_user(email="ada@example.com")
    bad = {"email": "ada@example.com", "password": "wrong-password"}
    codes = [
        client.post("/api/auth/sign-in", bad, content_type="application/json").status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    good = {"email": "ada@example.com", "password": PASSWORD}
    response = client.post("/api/auth/sign-in", good, content_type="application/json")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_sign_in_attempts"


def test_dashboard_redirects_visitors_to_sign_in(client):
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"] == "/sign-in?next=/dashboard/"


def test_pages_sign_up_then_dashboard(client):
    response = client.post(
        "/sign-up", {"email": "ada@example.com", "password": PASSWORD, "name": "Ada"}
    )
    assert response.status_code == 302
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert "Ada&#x27;s team" in page.content.decode()


def test_landing_and_health(client):
    assert client.get("/").status_code == 200
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ok"
