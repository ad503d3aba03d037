"""`download_url`: the same signed, expiring file as `url`, served as an attachment."""

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from genfans.api.media import gallery_item_out
from genfans.storage import signing
from genfans.storage.services import asset_create
from genfans.storage.urls import asset_download_filename, asset_download_url
from tests.storage.test_s3 import BUCKET, s3_client, s3_endpoint, s3_storages  # noqa: F401

PNG = b"\x89PNG\r\n\x1a\n fake png bytes"


@pytest.fixture
def asset(team):
    return asset_create(team=team, kind="image", content=PNG, content_type="image/png")


def test_the_api_download_url_is_an_attachment_and_url_is_not(asset, client):
    item = gallery_item_out(asset)
    filename = f"genfans-image-{asset.pk.hex[:8]}.png"
    assert asset_download_filename(asset) == filename
    assert item["download_url"] != item["url"]

    viewed = client.get(item["url"])
    assert viewed.status_code == 200
    assert not viewed["Content-Disposition"].startswith("attachment")

    downloaded = client.get(item["download_url"])
    assert downloaded.status_code == 200
    assert downloaded["Content-Disposition"] == f'attachment; filename="{filename}"'
    assert b"".join(downloaded.streaming_content) == PNG
    assert downloaded["Cache-Control"].startswith("private, max-age=")

    ranged = client.get(item["download_url"], headers={"range": "bytes=0-3"})
    assert ranged.status_code == 206
    assert ranged["Content-Disposition"] == f'attachment; filename="{filename}"'


def test_the_download_name_is_signed_and_the_link_expires(asset, client):
    url = asset_download_url(asset, expires_in=60)
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    renamed = f"{parts.path}?exp={query['exp']}&sig={query['sig']}&dl=evil.html"
    assert client.get(renamed).status_code == 403
    dropped = f"{parts.path}?exp={query['exp']}&sig={query['sig']}"  # the sig covers dl
    assert client.get(dropped).status_code == 403
    assert not signing.verify(
        asset.storage_key,
        query["exp"],
        query["sig"],
        download=query["dl"],
        now=int(query["exp"]) + 1,
    )


def test_a_deleted_asset_has_no_download_url(asset):
    from django.utils import timezone

    asset.deleted_at = timezone.now()
    assert asset_download_url(asset) == ""


def test_s3_download_is_presigned_with_the_disposition(settings, s3_endpoint, s3_client, team):  # noqa: F811
    settings.STORAGES = s3_storages(s3_endpoint)
    asset = asset_create(team=team, kind="image", content=b"pixels", content_type="image/png")
    url = asset_download_url(asset, expires_in=120)
    assert urlsplit(url).path == f"/{BUCKET}/{asset.storage_key}"
    assert "X-Amz-Expires=120" in url and "response-content-disposition=" in url
    response = httpx.get(url, timeout=5)
    assert response.status_code == 200
    assert response.content == b"pixels"
    filename = asset_download_filename(asset)
    assert response.headers["content-disposition"] == f'attachment; filename="{filename}"'


def test_behind_cloudfront_downloads_still_go_to_s3_presigned(
    settings,
    s3_endpoint,  # noqa: F811
    s3_client,  # noqa: F811
    team,
):
    settings.STORAGES = s3_storages(s3_endpoint, custom_domain="cdn.example.com")
    asset = asset_create(team=team, kind="image", content=b"x", content_type="image/png")
    url = asset_download_url(asset)
    assert urlsplit(url).netloc == urlsplit(s3_endpoint).netloc
    assert "X-Amz-Signature=" in url and "response-content-disposition=" in url
    assert httpx.get(url, timeout=5).headers["content-disposition"].startswith("attachment")
