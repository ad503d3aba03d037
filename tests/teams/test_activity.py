from importlib import import_module

import pytest
from django.apps import apps
from django.test import Client

from genfans.accounts.models import ApiKey
from genfans.accounts.spend_limits import spend_limit_set
from genfans.teams.activity import activity_record
from genfans.teams.models import Action, ActivityLog
from genfans.web.views.activity import describe
from tests.catalog.factories import make_reference_model
from tests.credits.factories import give_credits
from tests.factories import PASSWORD, make_api_key

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


def test_actors_are_people_keys_or_the_system_and_subjects_are_keys(
    owner_client, team, owner, member
):
    key = ApiKey.objects.create(team=team, name="CI", prefix="gf_x", hash="h", created_by=owner)
    activity_record(action=Action.GENERATE, team=team, api_key=key, metadata={"job_id": "j"})
    activity_record(action=Action.SUBSCRIPTION_CHANGED, team=team, metadata={"plan": "pro"})
    owner_client.patch(f"/api/team/members/{member.pk}", {"role": "owner"}, content_type=JSON)

    page = owner_client.get("/dashboard/activity").text
    items = owner_client.get("/api/team/activity").json()["items"]

    assert "API key CI" in page and "system" in page and "Mia: member → owner" in page
    role, subscription, generate = items[0], items[1], items[2]
    assert (role["actor"], role["subject"]) == ("owner", {"id": str(member.pk), "name": "Mia"})
    assert role["changes"] == {"role": ["member", "owner"]}
    assert "member" not in role["metadata"]
    assert (subscription["actor"], subscription["subject"]) == ("system", None)
    assert (generate["actor"], generate["user"]) == ("API key CI", None)


def test_a_deleted_person_is_a_former_member_as_actor_and_subject(
    owner_client, team, owner, member, client_factory
):
    member_client = client_factory(member)
    owner_client.patch(f"/api/team/members/{member.pk}", {"role": "owner"}, content_type=JSON)
    member_client.patch("/api/team", {"name": "Mia's studio"}, content_type=JSON)
    assert (
        member_client.delete("/api/user", {"password": PASSWORD}, content_type=JSON).status_code
        == 204
    )

    items = owner_client.get("/api/team/activity").json()["items"]
    rename = next(e for e in items if e["action"] == "update_team")
    role = next(e for e in items if e["action"] == "change_role")
    page = owner_client.get("/dashboard/activity").text

    assert rename["actor"] == "A former member"
    assert rename["changes"] == {"name": [team.name, "Mia's studio"]}
    assert role["subject"] is None
    assert "A former member: member → owner" in page
    assert "system" not in page


def test_old_rows_move_their_member_email_to_subject_user(team, owner, member):
    migration = import_module("genfans.teams.migrations.0008_activity_subject_key_changes")
    removed = ActivityLog.objects.create(
        team=team,
        user=owner,
        action="remove_team_member",
        metadata={"member": "MEMBER@example.com", "role": "member"},
    )
    changed = ActivityLog.objects.create(
        team=team,
        user=owner,
        action="change_role",
        metadata={"member": "gone@example.com", "from": "member", "to": "owner"},
    )

    migration.move_people_to_keys(apps, None)

    removed.refresh_from_db()
    changed.refresh_from_db()
    assert (removed.subject_user, removed.metadata) == (member, {"role": "member"})
    assert (changed.subject_user, changed.metadata) == (None, {})
    assert changed.changes == {"role": ["member", "owner"]}


def test_a_job_sent_with_an_api_key_is_logged_as_the_key(client, team, owner):
    raw = make_api_key(team=team, user=owner, name="Scheduler")
    give_credits(team, 100)
    response = client.post(
        "/api/generate",
        {"model_id": str(make_reference_model().pk), "prompt": "a portrait"},
        content_type=JSON,
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 202, response.content

    entry = ActivityLog.objects.get(action=Action.GENERATE)

    assert entry.api_key.name == "Scheduler"
    assert entry.user is None
