"""The two storage backends, chosen by settings (`STORAGES["default"]`).

Both answer `url(name, expire=seconds)` with a link that stops working after `expire`:
locally an HMAC-signed link to our own media view, on S3 a presigned (or CloudFront) URL.
Both answer `download_url(name, filename=…, expire=…)` with a link, as short-lived, that
serves the file with `Content-Disposition: attachment` under `filename`.
"""

from django.core.files.storage import FileSystemStorage
from django.utils.http import content_disposition_header
from storages.backends.s3 import S3Storage
from storages.utils import clean_name

from genfans.storage import signing


class SignedFileSystemStorage(FileSystemStorage):
    """Files under MEDIA_ROOT, never served directly: only through signed, expiring links."""

    def url(self, name, expire=None):
        return signing.signed_media_path(name, expires_in=expire or signing.DEFAULT_EXPIRES_IN)

    def download_url(self, name, *, filename: str, expire: int = signing.DEFAULT_EXPIRES_IN):
        return signing.signed_media_path(name, expires_in=expire, download=filename)


class S3AssetStorage(S3Storage):
    """Private bucket; presigned URLs, or CloudFront URLs when a custom domain is set."""

    default_acl = None
    file_overwrite = True  # keys embed a fresh UUID: skipping the existence check saves a HEAD
    querystring_auth = True
    signature_version = "s3v4"

    def download_url(self, name, *, filename: str, expire: int = signing.DEFAULT_EXPIRES_IN):
        """Always an S3 presigned URL, even when pages link through CloudFront.

        S3 applies `response-content-disposition` only to a signed request. A CloudFront-signed
        URL cannot carry it: the distribution would have to forward that query string to the
        origin and cache per value, which ours does not promise. So a download goes to the
        bucket directly, presigned with our credentials (an IAM grant, which a bucket policy
        limiting reads to CloudFront's origin access must not deny). Downloads are one-off, so
        skipping the CDN's cache costs little."""
        return self.connection.meta.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket.name,
                "Key": self._normalize_name(clean_name(name)),
                "ResponseContentDisposition": content_disposition_header(True, filename),
            },
            ExpiresIn=expire,
        )
