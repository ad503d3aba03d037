"""Storage keys for files of any type a provider returns: the extension follows the content
type (our table first, then the system's), and an unknown type is stored as `.bin`."""

import pytest

from genfans.storage.keys import is_safe_key
from genfans.storage.services import asset_create


@pytest.mark.parametrize(
    ("content_type", "extension"),
    [
        ("image/png", "png"),
        ("video/quicktime", "mov"),  # not in our table: the system's types name it
        ("image/avif", "avif"),
        ("application/x-vendor-blob", "bin"),
        ("", "bin"),
    ],
)
def test_a_stored_files_key_ends_in_its_types_extension(team, content_type, extension):
    asset = asset_create(team=team, kind="image", content=b"bytes", content_type=content_type)
    assert asset.storage_key == f"teams/{team.id}/image/{asset.pk}.{extension}"
    assert is_safe_key(asset.storage_key)
