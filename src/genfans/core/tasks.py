"""Background tasks of the shared core: each calls one function and is safe to run twice."""

from django.tasks import task

from genfans.core.ratelimit import counters_prune


@task()
def rate_counters_prune_task() -> int:
    return counters_prune()
