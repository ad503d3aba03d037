from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from genfans.core.errors import NotFound
from genfans.storage import signing
from genfans.storage.models import Asset
from genfans.storage.selectors import asset_get_for_team
from genfans.storage.services import asset_create
from genfans.storage.urls import asset_url
from tests.factories import make_user

PNG = b"\x89PNG\r\n\x1a\n fake png bytes"


@pytest.fixture
def asset(team):
    return asset_create(team=team, kind="image", content=PNG, content_type="image/png")


def test_asset_create_stores_bytes_under_a_team_scoped_key(team, asset, settings):
    assert asset.storage_key == f"teams/{team.id}/image/{asset.id}.png"
    assert asset.bytes == len(PNG)
    with default_storage.open(asset.storage_key) as handle:
        assert handle.read() == PNG
    expected = timezone.now() + timedelta(days=settings.RETENTION_DAYS)
    assert abs(asset.expires_at - expected) < timedelta(seconds=5)


def test_asset_create_without_expiry_is_exempt_from_retention(team):
    weights = asset_create(
        team=team,
        kind="weights",
        content=b"lora",
        content_type="application/octet-stream",
        expires=False,
    )
    assert weights.expires_at is None
    assert weights.storage_key.endswith(".bin")


def test_signed_url_serves_the_file(client, asset):
    url = asset_url(asset)
    assert url.startswith(f"/media/{asset.storage_key}?exp=")
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"].startswith("private, max-age=")


def test_absolute_url_uses_base_url(asset, settings):
    settings.BASE_URL = "https://studio.example.com"
    assert asset_url(asset, absolute=True).startswith(
        f"https://studio.example.com/media/{asset.storage_key}?"
    )


def test_url_is_stable_within_its_grid_so_browsers_can_cache(asset):
    assert asset_url(asset) == asset_url(asset)


def _query(url):
    parts = urlsplit(url)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_expired_link_is_forbidden(client, asset):
    past = int(timezone.now().timestamp()) - 1
    url = f"/media/{asset.storage_key}?exp={past}&sig={signing.signature(asset.storage_key, past)}"
    assert client.get(url).status_code == 403


def test_link_expires_after_expires_in(client, asset):
    url = signing.signed_media_path(asset.storage_key, expires_in=60, now=0)
    assert client.get(url).status_code == 403
    fresh = signing.signed_media_path(asset.storage_key, expires_in=60)
    assert client.get(fresh).status_code == 200


@pytest.mark.parametrize("part", ["sig", "exp", "key"])
def test_tampered_link_is_forbidden(client, asset, team, part):
    path, query = _query(asset_url(asset))
    if part == "sig":
        query["sig"] = ("0" if query["sig"][0] != "0" else "1") + query["sig"][1:]
    elif part == "exp":
        query["exp"] = str(int(query["exp"]) + 3600)
    else:
        other = asset_create(team=team, kind="image", content=b"other", content_type="image/png")
        path = f"/media/{other.storage_key}"
    response = client.get(path, query)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"exp": "123"},
        {"sig": "abc"},
        {"exp": "x", "sig": "y"},
        {"exp": "²", "sig": "y"},
        {"exp": "9" * 40, "sig": "y"},
    ],
)
def test_unsigned_link_is_forbidden(client, asset, query):
    assert client.get(f"/media/{asset.storage_key}", query).status_code == 403


@pytest.mark.parametrize("key", ["teams/", "teams", "teams/../secret", ".hidden", "a//b"])
def test_no_directory_listing_or_traversal(client, asset, key):
    url = signing.signed_media_path(key)
    assert client.get(url).status_code in {403, 404}


def test_deleted_file_answers_404(client, asset):
    url = asset_url(asset)
    default_storage.delete(asset.storage_key)
    assert client.get(url).status_code == 404


def test_unsafe_methods_are_refused(client, asset):
    assert client.post(asset_url(asset)).status_code == 405


def test_asset_get_for_team_finds_own_asset(team, asset):
    assert asset_get_for_team(team=team, asset_id=asset.id) == asset
    assert asset_get_for_team(team=team, asset_id=str(asset.id), kind="image") == asset


def test_other_teams_asset_is_not_found(asset):
    other_team = make_user().memberships.get().team
    with pytest.raises(NotFound):
        asset_get_for_team(team=other_team, asset_id=asset.id)


@pytest.mark.parametrize("asset_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_unknown_asset_is_not_found(team, asset_id):
    with pytest.raises(NotFound):
        asset_get_for_team(team=team, asset_id=asset_id)


def test_wrong_kind_or_deleted_asset_is_not_found(team, asset):
    with pytest.raises(NotFound):
        asset_get_for_team(team=team, asset_id=asset.id, kind="upload")
    Asset.objects.filter(pk=asset.pk).update(deleted_at=timezone.now())
    with pytest.raises(NotFound):
        asset_get_for_team(team=team, asset_id=asset.id)
    asset.refresh_from_db()
    assert asset_url(asset) == ""


@pytest.mark.parametrize(
    ("header", "status", "body", "content_range"),
    [
        ("bytes=0-3", 206, PNG[:4], f"bytes 0-3/{len(PNG)}"),
        ("bytes=4-", 206, PNG[4:], f"bytes 4-{len(PNG) - 1}/{len(PNG)}"),
        ("bytes=-5", 206, PNG[-5:], f"bytes {len(PNG) - 5}-{len(PNG) - 1}/{len(PNG)}"),
        ("bytes=2-1000", 206, PNG[2:], f"bytes 2-{len(PNG) - 1}/{len(PNG)}"),
        ("bytes=1000-", 416, b"", f"bytes */{len(PNG)}"),
        ("bytes=0-1,4-5", 200, PNG, None),
        ("items=0-1", 200, PNG, None),
    ],
)
def test_byte_ranges(client, asset, header, status, body, content_range):
    response = client.get(asset_url(asset), HTTP_RANGE=header)
    assert response.status_code == status
    content = b"".join(response.streaming_content) if response.streaming else response.content
    assert content == body
    assert response.get("Content-Range") == content_range
