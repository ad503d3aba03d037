"""Storage keys: team-scoped, unguessable, and safe to put in a URL path."""

import mimetypes
import re
import uuid

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "video/mp4": "mp4",
    "video/webm": "webm",
    "application/zip": "zip",
    "application/octet-stream": "bin",
}

# Path segments of letters, digits, dot, dash and underscore; no "." or ".."
# segments, no leading slash. Everything we generate matches; anything else is refused.
_KEY_RE = re.compile(r"(?:[A-Za-z0-9_-][A-Za-z0-9._-]*/)*[A-Za-z0-9_-][A-Za-z0-9._-]*")


def extension_for(content_type: str) -> str:
    if content_type in EXTENSIONS:
        return EXTENSIONS[content_type]
    guessed = mimetypes.guess_extension(content_type or "")
    return guessed.lstrip(".") if guessed else "bin"


def asset_key(*, team_id, kind: str, asset_id: uuid.UUID, content_type: str) -> str:
    return f"teams/{team_id}/{kind}/{asset_id}.{extension_for(content_type)}"


def is_safe_key(key: str) -> bool:
    return bool(_KEY_RE.fullmatch(key)) and ".." not in key.split("/") and len(key) <= 400
