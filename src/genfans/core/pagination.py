"""Keyset pagination over (created_at, id), newest first: stable under inserts, O(limit)."""

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from genfans.core.errors import ValidationError

MAX_LIMIT = 100


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def _encode(obj: Any) -> str:
    raw = json.dumps([obj.created_at.isoformat(), str(obj.pk)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, pk = json.loads(raw)
        return datetime.fromisoformat(created), str(pk)
    except (ValueError, TypeError) as exc:
        raise ValidationError("The cursor is not valid.", field="cursor") from exc


def paginate(queryset: QuerySet, *, limit: int = 20, cursor: str | None = None) -> Page:
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    queryset = queryset.order_by("-created_at", "-pk")
    if cursor:
        created, pk = _decode(cursor)
        queryset = queryset.filter(Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk))
    rows = list(queryset[: limit + 1])
    next_cursor = _encode(rows[limit - 1]) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


def _encode_values(values: list[Any]) -> str:
    raw = json.dumps(values).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def paginate_by(
    queryset: QuerySet, *, field: str, limit: int = 20, cursor: str | None = None
) -> Page:
    """Keyset pagination over (`field`, id), ascending: for lists with their own order
    (the catalog's sort order). `field` must hold JSON-encodable values (ints, strings)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    queryset = queryset.order_by(field, "pk")
    if cursor:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            value, pk = json.loads(raw)
            if not isinstance(value, int | str | float) or isinstance(value, bool):
                raise TypeError(value)
            after = Q(**{f"{field}__gt": value}) | Q(**{field: value, "pk__gt": uuid.UUID(pk)})
            queryset = queryset.filter(after)
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValidationError("The cursor is not valid.", field="cursor") from exc
    rows = list(queryset[: limit + 1])
    last = rows[limit - 1] if len(rows) > limit else None
    next_cursor = _encode_values([getattr(last, field), str(last.pk)]) if last else None
    return Page(items=rows[:limit], next_cursor=next_cursor)
