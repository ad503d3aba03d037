"""Signed, expiring links to local media: `/media/<key>?exp=<unix>&sig=<hmac>`, and download
links, `...&dl=<filename>`, which the media view serves as an attachment under that name.

The signature is an HMAC-SHA256 (keyed from SECRET_KEY, salted for this purpose) over the
key, the expiry and the download filename, so none of them can be changed. Expiries are
rounded up to a small grid so a page that is rendered again links to the same URL and
browsers can cache the file.
"""

import math
import re
import time
from urllib.parse import quote, urlencode

from django.utils.crypto import constant_time_compare, salted_hmac

MEDIA_PREFIX = "/media/"
DEFAULT_EXPIRES_IN = 3600
MAX_GRID_SECONDS = 900
_SALT = "genfans.storage.signing.media"
_EXPIRY = re.compile(r"[0-9]{1,12}")


def signature(key: str, expires_at: int, download: str = "") -> str:
    # Without a download name the message is the one earlier links were signed over.
    message = f"{key}\n{expires_at}" + (f"\n{download}" if download else "")
    return salted_hmac(_SALT, message, algorithm="sha256").hexdigest()


def expiry_for(expires_in: int, *, now: float | None = None) -> int:
    now = time.time() if now is None else now
    grid = max(1, min(expires_in // 4, MAX_GRID_SECONDS))
    return int(math.ceil((now + expires_in) / grid) * grid)


def signed_media_path(
    key: str, *, expires_in: int = DEFAULT_EXPIRES_IN, download: str = "", now=None
) -> str:
    """`download`: a filename; the link then serves the file as an attachment by that name."""
    expires_at = expiry_for(expires_in, now=now)
    query = {"exp": expires_at, "sig": signature(key, expires_at, download)}
    if download:
        query["dl"] = download
    return f"{MEDIA_PREFIX}{quote(key)}?{urlencode(query)}"


def verify(
    key: str, expires_at: str | None, sig: str | None, *, download: str = "", now=None
) -> bool:
    """True for an untampered link that has not expired."""
    if not expires_at or not sig or not _EXPIRY.fullmatch(expires_at):
        return False
    if int(expires_at) < (time.time() if now is None else now):
        return False
    return constant_time_compare(sig, signature(key, int(expires_at), download))
