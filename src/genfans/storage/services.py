"""Writes of stored assets."""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from genfans.storage.keys import asset_key
from genfans.storage.models import Asset

logger = logging.getLogger(__name__)


def retention_deadline(*, now=None):
    return (now or timezone.now()) + timedelta(days=settings.RETENTION_DAYS)


@dataclass(frozen=True)
class StoredFile:
    """A file written to storage that no row points to yet (`asset_record` makes it an asset)."""

    id: uuid.UUID
    key: str
    size: int


def asset_file_save(*, team, kind: str, content: bytes, content_type: str) -> StoredFile:
    """Write `content` under a fresh team-scoped key. Storage I/O: call it before the
    transaction that records the asset, never while that transaction holds a lock."""
    asset_id = uuid.uuid4()
    key = asset_key(team_id=team.id, kind=kind, asset_id=asset_id, content_type=content_type)
    return StoredFile(
        id=asset_id, key=default_storage.save(key, ContentFile(content)), size=len(content)
    )


def asset_files_forget(stored) -> None:
    """Delete files whose rows were never recorded (the transaction rolled back or found
    nothing to do). Best effort: a file left behind is an orphan no row points to."""
    for file in stored:
        try:
            default_storage.delete(file.key)
        except Exception:  # noqa: BLE001 - any backend's error; the orphan is harmless
            logger.warning("could not delete unrecorded file %s", file.key, exc_info=True)


def asset_record(
    *,
    team,
    stored: StoredFile,
    kind: str,
    content_type: str,
    job=None,
    width: int | None = None,
    height: int | None = None,
    duration: float | None = None,
    seed: int | None = None,
    expires: bool = True,
    created_by=None,
) -> Asset:
    """The row of a file `asset_file_save` wrote, inside the caller's transaction (no I/O)."""
    return Asset.objects.create(
        id=stored.id,
        team=team,
        job=job,
        kind=kind,
        storage_key=stored.key,
        content_type=content_type,
        width=width,
        height=height,
        bytes=stored.size,
        duration=duration,
        seed=seed,
        expires_at=retention_deadline() if expires else None,
        created_by=created_by,
    )


def asset_create(*, team, kind: str, content: bytes, content_type: str, **row) -> Asset:
    """Store `content` under a team-scoped key and record it (`row`: `asset_record`'s other
    fields).

    Runs inside the caller's transaction. The file is written first: if that transaction
    rolls back, the file is an orphan that no row points to, which is harmless. It writes to
    storage: a caller holding row locks writes with `asset_file_save` first instead."""
    stored = asset_file_save(team=team, kind=kind, content=content, content_type=content_type)
    return asset_record(team=team, stored=stored, kind=kind, content_type=content_type, **row)


def asset_retention_clear(*, team, asset_ids) -> int:
    """Exempt assets from retention (a live custom model needs them: training photos,
    weights). Runs inside the caller's transaction. Returns how many were exempted; fewer
    than asked means some were already deleted by retention (cleanup claims a row with a
    conditional update, so the two never both win)."""
    return Asset.objects.filter(team=team, pk__in=asset_ids, deleted_at__isnull=True).update(
        expires_at=None
    )


def asset_retention_restore(*, team, asset_ids, now=None) -> int:
    """Give exempt assets back to retention (their model was archived or deleted): they
    expire RETENTION_DAYS from now."""
    return Asset.objects.filter(
        team=team, pk__in=asset_ids, deleted_at__isnull=True, expires_at__isnull=True
    ).update(expires_at=retention_deadline(now=now))
