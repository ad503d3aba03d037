"""Local media, served only through signed, expiring links (see `storage/signing.py`)."""

import mimetypes
import time

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponseForbidden
from django.views.decorators.http import require_safe

from genfans.storage.backends import SignedFileSystemStorage
from genfans.storage.keys import is_safe_key
from genfans.storage.signing import verify

MAX_CACHE_SECONDS = 86400


@require_safe
def media(request, key: str):
    # With S3 the files are served by S3 or CloudFront; this view serves nothing.
    if not isinstance(default_storage, SignedFileSystemStorage) or not is_safe_key(key):
        raise Http404
    expires_at = request.GET.get("exp")
    if not verify(key, expires_at, request.GET.get("sig")):
        return HttpResponseForbidden("This link is not valid or has expired.")
    try:
        handle = default_storage.open(key, "rb")
    except (FileNotFoundError, IsADirectoryError):
        raise Http404 from None
    content_type = mimetypes.guess_type(key)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    remaining = max(0, min(int(expires_at) - int(time.time()), MAX_CACHE_SECONDS))
    response["Cache-Control"] = f"private, max-age={remaining}"
    # Stored files are user content: never let one run as a page of this site.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
