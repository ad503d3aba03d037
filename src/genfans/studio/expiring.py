"""Files about to expire: a week before a batch of a team's gallery files reaches the end of
its retention, every owner gets one email with a link to the gallery to download them.

Exactly once per batch: each team has a cursor (`FilesExpiringCursor.announced_until`), and
a run claims the files expiring after it by moving it with a conditional update from the
value it read. A second worker blocks on that row and then matches nothing; a rerun finds no
file past the cursor. Files that come within a week later (the next day's results) are the
next batch, with their own email.
"""

from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from genfans.emails.models import EmailKind
from genfans.emails.queue import email_send_on_commit
from genfans.storage.models import Asset
from genfans.studio.models import FilesExpiringCursor, FilesExpiringNotice
from genfans.studio.selectors import GALLERY_KINDS
from genfans.teams.models import Role, Team, TeamMember

NOTICE_AHEAD = timedelta(days=7)


def _expiring(*, after, until):
    return Asset.objects.filter(
        kind__in=GALLERY_KINDS,
        deleted_at__isnull=True,
        expires_at__gt=after,
        expires_at__lte=until,
    )


def files_expiring_announce(*, now=None) -> int:
    """Daily: announce each team's files that expire within a week and are not announced
    yet. Returns how many emails were queued."""
    now = now or timezone.now()
    team_ids = (
        _expiring(after=now, until=now + NOTICE_AHEAD)
        .values_list("team_id", flat=True)
        .distinct()
        .order_by("team_id")
    )
    return sum(files_expiring_announce_for_team(team_id=team_id, now=now) for team_id in team_ids)


@transaction.atomic(durable=True)
def files_expiring_announce_for_team(*, team_id, now) -> int:
    until = now + NOTICE_AHEAD
    cursor, _ = FilesExpiringCursor.objects.get_or_create(team_id=team_id)
    announced_until = cursor.announced_until
    after = max(announced_until, now) if announced_until else now
    batch = _expiring(after=after, until=until).filter(team_id=team_id)
    summary = batch.aggregate(files=Count("pk"), first=Min("expires_at"), last=Max("expires_at"))
    if not summary["files"]:
        return 0
    claimed = FilesExpiringCursor.objects.filter(
        pk=cursor.pk, announced_until=announced_until
    ).update(announced_until=until, updated_at=timezone.now())
    if not claimed:
        return 0  # another run announced this batch
    team = Team.objects.get(pk=team_id)
    notice = FilesExpiringNotice.objects.create(
        team=team,
        files=summary["files"],
        first_expires_at=summary["first"],
        last_expires_at=summary["last"],
    )
    owners = TeamMember.objects.filter(
        team=team, role=Role.OWNER, user__is_active=True, user__deleted_at__isnull=True
    ).select_related("user")
    deliveries = [
        email_send_on_commit(
            kind=EmailKind.FILES_EXPIRING, recipient=owner.user.email, user=owner.user, team=team
        )
        for owner in owners
    ]
    notice.deliveries.add(*deliveries)
    return len(deliveries)
