"""Recording activity. Services call `activity_record` inside their own transaction."""

import json
from typing import Any

from django.db.models import Q, TextField
from django.db.models.functions import Cast

from genfans.teams.models import Action, ActivityLog


def activity_record(
    *,
    action: Action,
    team=None,
    user=None,
    ip_address: str | None = None,
    metadata: dict[str, Any] | None = None,
    subject_user=None,
    api_key=None,
    changes: dict[str, tuple[Any, Any] | list[Any]] | None = None,
) -> ActivityLog:
    """`user` is who acted (None with `api_key` for a key's request, None without it for the
    system); `subject_user` whom it was done to; `changes` is {field: (old, new)}. People are
    named by these keys, never by an email copied into `metadata`."""
    return ActivityLog.objects.create(
        action=action,
        team=team,
        user=user,
        subject_user=subject_user,
        api_key=api_key,
        ip_address=ip_address,
        metadata=metadata or {},
        changes={field: list(pair) for field, pair in (changes or {}).items()},
    )


FORMER_MEMBER = "A former member"


def activity_actor_name(entry: ActivityLog) -> str:
    """Who did it, in words: the person, else the API key the request came with, else the
    system (a Stripe webhook, the monthly replenishment). A deleted person is a former member."""
    if entry.user is not None:
        return FORMER_MEMBER if entry.user.is_deleted else entry.user.display_name
    if entry.api_key is not None:
        return f"API key {entry.api_key.name}"
    return "system"


def activity_subject_name(entry: ActivityLog) -> str:
    """Whom it was done to; a deleted person is a former member."""
    subject = entry.subject_user
    return FORMER_MEMBER if subject is None or subject.is_deleted else subject.display_name


def _without(value: Any, email: str) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, email) for k, v in value.items() if not _names(v, email)}
    if isinstance(value, list):
        return [_without(v, email) for v in value if not _names(v, email)]
    return value


def _names(value: Any, email: str) -> bool:
    return isinstance(value, str) and value.lower() == email


def activity_scrub_email(*, email: str) -> int:
    """Remove an address from every activity row's metadata and changes, as its person
    deletes their account (rows written before people were named by key carry it, and so do
    invitations to it). Runs in the caller's transaction; returns the rows changed."""
    email = email.lower()
    # A cheap text match finds the candidates (JSON may escape non-ASCII, hence both forms);
    # the exact comparison happens per value.
    needles = {email, json.dumps(email)[1:-1]}
    text = Q()
    for needle in needles:
        text |= Q(metadata_text__icontains=needle) | Q(changes_text__icontains=needle)
    rows = ActivityLog.objects.annotate(
        metadata_text=Cast("metadata", TextField()), changes_text=Cast("changes", TextField())
    ).filter(text)
    changed = 0
    for row in rows.iterator():
        row.metadata, row.changes = _without(row.metadata, email), _without(row.changes, email)
        row.save(update_fields=["metadata", "changes"])
        changed += 1
    return changed
