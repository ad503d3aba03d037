"""Ids from the outside world (paths, bodies, job parameters, Stripe metadata): a value that is
not a UUID names no row, so lookups treat it as not found rather than as an error."""

import uuid
from typing import Any


def uuid_or_none(value: Any) -> uuid.UUID | None:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None
