"""Announcements racing on PostgreSQL: one batch, one email per owner."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from genfans.emails.models import EmailDelivery, EmailKind
from genfans.studio.expiring import files_expiring_announce
from genfans.studio.models import FilesExpiringCursor, FilesExpiringNotice
from tests.factories import make_user
from tests.storage.test_retention import make_asset

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("cursor_exists", [False, True], ids=["first-batch", "later-batch"])
def test_concurrent_runs_send_one_email_per_batch(transactional_db, cursor_exists):
    team = make_user(email="race@example.com").memberships.get().team
    if cursor_exists:  # every run then reads the same cursor and races on the update
        FilesExpiringCursor.objects.create(team=team)
    for days in (1, 3, 5):
        make_asset(team, expires_in_days=days)
    now = timezone.now()
    barrier = threading.Barrier(4)
    queued: list[int] = []

    def run() -> None:
        try:
            barrier.wait()
            queued.append(files_expiring_announce(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(queued) == [0, 0, 0, 1]
    assert list(
        EmailDelivery.objects.filter(kind=EmailKind.FILES_EXPIRING).values_list(
            "recipient", flat=True
        )
    ) == ["race@example.com"]
    notice = FilesExpiringNotice.objects.get()
    assert notice.files == 3
