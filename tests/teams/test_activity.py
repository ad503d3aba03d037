import pytest
from django.test import Client

from genfans.credits.spend import spend_limit_set
from genfans.teams.models import ActivityLog
from genfans.web.views.activity import describe
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
JSON = "application/json"


def test_actions_are_recorded_with_ip(owner_client, team):
    owner_client.post(
        "/api/team/invitations",
        {"email": "a@example.com"},
        content_type=JSON,
        REMOTE_ADDR="203.0.113.9",
    )
    entry = ActivityLog.objects.get(action="invite_team_member")
    assert entry.ip_address == "203.0.113.9"
    assert entry.team == team


def test_sign_up_in_out_are_recorded(db):
    c = Client()
    c.post("/api/auth/sign-up", {"email": "a@example.com", "password": PASSWORD}, content_type=JSON)
    c.post("/api/auth/sign-out")
    c.post("/api/auth/sign-in", {"email": "a@example.com", "password": PASSWORD}, content_type=JSON)
    actions = list(
        ActivityLog.objects.order_by("created_at", "id").values_list("action", flat=True)
    )
    assert actions == ["create_team", "sign_up", "sign_out", "sign_in"]
    assert set(ActivityLog.objects.values_list("ip_address", flat=True)) == {"127.0.0.1"}


def test_activity_api_is_newest_first_and_paginated(owner_client, team):
    for i in range(5):
        owner_client.patch("/api/team", {"name": f"Name {i}"}, content_type=JSON)
    first = owner_client.get("/api/team/activity?limit=3").json()
    assert [e["metadata"].get("name") for e in first["items"]] == ["Name 4", "Name 3", "Name 2"]
    assert first["next_cursor"]
    second = owner_client.get(f"/api/team/activity?limit=3&cursor={first['next_cursor']}").json()
    assert [e["metadata"].get("name") for e in second["items"]] == ["Name 1", "Name 0", None]
    assert owner_client.get("/api/team/activity?cursor=%%%").status_code == 400
    assert owner_client.get("/api/team/activity?limit=0").status_code == 400


def test_activity_of_another_team_is_not_visible(owner_client, client_factory, other_owner):
    owner_client.patch("/api/team", {"name": "Secret"}, content_type=JSON)
    items = client_factory(other_owner).get("/api/team/activity").json()["items"]
    assert "update_team" not in {e["action"] for e in items}


def test_the_activity_page_describes_spend_limits_and_verification(
    owner_client, team, owner, member
):
    spend_limit_set(team=team, user=owner, member_user_id=member.pk, monthly_cap=100)

    page = owner_client.get("/dashboard/activity").text

    assert "a member: no cap → 100 a month" in page
    assert "50 free credits" in page


def test_the_activity_page_says_why_a_key_was_revoked_and_what_changed(
    owner_client, team, owner, member, client_factory
):
    member_client = client_factory(member)
    owner_client.patch(f"/api/team/members/{member.pk}", {"role": "owner"}, content_type=JSON)
    created = member_client.post("/api/api-keys", {"name": "Sam's CI"}, content_type=JSON)
    assert created.status_code == 201
    owner_client.patch(f"/api/team/members/{member.pk}", {"role": "member"}, content_type=JSON)
    owner_client.delete(f"/api/team/members/{member.pk}")

    page = owner_client.get("/dashboard/activity").text

    assert "Sam&#x27;s CI" in page and "its creator was removed from the team" in page


@pytest.mark.parametrize(
    ("metadata", "line"),
    [
        ({"name": "North"}, "renamed to North"),
        ({"two_factor_required": True}, "two-factor sign-in required"),
        ({"two_factor_required": False}, "two-factor sign-in optional"),
    ],
)
def test_team_updates_are_described_by_what_changed(metadata, line):
    assert describe(ActivityLog(action="update_team", metadata=metadata)) == line
