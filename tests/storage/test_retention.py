import io
import json
import os
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from genfans.storage.models import Asset
from genfans.storage.retention import (
    retention_cleanup,
    retention_mark_expired,
    retention_orphans_delete,
    retention_stats,
)
from genfans.storage.services import asset_create
from genfans.storage.tasks import retention_cleanup_task
from genfans.studio.gallery import gallery_asset_delete
from genfans.studio.models import Job
from tests.factories import make_user


def make_asset(team, *, kind="image", expires_in_days=None, exempt=False, job=None, size=10):
    asset = asset_create(
        team=team,
        kind=kind,
        content=b"x" * size,
        content_type="image/png",
        job=job,
        expires=not exempt,
    )
    if expires_in_days is not None:
        asset.expires_at = timezone.now() + timedelta(days=expires_in_days)
        asset.save(update_fields=["expires_at"])
    return asset


@pytest.fixture
def mixture(team):
    """Expired, live and exempt files, plus an expired one whose file is already gone."""
    other_team = make_user().memberships.get().team
    assets = {
        "expired": [make_asset(team, expires_in_days=-1, size=100) for _ in range(5)],
        "expired_other_team": [make_asset(other_team, expires_in_days=-3, size=7)],
        "gone": [make_asset(team, expires_in_days=-2, size=50)],
        "live": [make_asset(team, expires_in_days=30) for _ in range(3)],
        "exempt": [
            make_asset(team, kind="weights", exempt=True),
            make_asset(team, kind="upload", exempt=True),
        ],
    }
    default_storage.delete(assets["gone"][0].storage_key)
    return assets


def is_deleted(asset):
    asset.refresh_from_db()
    return asset.deleted_at is not None


def test_cleanup_deletes_only_expired_files_and_is_idempotent(mixture):
    result = retention_cleanup(batch_size=2)  # several batches
    assert (result.deleted, result.failed) == (7, 0)
    assert result.bytes_freed == 5 * 100 + 7 + 50
    for group in ("expired", "expired_other_team", "gone"):
        for asset in mixture[group]:
            assert is_deleted(asset)
            assert not default_storage.exists(asset.storage_key)
    for group in ("live", "exempt"):
        for asset in mixture[group]:
            assert not is_deleted(asset)
            assert default_storage.exists(asset.storage_key)

    second = retention_cleanup(batch_size=2)
    assert (second.deleted, second.failed, second.bytes_freed) == (0, 0, 0)
    assert Asset.objects.filter(deleted_at__isnull=False).count() == 7
    assert Asset.objects.filter(deleted_at__isnull=True).count() == 5


def test_cleanup_keeps_deletion_time(mixture):
    retention_cleanup()
    asset = mixture["expired"][0]
    asset.refresh_from_db()
    first = asset.deleted_at
    retention_cleanup()
    asset.refresh_from_db()
    assert asset.deleted_at == first


def test_a_storage_error_gives_the_row_back_for_the_next_run(team):
    asset = make_asset(team, expires_in_days=-1)
    with mock.patch.object(default_storage, "delete", side_effect=PermissionError("nope")):
        result = retention_cleanup()
    assert (result.deleted, result.failed) == (0, 1)
    assert result.failed_keys == [asset.storage_key]
    assert not is_deleted(asset)
    assert retention_cleanup().deleted == 1
    assert is_deleted(asset)


def test_clearing_the_expiry_exempts_an_asset(team):
    asset = make_asset(team, expires_in_days=-1)
    Asset.objects.filter(pk=asset.pk).update(expires_at=None)  # a live model now needs it
    assert retention_cleanup().deleted == 0
    assert default_storage.exists(asset.storage_key)


def test_mark_expired_touches_the_database_only(team):
    expired_job = Job.objects.create(
        team=team, type="image_generation", expires_at=timezone.now() - timedelta(hours=1)
    )
    live_job = Job.objects.create(
        team=team, type="image_generation", expires_at=timezone.now() + timedelta(days=5)
    )
    outputs = [make_asset(team, job=expired_job, expires_in_days=60) for _ in range(2)]
    exempt = make_asset(team, job=expired_job, exempt=True)
    live = make_asset(team, job=live_job, expires_in_days=60)

    result = retention_mark_expired()
    assert (result.jobs, result.assets) == (1, 2)
    for asset in outputs:
        asset.refresh_from_db()
        assert asset.expires_at <= timezone.now()
        assert asset.deleted_at is None
        assert default_storage.exists(asset.storage_key)  # no file touched
    exempt.refresh_from_db()
    live.refresh_from_db()
    assert exempt.expires_at is None
    assert live.expires_at > timezone.now() + timedelta(days=59)

    assert retention_mark_expired().assets == 0  # idempotent
    assert retention_cleanup().deleted == 2


def test_stats_by_kind_and_team(mixture, team):
    retention_cleanup()
    make_asset(team, kind="video", expires_in_days=-1, size=1000)  # due, not yet deleted
    stats = retention_stats()
    by_kind = {row["kind"]: row for row in stats["by_kind"]}
    assert by_kind["image"]["files"] == 3
    assert by_kind["image"]["size_bytes"] == 30
    assert by_kind["image"]["deleted"] == 7
    assert by_kind["video"]["due"] == 1
    assert by_kind["video"]["due_bytes"] == 1000
    assert by_kind["weights"]["exempt"] == 1
    assert stats["total"]["files"] == 6
    assert stats["total"]["size_bytes"] == 30 + 20 + 1000
    teams = {row["team_id"]: row for row in stats["by_team"]}
    assert teams[str(team.id)]["files"] == 6
    assert teams[str(team.id)]["team"] == team.name
    assert sum(row["deleted"] for row in stats["by_team"]) == 7


def test_cleanup_command_subcommands(mixture):
    out = io.StringIO()
    call_command("cleanup", "mark-expired", stdout=out)
    call_command("cleanup", "cleanup", "--batch-size", "3", stdout=out)
    call_command("cleanup", "cleanup", stdout=out)
    call_command("cleanup", "stats", stdout=out)
    text = out.getvalue()
    assert "marked 0 assets of 0 expired jobs" in text
    assert "deleted 7 files (557 B), 0 failed" in text
    assert "deleted 0 files (0 B), 0 failed" in text
    assert "by kind" in text and "by team" in text
    json_out = io.StringIO()
    call_command("cleanup", "stats", "--json", stdout=json_out)
    assert json.loads(json_out.getvalue())["total"]["deleted"] == 7


def test_periodic_task_runs_mark_then_cleanup(mixture, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    result = retention_cleanup_task.enqueue()
    assert result.return_value["deleted"] == 7


def test_orphan_files_older_than_a_day_are_deleted(team, settings):
    import os
    import time

    kept = make_asset(team, expires_in_days=30)
    old_orphan = default_storage.save(f"teams/{team.id}/image/rolled-back.png", io.BytesIO(b"o"))
    young_orphan = default_storage.save(f"teams/{team.id}/image/in-flight.png", io.BytesIO(b"y"))
    two_days_ago = time.time() - 2 * 86400
    os.utime(settings.MEDIA_ROOT / old_orphan, (two_days_ago, two_days_ago))
    catalog_file = default_storage.save("catalog/thumbnails/x.jpg", io.BytesIO(b"c"))
    os.utime(settings.MEDIA_ROOT / catalog_file, (two_days_ago, two_days_ago))

    assert retention_orphans_delete() == 1
    assert not default_storage.exists(old_orphan)
    assert default_storage.exists(young_orphan)
    assert default_storage.exists(kept.storage_key)
    assert default_storage.exists(catalog_file)  # outside teams/: not ours to judge
    assert retention_orphans_delete() == 0


def test_orphan_sweep_with_no_files_at_all(db):
    assert retention_orphans_delete() == 0


@pytest.mark.postgres
def test_concurrent_cleanups_delete_each_file_once(transactional_db):
    import threading

    from django.db import connection

    team = make_user(email="race@example.com").memberships.get().team
    assets = [make_asset(team, expires_in_days=-1, size=3) for _ in range(40)]
    results, barrier = [], threading.Barrier(4)
    deletes = []
    real_delete = default_storage.delete

    def counting_delete(key):
        deletes.append(key)
        real_delete(key)

    def run():
        try:
            barrier.wait()
            results.append(retention_cleanup(batch_size=7))
        finally:
            connection.close()

    with mock.patch.object(default_storage, "delete", side_effect=counting_delete):
        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(r.deleted for r in results) == 40
    assert sorted(deletes) == sorted(a.storage_key for a in assets)  # each exactly once
    assert Asset.objects.filter(deleted_at__isnull=True).count() == 0


def test_retention_clear_and_restore(team, settings):
    from genfans.storage.services import asset_retention_clear, asset_retention_restore

    photos = [make_asset(team, kind="upload", expires_in_days=-1) for _ in range(2)]
    gone = make_asset(team, kind="upload", expires_in_days=-1)
    other_team_photo = make_asset(make_user().memberships.get().team, expires_in_days=-1)
    retention_cleanup_ids = [gone.pk]
    Asset.objects.filter(pk__in=retention_cleanup_ids).update(deleted_at=timezone.now())

    ids = [p.pk for p in photos] + [gone.pk, other_team_photo.pk]
    assert asset_retention_clear(team=team, asset_ids=ids) == 2
    assert retention_cleanup().deleted == 1  # only the other team's
    for photo in photos:
        assert not is_deleted(photo)

    assert asset_retention_restore(team=team, asset_ids=ids) == 2
    for photo in photos:
        photo.refresh_from_db()
        expected = timezone.now() + timedelta(days=settings.RETENTION_DAYS)
        assert abs(photo.expires_at - expected) < timedelta(seconds=5)
    assert asset_retention_restore(team=team, asset_ids=ids) == 0


def test_a_gallery_delete_whose_file_delete_failed_leaves_it_to_the_orphan_sweep(
    team, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """Issue 14: a hidden asset's file is not kept alive by its row for ever."""
    asset = make_asset(team, expires_in_days=30)

    def failing(key):
        raise OSError("storage down")

    monkeypatch.setattr(default_storage, "delete", failing)
    with django_capture_on_commit_callbacks(execute=True):
        gallery_asset_delete(team=team, asset_id=asset.pk)
    monkeypatch.undo()
    assert default_storage.exists(asset.storage_key)
    two_days_ago = time.time() - 2 * 86400
    os.utime(settings.MEDIA_ROOT / asset.storage_key, (two_days_ago, two_days_ago))

    assert retention_orphans_delete() == 1
    assert not default_storage.exists(asset.storage_key)
