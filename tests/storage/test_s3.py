"""The S3 backend against a local S3-compatible server (moto in server mode) over real HTTP."""

import io
from urllib.parse import urlsplit

import boto3
import httpx
import pytest
from django.core.files.storage import default_storage
from moto.server import ThreadedMotoServer
from PIL import Image

from genfans.storage.backends import S3AssetStorage
from genfans.storage.retention import retention_cleanup
from genfans.storage.services import asset_create
from genfans.storage.urls import asset_url
from tests.storage.images import jpeg_with_exif

BUCKET = "genfans-test-media"
CREDENTIALS = {"access_key": "testing", "secret_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_client(s3_endpoint):
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=BUCKET)
    yield client
    for obj in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=obj["Key"])
    client.delete_bucket(Bucket=BUCKET)


def s3_storages(endpoint: str, **options) -> dict:
    """What config/settings.py builds when AWS_S3_BUCKET is set."""
    return {
        "default": {
            "BACKEND": "genfans.storage.backends.S3AssetStorage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "region_name": "us-east-1",
                "endpoint_url": endpoint,
                "addressing_style": "path",
                **CREDENTIALS,
                **options,
            },
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def s3_storage(settings, s3_endpoint, s3_client):
    settings.STORAGES = s3_storages(s3_endpoint)
    assert isinstance(default_storage, S3AssetStorage)
    return default_storage


def test_round_trip_put_get_and_presigned_url(s3_storage, s3_client, team):
    asset = asset_create(team=team, kind="image", content=b"pixels", content_type="image/png")
    obj = s3_client.get_object(Bucket=BUCKET, Key=asset.storage_key)
    assert obj["Body"].read() == b"pixels"
    with s3_storage.open(asset.storage_key) as handle:
        assert handle.read() == b"pixels"

    url = asset_url(asset, expires_in=120)
    parts = urlsplit(url)
    assert parts.path == f"/{BUCKET}/{asset.storage_key}"
    assert "X-Amz-Signature=" in parts.query
    assert "X-Amz-Expires=120" in parts.query
    response = httpx.get(url, timeout=5)
    assert response.status_code == 200
    assert response.content == b"pixels"


def test_upload_lands_in_the_bucket_without_metadata(s3_storage, s3_client, owner_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("p.jpg", jpeg_with_exif(), content_type="image/jpeg")
    response = owner_client.post("/api/uploads", {"file": upload})
    assert response.status_code == 201
    body = response.json()
    fetched = httpx.get(body["url"], timeout=5)
    assert fetched.status_code == 200
    image = Image.open(io.BytesIO(fetched.content))
    assert image.size == (30, 40)
    assert len(image.getexif()) == 0


def test_cleanup_deletes_expired_objects_and_tolerates_missing_ones(s3_storage, s3_client, team):
    from datetime import timedelta

    from django.utils import timezone

    expired = [
        asset_create(team=team, kind="image", content=b"old", content_type="image/png")
        for _ in range(3)
    ]
    live = asset_create(team=team, kind="image", content=b"new", content_type="image/png")
    for asset in expired:
        asset.expires_at = timezone.now() - timedelta(days=1)
        asset.save(update_fields=["expires_at"])
    s3_client.delete_object(Bucket=BUCKET, Key=expired[0].storage_key)  # already gone

    assert retention_cleanup().deleted == 3
    assert retention_cleanup().deleted == 0
    keys = {o["Key"] for o in s3_client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    assert keys == {live.storage_key}


def test_cloudfront_domain_gives_cloudfront_urls(settings, s3_endpoint, s3_client, team):
    settings.STORAGES = s3_storages(s3_endpoint, custom_domain="cdn.example.com")
    asset = asset_create(team=team, kind="image", content=b"x", content_type="image/png")
    assert asset_url(asset) == f"https://cdn.example.com/{asset.storage_key}"


def test_signed_cloudfront_urls_with_a_key_pair(settings, s3_endpoint, s3_client, team):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    settings.STORAGES = s3_storages(
        s3_endpoint,
        custom_domain="cdn.example.com",
        cloudfront_key_id="K2JCJMDEHXQW5F",
        cloudfront_key=pem,
    )
    asset = asset_create(team=team, kind="image", content=b"x", content_type="image/png")
    url = asset_url(asset, expires_in=600)
    assert url.startswith(f"https://cdn.example.com/{asset.storage_key}?Expires=")
    assert "Signature=" in url and "Key-Pair-Id=K2JCJMDEHXQW5F" in url


def test_media_view_serves_nothing_with_s3(s3_storage, client, team):
    from genfans.storage.signing import signed_media_path

    asset = asset_create(team=team, kind="image", content=b"x", content_type="image/png")
    assert client.get(signed_media_path(asset.storage_key)).status_code == 404


def test_orphan_sweep_lists_the_bucket(s3_storage, s3_client, team):
    from datetime import timedelta

    from django.utils import timezone

    from genfans.storage.retention import retention_orphans_delete

    kept = asset_create(team=team, kind="upload", content=b"k", content_type="image/png")
    orphan = f"teams/{team.id}/upload/rolled-back.png"
    s3_client.put_object(Bucket=BUCKET, Key=orphan, Body=b"o")
    assert retention_orphans_delete() == 0  # too young
    later = timezone.now() + timedelta(days=2)
    assert retention_orphans_delete(now=later) == 1
    keys = {o["Key"] for o in s3_client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    assert keys == {kept.storage_key}


def test_settings_choose_s3_when_a_bucket_is_set(tmp_path):
    import json
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "GENFANS_HOME": str(tmp_path),
        "AWS_S3_BUCKET": "media-bucket",
        "AWS_REGION": "eu-west-3",
        "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "CLOUDFRONT_DOMAIN": "cdn.example.com",
        "DJANGO_SETTINGS_MODULE": "genfans.config.settings",
    }
    code = (
        "import json; from genfans.config import settings as s; "
        "print(json.dumps(s.STORAGES['default']))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    default = json.loads(out)
    assert default["BACKEND"] == "genfans.storage.backends.S3AssetStorage"
    options = default["OPTIONS"]
    assert options["bucket_name"] == "media-bucket"
    assert options["region_name"] == "eu-west-3"
    assert options["endpoint_url"] == "http://127.0.0.1:9000"
    assert options["addressing_style"] == "path"
    assert options["custom_domain"] == "cdn.example.com"
    assert options["cloudfront_key"] is None
