"""Writes of stored assets."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from genfans.storage.keys import asset_key
from genfans.storage.models import Asset


def retention_deadline(*, now=None):
    return (now or timezone.now()) + timedelta(days=settings.RETENTION_DAYS)


def asset_create(
    *,
    team,
    kind: str,
    content: bytes,
    content_type: str,
    job=None,
    width: int | None = None,
    height: int | None = None,
    duration: float | None = None,
    seed: int | None = None,
    expires: bool = True,
    created_by=None,
) -> Asset:
    """Store `content` under a team-scoped key and record it.

    Runs inside the caller's transaction. The file is written first: if that transaction
    rolls back, the file is an orphan that no row points to, which is harmless."""
    asset_id = uuid.uuid4()
    key = asset_key(team_id=team.id, kind=kind, asset_id=asset_id, content_type=content_type)
    stored_key = default_storage.save(key, ContentFile(content))
    return Asset.objects.create(
        id=asset_id,
        team=team,
        job=job,
        kind=kind,
        storage_key=stored_key,
        content_type=content_type,
        width=width,
        height=height,
        bytes=len(content),
        duration=duration,
        seed=seed,
        expires_at=retention_deadline() if expires else None,
        created_by=created_by,
    )


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
