"""Periodic storage work, enqueued by the scheduler (settings.PERIODIC_TASKS)."""

from django.tasks import task

from genfans.storage.retention import retention_cleanup, retention_mark_expired


@task
def retention_cleanup_task() -> dict:
    """Daily: bring expired jobs' assets due, then delete every due file."""
    marked = retention_mark_expired()
    result = retention_cleanup()
    return {"marked_assets": marked.assets, **result.as_dict()}
