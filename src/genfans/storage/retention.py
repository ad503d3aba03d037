"""Retention: stored outputs live RETENTION_DAYS (90), then their files are deleted.

Assets with `expires_at IS NULL` are exempt: the studio clears the expiry on what a live
custom model still needs (its training photos, its weights). Deleting is claim-then-delete,
one row at a time: a conditional UPDATE (still expiring, not yet deleted) claims the row, so
two cleanups never delete the same file twice, and an asset whose expiry was cleared a moment
ago is never claimed. A file that is already gone counts as deleted; a storage error gives
the row back for the next run.
"""

import logging
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from django.core.files.storage import default_storage
from django.db.models import Count, Q, Sum
from django.utils import timezone

from genfans.storage.models import Asset

logger = logging.getLogger(__name__)
BATCH_SIZE = 500


@dataclass
class CleanupResult:
    deleted: int = 0
    bytes_freed: int = 0
    failed: int = 0
    failed_keys: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _due(now):
    return Asset.objects.filter(
        deleted_at__isnull=True, expires_at__isnull=False, expires_at__lte=now
    )


def retention_cleanup(*, now=None, batch_size: int = BATCH_SIZE) -> CleanupResult:
    """Delete the files of expired assets and mark their rows deleted. Idempotent: a second
    run finds nothing to do. The daily periodic task calls this."""
    now = now or timezone.now()
    result = CleanupResult()
    last_pk = None
    while True:
        batch = _due(now).order_by("pk")
        if last_pk is not None:
            batch = batch.filter(pk__gt=last_pk)
        rows = list(batch.values_list("pk", "storage_key", "bytes")[:batch_size])
        if not rows:
            return result
        last_pk = rows[-1][0]
        for pk, key, size in rows:
            if not _due(now).filter(pk=pk).update(deleted_at=now):
                continue  # another cleanup took it, or its expiry was just cleared
            try:
                default_storage.delete(key)
            except FileNotFoundError:
                pass
            except Exception:  # noqa: BLE001 - one bad file must not stop the sweep
                logger.exception("retention: could not delete %s; will retry", key)
                Asset.objects.filter(pk=pk, deleted_at=now).update(deleted_at=None)
                result.failed += 1
                result.failed_keys.append(key)
                continue
            result.deleted += 1
            result.bytes_freed += size


ORPHAN_GRACE = timedelta(days=1)


def retention_orphans_delete(*, now=None, grace: timedelta = ORPHAN_GRACE) -> int:
    """Delete files under `teams/` that no live asset row points to: left behind when the
    transaction that wrote them rolled back, or when deleting a hidden (deleted) asset's file
    failed. Files younger than `grace` are kept, since their transaction may still be open."""
    now = now or timezone.now()
    deleted = 0
    for directory in _asset_directories():
        _, files = default_storage.listdir(directory)
        keys = [f"{directory}/{name}" for name in files]
        known = set(
            Asset.objects.filter(storage_key__in=keys, deleted_at__isnull=True).values_list(
                "storage_key", flat=True
            )
        )
        for key in keys:
            if key in known:
                continue
            try:
                if default_storage.get_modified_time(key) > now - grace:
                    continue
                default_storage.delete(key)
            except FileNotFoundError:
                continue
            deleted += 1
    return deleted


def _asset_directories():
    """teams/<team id>/<kind>: where `asset_create` writes."""
    try:
        teams, _ = default_storage.listdir("teams")
    except FileNotFoundError:
        return
    for team in teams:
        kinds, _ = default_storage.listdir(f"teams/{team}")
        for kind in kinds:
            yield f"teams/{team}/{kind}"


@dataclass
class MarkResult:
    jobs: int
    assets: int


def retention_mark_expired(*, now=None) -> MarkResult:
    """Database only: assets of jobs whose `expires_at` has passed become due now (their
    own expiry is brought forward). Exempt assets (no expiry) stay exempt; no file is
    touched until `retention_cleanup` runs."""
    now = now or timezone.now()
    assets = Asset.objects.filter(
        job__expires_at__lte=now,
        deleted_at__isnull=True,
        expires_at__isnull=False,
        expires_at__gt=now,
    )
    jobs = assets.values("job_id").distinct().count()
    return MarkResult(jobs=jobs, assets=assets.update(expires_at=now))


def _aggregates(now) -> dict:
    live = Q(deleted_at__isnull=True)
    return {
        "files": Count("pk", filter=live),
        "size_bytes": Sum("bytes", filter=live, default=0),
        "exempt": Count("pk", filter=live & Q(expires_at__isnull=True)),
        "due": Count("pk", filter=live & Q(expires_at__lte=now)),
        "due_bytes": Sum("bytes", filter=live & Q(expires_at__lte=now), default=0),
        "deleted": Count("pk", filter=Q(deleted_at__isnull=False)),
    }


def retention_stats(*, now=None) -> dict:
    """Counts and bytes of stored (not deleted) assets, by kind and by team, with how many
    are exempt, due for deletion, and already deleted."""
    now = now or timezone.now()
    aggregates = _aggregates(now)
    by_kind = list(Asset.objects.values("kind").annotate(**aggregates).order_by("kind"))
    by_team = list(
        Asset.objects.values("team_id", "team__name")
        .annotate(**aggregates)
        .order_by("-size_bytes", "team__name")
    )
    for row in by_team:
        row["team_id"] = str(row["team_id"])
        row["team"] = row.pop("team__name")
    total = Asset.objects.aggregate(**aggregates)
    return {"total": total, "by_kind": by_kind, "by_team": by_team}
