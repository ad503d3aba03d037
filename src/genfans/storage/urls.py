"""Links to stored files: always signed and expiring, whichever backend holds them."""

from django.conf import settings
from django.core.files.storage import default_storage
from storages.backends.s3 import S3Storage

from genfans.storage.backends import S3AssetStorage, SignedFileSystemStorage
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


def asset_download_filename(asset) -> str:
    """`genfans-<kind>-<first 8 of the id>.<the stored file's extension>`."""
    extension = asset.storage_key.rsplit("/", 1)[-1].rpartition(".")[2] or "bin"
    return f"genfans-{asset.kind}-{asset.pk.hex[:8]}.{extension}"


def asset_download_url(asset, *, expires_in: int = DEFAULT_EXPIRES_IN) -> str:
    """A link like `asset_url`'s that serves the file as an attachment
    (`asset_download_filename`). A backend configured by hand, which cannot set the
    disposition, gets the asset's plain link."""
    if asset.deleted_at is not None:
        return ""
    if isinstance(default_storage, SignedFileSystemStorage | S3AssetStorage):
        return default_storage.download_url(
            asset.storage_key, filename=asset_download_filename(asset), expire=expires_in
        )
    return file_url(asset.storage_key, expires_in=expires_in)
