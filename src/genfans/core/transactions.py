"""On-commit helpers: side effects only after the transaction that caused them commits."""

from collections.abc import Callable
from functools import partial
from typing import Any

from django.db import transaction


def enqueue_on_commit(task: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue a `django.tasks` task once the current transaction commits."""
    transaction.on_commit(partial(task.enqueue, *args, **kwargs), robust=False)


def call_on_commit(func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    transaction.on_commit(partial(func, *args, **kwargs))
