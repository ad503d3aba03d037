import time
from types import SimpleNamespace

import pytest
from django.core.cache.backends import locmem
from django.test import Client
from django.utils import timezone

from genfans.accounts.models import ApiKey
from genfans.teams.models import ActivityLog

pytestmark = pytest.mark.django_db
JSON = "application/json"


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


def test_create_shows_the_key_once_and_stores_only_its_hash(owner_client, team, owner):
    response = owner_client.post("/api/api-keys", {"name": "CI"}, content_type=JSON)
    assert response.status_code == 201
    body = response.json()
    raw = body["key"]
    assert raw.startswith("gf_live_")
    assert len(raw) > 40
    key = ApiKey.objects.get()
    assert key.team == team
    assert key.created_by == owner
    assert key.hash == ApiKey.hash_key(raw)
    assert raw not in {key.hash, key.prefix, key.name}
    assert body["prefix"] == raw[:12] == key.prefix
    listed = owner_client.get("/api/api-keys").json()["items"]
    assert [k["id"] for k in listed] == [str(key.id)]
    assert "key" not in listed[0]
    entry = ActivityLog.objects.get(action="create_api_key")
    assert entry.metadata == {"name": "CI", "prefix": key.prefix}
    assert entry.ip_address == "127.0.0.1"


def test_key_authenticates_records_last_used_and_dies_when_revoked(owner_client, team):
    body = owner_client.post("/api/api-keys", {"name": "CI"}, content_type=JSON).json()
    bot = Client()
    assert ApiKey.objects.get().last_used_at is None
    response = bot.get("/api/team", headers=bearer(body["key"]))
    assert response.status_code == 200
    assert response.json()["id"] == str(team.id)
    assert ApiKey.objects.get().last_used_at is not None
    assert owner_client.delete(f"/api/api-keys/{body['id']}").status_code == 204
    assert ApiKey.objects.get().revoked_at is not None
    denied = bot.get("/api/team", headers=bearer(body["key"]))
    assert denied.status_code == 401
    assert denied.json()["error"]["code"] == "unauthenticated"
    assert ActivityLog.objects.filter(action="revoke_api_key").count() == 1
    # Revoking again is a no-op.
    assert owner_client.delete(f"/api/api-keys/{body['id']}").status_code == 204
    assert ActivityLog.objects.filter(action="revoke_api_key").count() == 1


def test_a_key_revoked_by_another_process_stops_working_within_the_cache_time(
    owner_client, settings, monkeypatch
):
    """Each web process keeps a valid key for API_KEY_CACHE_SECONDS: the revoking process forgets
    it at once (above), the others when their copy expires."""
    body = owner_client.post("/api/api-keys", {"name": "CI"}, content_type=JSON).json()
    bot = Client(headers=bearer(body["key"]))
    assert bot.get("/api/team").status_code == 200
    ApiKey.objects.update(revoked_at=timezone.now())  # as another process's revoke would
    assert bot.get("/api/team").status_code == 200
    later = time.time() + settings.API_KEY_CACHE_SECONDS + 1
    monkeypatch.setattr(locmem, "time", SimpleNamespace(time=lambda: later))
    assert bot.get("/api/team").status_code == 401


@pytest.mark.parametrize("token", ["gf_live_nope", "garbage", ""])
def test_unknown_keys_get_401(client, db, token):
    assert client.get("/api/team", headers=bearer(token)).status_code == 401


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_create_rejects_bad_names(owner_client, name):
    response = owner_client.post("/api/api-keys", {"name": name}, content_type=JSON)
    assert response.status_code == 400
    assert ApiKey.objects.count() == 0


@pytest.mark.parametrize("key_id", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_revoke_unknown_is_404(owner_client, key_id):
    response = owner_client.delete(f"/api/api-keys/{key_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "api_key_not_found"
