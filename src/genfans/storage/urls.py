"""Links to stored files: always signed and expiring, whichever backend holds them."""

from django.conf import settings
from django.core.files.storage import default_storage
from storages.backends.s3 import S3Storage

from genfans.storage.backends import SignedFileSystemStorage
from genfans.storage.signing import DEFAULT_EXPIRES_IN


def file_url(key: str, *, absolute: bool = False, expires_in: int = DEFAULT_EXPIRES_IN) -> str:
    if isinstance(default_storage, SignedFileSystemStorage | S3Storage):
        url = default_storage.url(key, expire=expires_in)
    else:  # a backend configured by hand, without expiring links
        url = default_storage.url(key)
    if absolute and url.startswith("/"):
        url = settings.BASE_URL + url
    return url


def asset_url(asset, *, absolute: bool = False, expires_in: int = DEFAULT_EXPIRES_IN) -> str:
    """A link to the asset's file that expires after `expires_in` seconds ("" once deleted).

    `absolute=True` makes local links absolute (BASE_URL) so a provider can fetch them."""
    if asset.deleted_at is not None:
        return ""
    return file_url(asset.storage_key, absolute=absolute, expires_in=expires_in)
