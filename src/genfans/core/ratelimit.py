"""Rate-limit counters in the database, shared by every web and worker process.

A hit counts and reads in one statement (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, on
PostgreSQL and SQLite alike), so concurrent requests each get a distinct count and a limit
decided from it holds under any interleaving. Django's database cache could not give that:
its `incr` reads, then writes.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from genfans.core.models import RateCounter


@dataclass(frozen=True)
class CounterHit:
    count: int
    window_start: datetime
    expires_at: datetime
    # Since the window started, by the clock the hit was counted with.
    elapsed_seconds: float


def _now() -> datetime:
    # From time.time(), the clock the cache used for these limits before, so tests that move
    # time.time() move the windows too.
    return datetime.fromtimestamp(time.time(), tz=UTC)


def _as_datetime(value) -> datetime:
    # SQLite returns the stored text (UTC); PostgreSQL an aware datetime.
    if isinstance(value, str):
        value = parse_datetime(value)
    return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)


def counter_hit(*, key: str, window_seconds: float) -> CounterHit:
    """Count one hit on `key`; a window that has run out restarts at 1 in the same statement."""
    now = _now()
    window = timedelta(seconds=window_seconds)
    table = connection.ops.quote_name(RateCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, count, expires_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (key) DO UPDATE SET "
            f"count = CASE WHEN {table}.expires_at <= %s THEN 1 ELSE {table}.count + 1 END, "
            f"expires_at = CASE WHEN {table}.expires_at <= %s "
            f"THEN excluded.expires_at ELSE {table}.expires_at END "
            f"RETURNING count, expires_at",
            [
                key,
                connection.ops.adapt_datetimefield_value(now + window),
                *[connection.ops.adapt_datetimefield_value(now)] * 2,
            ],
        )
        count, expires_at = cursor.fetchone()
    expires_at = _as_datetime(expires_at)
    window_start = expires_at - window
    return CounterHit(
        count=count,
        window_start=window_start,
        expires_at=expires_at,
        elapsed_seconds=(now - window_start).total_seconds(),
    )


def counter_refund(*, key: str) -> None:
    """Take back one hit (an attempt that turned out not to count)."""
    RateCounter.objects.filter(key=key, count__gt=0).update(count=F("count") - 1)


def counters_delete(*, keys: tuple[str, ...] = (), prefixes: tuple[str, ...] = ()) -> None:
    condition = Q(key__in=keys)
    for prefix in prefixes:
        condition |= Q(key__startswith=prefix)
    RateCounter.objects.filter(condition).delete()


def counters_prune() -> int:
    """Delete the counters whose window has run out; returns how many."""
    deleted, _ = RateCounter.objects.filter(expires_at__lte=_now()).delete()
    return deleted
