"""Local media, served only through signed, expiring links (see `storage/signing.py`).

Single byte ranges are honoured (206) so browsers can seek in videos; Safari will not play
a video without them.
"""

import mimetypes
import re
import time

from django.core.files.storage import default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponseForbidden,
    StreamingHttpResponse,
)
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from genfans.storage.backends import SignedFileSystemStorage
from genfans.storage.keys import is_safe_key
from genfans.storage.signing import verify

MAX_CACHE_SECONDS = 86400
CHUNK_SIZE = 64 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
_DOWNLOAD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,150}")


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) of a single satisfiable range; None to serve the whole file.
    Raises ValueError for an unsatisfiable range."""
    match = _RANGE.match(header.strip())
    if not match or match.groups() == ("", ""):
        return None  # absent, malformed or multiple ranges: the whole file is a valid answer
    first, last = match.groups()
    if first == "":  # the last N bytes
        length = int(last)
        if length == 0:
            raise ValueError("empty suffix range")
        return max(0, size - length), size - 1
    first = int(first)
    last = min(int(last), size - 1) if last else size - 1
    if first >= size or first > last:
        raise ValueError("range not satisfiable")
    return first, last


def _stream(handle, remaining: int):
    with handle:
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk


@require_safe
def media(request, key: str):
    # With S3 the files are served by S3 or CloudFront; this view serves nothing.
    if not isinstance(default_storage, SignedFileSystemStorage) or not is_safe_key(key):
        raise Http404
    expires_at = request.GET.get("exp")
    download = request.GET.get("dl", "")
    if download and not _DOWNLOAD_NAME.fullmatch(download):
        return HttpResponseForbidden("This link is not valid or has expired.")
    if not verify(key, expires_at, request.GET.get("sig"), download=download):
        return HttpResponseForbidden("This link is not valid or has expired.")
    try:
        handle = default_storage.open(key, "rb")
    except (FileNotFoundError, IsADirectoryError):
        raise Http404 from None
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    size = default_storage.size(key)
    try:
        byte_range = _byte_range(request.headers.get("Range", ""), size)
    except ValueError:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    if byte_range is None:
        response = FileResponse(handle, content_type=content_type)
    else:
        first, last = byte_range
        handle.seek(first)
        response = StreamingHttpResponse(
            _stream(handle, last - first + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
        response["Content-Length"] = str(last - first + 1)
    if download:
        response["Content-Disposition"] = content_disposition_header(True, download)
    response["Accept-Ranges"] = "bytes"
    remaining = max(0, min(int(expires_at) - int(time.time()), MAX_CACHE_SECONDS))
    response["Cache-Control"] = f"private, max-age={remaining}"
    # Stored files are user content: never let one run as a page of this site.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
