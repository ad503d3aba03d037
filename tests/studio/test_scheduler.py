from django_tasks_db.models import DBTaskResult

from genfans.core.models import ScheduledRun
from genfans.core.scheduler import schedule_tick


def test_each_periodic_task_fires_once_per_slot_however_many_workers_tick(
    db, settings, django_capture_on_commit_callbacks
):
    settings.PERIODIC_TASKS = [
        ("jobs-sweep", 60, "genfans.studio.tasks.jobs_sweep_task"),
        ("retention-cleanup", 86400, "genfans.storage.tasks.retention_cleanup_task"),
    ]
    now = 1_800_000_000.0
    with django_capture_on_commit_callbacks(execute=True):
        first = schedule_tick(now=now)
        second = schedule_tick(now=now + 1)  # a second worker, same slots
        later = schedule_tick(now=now + 61)
    assert sorted(first) == ["jobs-sweep", "retention-cleanup"]
    assert second == []
    assert later == ["jobs-sweep"]
    assert ScheduledRun.objects.count() == 3
    paths = sorted(DBTaskResult.objects.values_list("task_path", flat=True))
    assert paths == [
        "genfans.storage.tasks.retention_cleanup_task",
        "genfans.studio.tasks.jobs_sweep_task",
        "genfans.studio.tasks.jobs_sweep_task",
    ]
