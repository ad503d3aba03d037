"""Recording activity. Services call `activity_record` inside their own transaction."""

from typing import Any

from genfans.teams.models import Action, ActivityLog


def activity_record(
    *,
    action: Action,
    team=None,
    user=None,
    ip_address: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> ActivityLog:
    return ActivityLog.objects.create(
        action=action, team=team, user=user, ip_address=ip_address, metadata=metadata or {}
    )
