"""A person who loses their place in a team takes the API keys they created there with them."""

import importlib
import time
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.cache import caches
from django.core.cache.backends import base as cache_base
from django.core.cache.backends import locmem
from django.test import Client

from genfans.accounts import selectors
from genfans.accounts.models import ApiKey
from genfans.accounts.selectors import api_key_remember
from genfans.catalog.models import ReferenceModel
from genfans.credits.selectors import credits_balance_get
from genfans.studio.models import Job
from genfans.teams.models import ActivityLog, TeamMember
from tests.credits.factories import give_credits
from tests.factories import PASSWORD, make_api_key, make_member

pytestmark = pytest.mark.django_db
JSON = "application/json"
BODY = {"prompt": "studio light", "num_images": 1, "width": 512, "height": 512, "quality": "draft"}


@pytest.fixture
def co_owner(team):
    return make_member(team=team, email="co@example.com", role="owner")


@pytest.fixture
def reference_model(db):
    return ReferenceModel.objects.create(
        slug="ava-fashion", name="Ava", category="fashion", base_prompt="portrait of Ava"
    )


def key_of(client) -> str:
    return client.post("/api/api-keys", {"name": "CI"}, content_type=JSON).json()["key"]


def api(raw) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def generate(client, reference_model):
    body = {**BODY, "model_id": str(reference_model.pk)}
    return client.post("/api/generate", body, content_type=JSON)


def remove(owner_client, co_client, co_owner):
    return owner_client.delete(f"/api/team/members/{co_owner.pk}")


def leave(owner_client, co_client, co_owner):
    return co_client.post("/api/team/leave")


def delete_account(owner_client, co_client, co_owner):
    return co_client.delete("/api/user", {"password": PASSWORD}, content_type=JSON)


@pytest.mark.parametrize(
    ("lose_access", "reason", "actor"),
    [
        (remove, "member_removed", "owner"),
        (leave, "member_left", "co_owner"),
        (delete_account, "account_deleted", "co_owner"),
    ],
)
def test_losing_the_team_revokes_the_persons_keys_at_once(
    request,
    owner_client,
    client_factory,
    team,
    co_owner,
    reference_model,
    lose_access,
    reason,
    actor,
):
    give_credits(team, 500)
    co_client = client_factory(co_owner)
    co_bot = api(key_of(co_client))
    owner_bot = api(key_of(owner_client))
    assert co_bot.get("/api/team").status_code == 200  # now in this process's key cache
    balance_before = credits_balance_get(team=team).available

    assert lose_access(owner_client, co_client, co_owner).status_code == 204

    for response in (co_bot.get("/api/team"), co_bot.get("/api/jobs")):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
    assert generate(co_bot, reference_model).status_code == 401
    assert Job.objects.count() == 0
    assert credits_balance_get(team=team).available == balance_before
    revoked = ApiKey.objects.get(created_by=co_owner)
    assert revoked.revoked_at is not None
    entry = ActivityLog.objects.get(action="revoke_api_key")
    assert entry.team == team
    assert entry.user == request.getfixturevalue(actor)
    assert entry.metadata == {"name": "CI", "prefix": revoked.prefix, "reason": reason}

    assert ApiKey.objects.get(created_by__email="owner@example.com").revoked_at is None
    assert owner_bot.get("/api/team").status_code == 200
    assert owner_bot.get("/api/jobs").status_code == 200
    assert generate(owner_bot, reference_model).status_code == 202
    assert Job.objects.count() == 1


def test_a_refused_leave_revokes_nothing(owner_client):
    """The last owner cannot leave, so their keys stay."""
    raw = key_of(owner_client)
    response = owner_client.post("/api/team/leave")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "last_owner"
    assert api(raw).get("/api/team").status_code == 200
    assert ApiKey.objects.filter(revoked_at__isnull=False).count() == 0
    assert not ActivityLog.objects.filter(action="revoke_api_key").exists()


@pytest.fixture
def clock(monkeypatch):
    """One clock for the selector's deadline and the key cache's expiry (set and checked)."""
    now = SimpleNamespace(value=time.time())
    fake = SimpleNamespace(time=lambda: now.value)
    for module in (selectors, cache_base, locmem):
        monkeypatch.setattr(module, "time", fake)
    return now


def test_another_process_refuses_the_key_once_its_cached_copy_expires(
    owner_client, client_factory, co_owner, settings, clock
):
    """The revoking process forgets the key at once; another one kept it when it last read the
    database and accepts it until API_KEY_CACHE_SECONDS after that read, not a moment longer,
    even though a request in between refreshed the copy's last_used_at."""
    raw = key_of(client_factory(co_owner))
    bot = api(raw)
    assert bot.get("/api/team").status_code == 200
    others_copy = caches["api_keys"].get(ApiKey.hash_key(raw))
    deadline = others_copy.cached_until
    assert deadline == clock.value + settings.API_KEY_CACHE_SECONDS

    assert owner_client.delete(f"/api/team/members/{co_owner.pk}").status_code == 204
    assert bot.get("/api/team").status_code == 401

    api_key_remember(others_copy)  # the other process's cache still holds the old row
    clock.value = deadline - 1
    others_copy.last_used_at = None  # so this request refreshes the cached copy
    api_key_remember(others_copy)
    assert bot.get("/api/team").status_code == 200
    clock.value = deadline + 0.01
    assert bot.get("/api/team").status_code == 401


def test_the_migration_revokes_the_keys_former_members_left_behind(team, owner, co_owner):
    kept = make_api_key(team=team, user=owner, name="owner's")
    left_behind = make_api_key(team=team, user=co_owner, name="co's")
    TeamMember.objects.filter(user=co_owner).delete()  # as removals did before this change
    migration = importlib.import_module(
        "genfans.teams.migrations.0005_revoke_keys_of_former_members"
    )

    migration.revoke_keys_of_former_members(apps, None)

    assert ApiKey.objects.get(hash=ApiKey.hash_key(kept)).revoked_at is None
    revoked = ApiKey.objects.get(hash=ApiKey.hash_key(left_behind))
    assert revoked.revoked_at is not None
    entry = ActivityLog.objects.get(action="revoke_api_key")
    assert (entry.team, entry.user) == (team, None)
    assert entry.metadata == {"name": "co's", "prefix": revoked.prefix, "reason": "former_member"}
    assert api(kept).get("/api/team").status_code == 200
    assert api(left_behind).get("/api/team").status_code == 401
