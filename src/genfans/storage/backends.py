"""The two storage backends, chosen by settings (`STORAGES["default"]`).

Both answer `url(name, expire=seconds)` with a link that stops working after `expire`:
locally an HMAC-signed link to our own media view, on S3 a presigned (or CloudFront) URL.
"""

from django.core.files.storage import FileSystemStorage
from storages.backends.s3 import S3Storage

from genfans.storage import signing


class SignedFileSystemStorage(FileSystemStorage):
    """Files under MEDIA_ROOT, never served directly: only through signed, expiring links."""

    def url(self, name, expire=None):
        return signing.signed_media_path(name, expires_in=expire or signing.DEFAULT_EXPIRES_IN)


class S3AssetStorage(S3Storage):
    """Private bucket; presigned URLs, or CloudFront URLs when a custom domain is set."""

    default_acl = None
    file_overwrite = True  # keys embed a fresh UUID: skipping the existence check saves a HEAD
    querystring_auth = True
    signature_version = "s3v4"
