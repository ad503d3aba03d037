"""Periodic storage work, enqueued by the scheduler (settings.PERIODIC_TASKS)."""

from django.tasks import task

from genfans.storage.retention import (
    retention_cleanup,
    retention_mark_expired,
    retention_orphans_delete,
)


@task
def retention_cleanup_task() -> dict:
    """Daily: bring expired jobs' assets due, delete every due file, then orphans."""
    marked = retention_mark_expired()
    result = retention_cleanup()
    orphans = retention_orphans_delete()
    return {"marked_assets": marked.assets, "orphans_deleted": orphans, **result.as_dict()}
